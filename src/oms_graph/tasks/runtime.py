"""Background work beside the API: the outbox relay, and in-process workers when embedded."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import dramatiq

from oms_graph.config import Settings
from oms_graph.db.engine import Database
from oms_graph.events.relay import OutboxRelay, routing_handlers
from oms_graph.tasks.actors import register
from oms_graph.tasks.broker import build_broker


@contextlib.asynccontextmanager
async def background(settings: Settings, db: Database) -> AsyncIterator[OutboxRelay | None]:
    """Run the relay (and, with no broker configured, a worker) for the life of the block."""
    if not settings.background:
        yield None
        return
    broker = build_broker(
        settings.broker_url,
        heartbeat_ms=settings.broker_heartbeat_ms,
        maintenance_chance=settings.broker_maintenance_chance,
    )
    actors = register(broker, database_url=settings.database_url)
    worker = None
    if settings.broker_url is None:
        worker = dramatiq.Worker(broker, worker_threads=settings.worker_threads)
        worker.start()
    relay = OutboxRelay(db, routing_handlers(actors.route_order.send))
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield relay
    finally:
        stop.set()
        await task
        if worker is not None:
            await asyncio.to_thread(worker.stop)
        broker.close()
