"""The Starlette application: /graphql, /healthz, /readyz, /metrics, carrier webhooks, PDF documents."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from oms_graph.api.carrier_tracking import carrier_webhook, cdek_webhook
from oms_graph.api.console import console_routes
from oms_graph.api.documents import document_routes
from oms_graph.api.imports import ImportQueue, import_routes
from oms_graph.api.limits import BodyLimit
from oms_graph.api.routing.simulations import simulation_routes
from oms_graph.api.schema import schema
from oms_graph.api.sockets import SocketsToView
from oms_graph.api.throttle import RedisBuckets
from oms_graph.api.view import GraphQLView
from oms_graph.config import Settings
from oms_graph.db.engine import Database, create_database
from oms_graph.db.migrate import upgrade
from oms_graph.events.stream import live
from oms_graph.logs import RequestIds
from oms_graph.memory import tune_collector
from oms_graph.metrics import CountRequests
from oms_graph.services.auth import KeyRing
from oms_graph.tasks.broker import broker_reachable
from oms_graph.tasks.runtime import background


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> Starlette:
    """The API; with no database given it opens the configured one (and migrates it when embedded)."""
    settings = settings or Settings()
    owns_db = db is None
    database = db or create_database(settings.database_url, pool_size=settings.database_pool_size)
    keys = KeyRing(database, ttl=settings.api_key_cache_seconds, poll=settings.api_key_poll_seconds)
    replica = (
        create_database(settings.read_database_url, pool_size=settings.database_pool_size)
        if settings.read_database_url
        else None
    )
    view = GraphQLView(schema, db=database, settings=settings, keys=keys, read_db=replica)
    queue = ImportQueue()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if owns_db and settings.embedded:
            await upgrade(database)
        async with (
            live(database, queue_size=settings.subscriber_queue) as stream,
            background(settings, database) as work,
        ):

            def committed() -> None:
                stream.sequencer.poke()
                if work is not None:
                    work.relay.poke()

            view.after_commit, view.hub, view.stock_watch = committed, stream.hub, stream.stock
            view.availability_feed = stream.availability
            queue.send = work.actors.import_stock.send if work is not None else None
            tune_collector()
            watching = asyncio.create_task(keys.watch(), name="api keys")
            try:
                yield
            finally:
                watching.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watching
        if owns_db:
            await database.dispose()
        if replica is not None:
            await replica.dispose()
        if isinstance(view.buckets, RedisBuckets):
            await view.buckets.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks = {}
        try:
            async with database.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # any failure to reach the database means not ready
            checks["database"] = str(exc)[:200]
        if settings.broker_url is not None:
            checks["broker"] = "ok" if await broker_reachable(settings.broker_url) else "unreachable"
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", **checks}, status_code=200 if ready else 503
        )

    def after_commit() -> None:
        if view.after_commit is not None:
            view.after_commit()

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route(
                "/webhooks/carriers/{carrier}",
                carrier_webhook(database, settings.carrier_webhook_secret, after_commit),
                methods=["POST"],
            ),
            Route("/webhooks/cdek/{connector}/{token}", cdek_webhook(database, after_commit), methods=["POST"]),
            *document_routes(database, keys),
            *import_routes(database, keys, queue),
            *simulation_routes(database, keys),
            *console_routes(settings),
        ],
        middleware=[
            Middleware(RequestIds),
            Middleware(CountRequests),
            Middleware(BodyLimit, limit=settings.max_body_bytes, paths={"/imports/": settings.max_import_bytes}),
            Middleware(SocketsToView, view=view, path="/graphql"),
        ],
        lifespan=lifespan,
    )
    app.state.db = database
    return app
