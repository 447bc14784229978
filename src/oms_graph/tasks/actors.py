"""Actors, named area.verb: thin, they take ids, open their own transaction and call a service."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from dataclasses import dataclass

import dramatiq
from dramatiq.middleware import Middleware

from oms_graph.config import get_settings
from oms_graph.db.engine import Database, create_database
from oms_graph.services import orders, routing

log = logging.getLogger(__name__)
MAX_RETRIES = 8

_databases: dict[int, Database] = {}
_database_url: str | None = None


def database() -> Database:
    """The actors' database, one engine per event loop (the worker's loop thread, or a test's loop)."""
    key = id(asyncio.get_running_loop())
    if key not in _databases:
        _databases[key] = create_database(_database_url or get_settings().database_url)
    return _databases[key]


async def route_order(order_id: str) -> None:
    pause = float(os.environ.get("OMS_TEST_ROUTE_PAUSE", "0"))  # lets a test kill a worker mid-routing
    async with database().write() as session:
        await routing.route_order(session, order_id=uuid.UUID(order_id))
        if pause:
            await asyncio.sleep(pause)


async def record_failure(order_id: str, actor_name: str, error: str) -> None:
    async with database().write() as session:
        await orders.append_event(
            session,
            order_id=uuid.UUID(order_id),
            type="TASK_FAILED",
            actor="system",
            data={"task": actor_name, "error": error[:500]},
        )


class FailureEvents(Middleware):
    """A message that failed its last retry leaves a TASK_FAILED event on its order, never a silent drop."""

    def after_process_message(self, broker, message, *, result=None, exception=None):  # type: ignore[no-untyped-def]
        if exception is None or not message.failed or not message.args:
            return
        from dramatiq.asyncio import get_event_loop_thread

        loop_thread = get_event_loop_thread()
        if loop_thread is not None:
            loop_thread.run_coroutine(record_failure(str(message.args[0]), message.actor_name, repr(exception)))


@dataclass(frozen=True)
class Actors:
    route_order: dramatiq.Actor[[str], None]


def register(broker: dramatiq.Broker, *, database_url: str | None = None) -> Actors:
    """Declare the actors on a broker (once per broker); they use `database_url` or the configured one."""
    global _database_url
    _database_url = database_url
    broker.add_middleware(FailureEvents())
    declare = dramatiq.actor(
        actor_name="order.route",
        queue_name="routing",
        broker=broker,
        max_retries=MAX_RETRIES,
        min_backoff=200,
        max_backoff=30_000,
        time_limit=60_000,
        max_age=24 * 3600 * 1000,
    )
    return Actors(route_order=declare(route_order))
