"""Backorders back in line: orders waiting for stock go back to routing when units of their skus come in
or are freed (a count up, a receipt, a return, a cancellation, a rejection that leaves the units on the
shelf, an expired pickup, a location made active), and a sweep retries those the free units can serve,
oldest first, so neither the backorder nor the freed units wait."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import Location, Order, OrderLine, StockLevel
from oms_graph.domain.events import EventType
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus
from oms_graph.services.fulfilment.allocation import unallocated_of
from oms_graph.services.outbox import append_event
from oms_graph.services.stock import figures

SWEEP_BATCH = 200  # backorders one sweep looks at, oldest first


async def requeue_backorders(session: AsyncSession, *, skus: Iterable[str], actor: str | None) -> int:
    """Units of these skus came in or were freed: their backordered orders go back to PLACED for routing,
    oldest first (routing serves them in that order with what there is).

    Orders another transaction is changing are skipped (SKIP LOCKED), which also keeps a stock sync
    from waiting on, or deadlocking with, a cancellation."""
    wanted = sorted(set(skus))
    if not wanted:
        return 0
    backordered = (
        await session.execute(
            select(Order.id, Order.number)
            .where(
                Order.status == OrderStatus.BACKORDERED,
                Order.id.in_(select(OrderLine.order_id).where(OrderLine.sku.in_(wanted))),
            )
            .order_by(Order.seq)
            .with_for_update(skip_locked=True)
        )
    ).all()
    now = utcnow()
    for order_id, number in backordered:
        await _requeue(session, order_id=order_id, number=number, skus=wanted, actor=actor, now=now)
    return len(backordered)


async def requeue_servable(session: AsyncSession, *, actor: str | None) -> int:
    """The sweep: the oldest backorders whose every unit the free stock can serve now (positive available
    at active SHIP locations, less what orders already back in line want, handed to the oldest first) go
    back to routing; how many."""
    waiting = (
        await session.execute(
            select(Order.id, Order.number)
            .where(Order.status == OrderStatus.BACKORDERED)
            .order_by(Order.seq)
            .limit(SWEEP_BATCH)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not waiting:
        return 0
    demands = await unallocated_of(session, [order_id for order_id, _ in waiting])
    skus = sorted({sku for demand in demands.values() for sku in demand})
    free = dict(
        (
            await session.execute(
                select(StockLevel.sku, func.sum(figures.AVAILABLE))
                .join(Location, Location.id == StockLevel.location_id)
                .where(
                    StockLevel.sku.in_(skus),
                    Location.active.is_(True),
                    Location.can_ship.is_(True),
                    figures.AVAILABLE > 0,
                )
                .group_by(StockLevel.sku)
            )
        ).all()
    )
    # Orders already back in line (PLACED, not yet routed) will take their units first.
    queued = await session.scalars(
        select(Order.id).where(
            Order.status == OrderStatus.PLACED,
            Order.delivery_method == FulfilmentMethod.DELIVERY,
            Order.id.in_(select(OrderLine.order_id).where(OrderLine.sku.in_(skus))),
        )
    )
    for demand in (await unallocated_of(session, list(queued))).values():
        free.update({sku: free.get(sku, 0) - n for sku, n in demand.items() if sku in free})
    servable = []
    for order_id, number in waiting:
        demand = demands[order_id]
        if demand and all(free.get(sku, 0) >= n for sku, n in demand.items()):
            free.update({sku: free[sku] - n for sku, n in demand.items()})
            servable.append((order_id, number, sorted(demand)))
    now = utcnow()
    for order_id, number, order_skus in servable:
        await _requeue(session, order_id=order_id, number=number, skus=order_skus, actor=actor, now=now)
    return len(servable)


async def _requeue(
    session: AsyncSession, *, order_id: uuid.UUID, number: str, skus: list[str], actor: str | None, now: datetime
) -> None:
    await session.execute(update(Order).where(Order.id == order_id).values(status=OrderStatus.PLACED, updated_at=now))
    await append_event(
        session,
        order_id=order_id,
        type=EventType.ORDER_REQUEUED,
        actor=actor,
        at=now,
        data={"number": number, "skus": skus},
    )
