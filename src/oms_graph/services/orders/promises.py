"""The promise sweep: orders that may miss the date they were promised are flagged (ORDER_AT_RISK, once per
cause: a subscription event and a webhook like any other), and unflagged when nothing puts them at risk any
more. Causes: domain.promises."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import Fulfilment, Order
from oms_graph.domain import promises as rules
from oms_graph.domain.events import EventType
from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.domain.orders import OrderStatus
from oms_graph.services.outbox import append_event

BATCH = 500  # orders one sweep looks at


async def watch(session: AsyncSession, *, now: datetime, accept_within: timedelta, actor: str) -> int:
    """Flag the watched orders (promised something, not yet shipped whole) that may miss their date, each
    new cause with an ORDER_AT_RISK event; clear the flag of those no longer at risk. Orders another
    transaction is changing wait for the next sweep. How many were newly flagged."""
    watched = (
        select(Order)
        .where(Order.status.in_(sorted(rules.WATCHED)), Order.promised_date.is_not(None))
        .order_by(Order.promised_date, Order.seq)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    orders = list(await session.scalars(watched))
    if not orders:
        return 0
    parts: dict[uuid.UUID, list[rules.Part]] = defaultdict(list)
    rows = await session.execute(
        select(Fulfilment.order_id, Fulfilment.status, Fulfilment.updated_at, Fulfilment.expected_date).where(
            Fulfilment.order_id.in_([o.id for o in orders])
        )
    )
    for order_id, status, since, expected in rows:
        parts[order_id].append(rules.Part(FulfilmentStatus(status), since, expected))
    flagged = 0
    for order in orders:
        found = rules.causes(
            status=OrderStatus(order.status),
            promised=order.promised_date,
            expected=order.expected_date,
            supply_due_at=order.supply_due_at,
            parts=parts[order.id],
            now=now,
            accept_within=accept_within,
        )
        new = sorted(found - set(order.risk_causes or []))
        if new:
            order.risk_causes = sorted(set(order.risk_causes or []) | found)
            await append_event(
                session,
                order_id=order.id,
                type=EventType.ORDER_AT_RISK,
                actor=actor,
                at=now,
                data={"number": order.number, "causes": new, "promisedDate": str(order.promised_date)},
            )
            flagged += 1
        if order.at_risk != bool(found):
            order.at_risk = bool(found)
    return flagged
