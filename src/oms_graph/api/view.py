"""The GraphQL endpoint: API keys over HTTP and graphql-transport-ws, then strawberry."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, cast

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from oms_graph.api.context import Context
from oms_graph.api.feeds import FeedingHandler, Feeds, Unavailable
from oms_graph.api.limits import unsuggested
from oms_graph.api.throttle import buckets_for
from oms_graph.config import Settings
from oms_graph.db.engine import UNAVAILABLE, Database, database_lost
from oms_graph.services.auth import KeyRing

log = logging.getLogger(__name__)
UNAUTHORIZED = "a valid API key is required: send the header 'Authorization: Bearer <key>'"
KEY_ENDED = 4403, "the API key was revoked or has expired"


def bearer(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class GraphQLView(GraphQL):
    graphql_transport_ws_handler_class = FeedingHandler  # type: ignore[assignment]  # alike share one execution

    def __init__(  # type: ignore[no-untyped-def]
        self, schema, *, db: Database, settings: Settings, keys: KeyRing, read_db: Database | None = None
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql_enabled else None)
        self.db, self.read_db = db, read_db
        self.buckets = buckets_for(settings.rate_limit_url)
        self.settings = settings
        self.keys = keys
        self.after_commit: Callable[[], None] | None = None
        self.hub: object = None
        self.stock_watch: object = None
        self.availability_feed: object = None
        self.feeds = Feeds(settings.subscriber_queue)

    def encode_json(self, data: object) -> str:
        """Answers and WebSocket messages as JSON text (text: a graphql-transport-ws message goes in a text
        frame), by orjson, several times faster than json on a large answer; what orjson cannot encode (an
        integer beyond 64 bits) by json."""
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:  # type: ignore[override]
        context = Context(
            request=request,
            db=self.db,
            read_db=self.read_db,
            settings=self.settings,
            after_commit=self.after_commit,
            hub=self.hub,
            stock_watch=self.stock_watch,
            availability_feed=self.availability_feed,
            buckets=self.buckets,
        )
        token = bearer(request.headers.get("authorization"))
        if token is not None:
            try:
                context.principal = await self.keys.principal(token)
            except Exception as error:
                if not database_lost(error):
                    raise
                log.warning("database unavailable: %s", str(error).splitlines()[0])
                raise HTTPException(503, UNAVAILABLE) from None
        if self.is_websocket_request(request) or self._asks_for_graphiql(cast(Request, request)):
            return context  # the key comes with connection_init, or from the GraphiQL header editor
        if context.principal is None:
            raise HTTPException(401, UNAUTHORIZED)
        return context

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:  # type: ignore[override]
        answer = await super().process_result(request, result)
        if not self.settings.introspection_enabled:
            unsuggested(cast(dict[str, Any], answer))
        return answer

    async def on_ws_connect(self, context: Context) -> None:  # type: ignore[override]
        token = bearer((context.connection_params or {}).get("authorization"))
        if token is not None:
            try:
                context.principal = await self.keys.principal(token)
            except Exception as error:
                if not database_lost(error):
                    raise
                raise Unavailable() from error
        if context.principal is None:
            raise ConnectionRejectionError()
        socket = cast(WebSocket, context.request)

        async def close() -> None:
            await socket.close(code=KEY_ENDED[0], reason=KEY_ENDED[1])

        context.let_go = self.keys.hold(context.principal, close)

    def _asks_for_graphiql(self, request: Request) -> bool:
        return (
            self.graphql_ide is not None
            and request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
            and "query" not in request.query_params
        )
