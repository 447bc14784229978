"""The order event log, which is also the outbox: appended in the transaction of the change it describes."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import OrderEvent
from oms_graph.domain.events import EventType

events_table = cast(Table, OrderEvent.__table__)
APPEND_EVENT = insert(events_table)


async def append_event(
    session: AsyncSession,
    *,
    order_id: uuid.UUID,
    type: EventType,
    actor: str | None,
    data: dict[str, Any],
    at: Any = None,
) -> None:
    """Append to the order's event log (the outbox), in the caller's transaction."""
    await append_events(
        session, [{"order_id": order_id, "type": type, "actor": actor, "data": data, "at": at or utcnow()}]
    )


async def append_events(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    """Append events (order_id, type, actor, data, at) in one statement, in the order given."""
    if events:
        await (await session.connection()).execute(APPEND_EVENT, events)
