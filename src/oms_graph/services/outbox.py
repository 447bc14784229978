"""The order event log, which is also the outbox: appended in the transaction of the change it describes."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import connection_of
from oms_graph.db.engine import BEFORE_COMMIT
from oms_graph.db.models import OrderEvent
from oms_graph.domain.events import EventType

events_table = cast(Table, OrderEvent.__table__)
APPEND_EVENT = insert(events_table)


async def append_event(
    session: AsyncSession,
    *,
    order_id: uuid.UUID | None,
    type: EventType,
    actor: str | None,
    data: dict[str, Any],
    at: Any = None,
    transfer_id: uuid.UUID | None = None,
) -> None:
    """Append to the order's (or the transfer's) event log (the outbox), in the caller's transaction."""
    await append_events(
        session,
        [
            {
                "order_id": order_id,
                "transfer_id": transfer_id,
                "type": type,
                "actor": actor,
                "data": data,
                "at": at or utcnow(),
            }
        ],
    )


async def append_events(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    """Append events (order_id, transfer_id, type, actor, data, at: every key, so one statement writes them
    all), in the order given. In a write transaction they are gathered and written together just before it
    commits (one statement for all of a command's events); inside a savepoint, or in a session that commits
    otherwise, at once (a rolled-back savepoint takes its events with it)."""
    if not events:
        return
    later = session.info.get(BEFORE_COMMIT)
    if later is None or session.in_nested_transaction():
        await (await connection_of(session)).execute(APPEND_EVENT, events)
        return
    session.info.setdefault(PENDING_EVENTS, []).extend(events)
    later.setdefault(PENDING_EVENTS, _write_pending)


PENDING_EVENTS = "oms_pending_events"


async def _write_pending(session: AsyncSession) -> None:
    await session.flush()  # an order made in this transaction is written before its events
    await (await connection_of(session)).execute(APPEND_EVENT, session.info.pop(PENDING_EVENTS))
