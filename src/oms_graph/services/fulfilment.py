"""Fulfilments: the stock they hold at their location, and what of an order none holds."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import Fulfilment, FulfilmentLine, OrderLine, StockLevel
from oms_graph.domain.fulfilment import HOLDING_STOCK, FulfilmentStatus
from oms_graph.domain.orders import FulfilmentMethod

ORDERED = select(OrderLine.order_id, OrderLine.sku, OrderLine.quantity - OrderLine.quantity_cancelled).where(
    OrderLine.order_id.in_(bindparam("b_orders", expanding=True))
)
HELD = (
    select(Fulfilment.order_id, FulfilmentLine.sku, func.sum(FulfilmentLine.quantity))
    .join(Fulfilment, Fulfilment.id == FulfilmentLine.fulfilment_id)
    .where(
        Fulfilment.order_id.in_(bindparam("b_orders", expanding=True)),
        Fulfilment.status.notin_([FulfilmentStatus.CANCELLED.value, FulfilmentStatus.REJECTED.value]),
    )
    .group_by(Fulfilment.order_id, FulfilmentLine.sku)
)


async def release_fulfilments(session: AsyncSession, *, order_id: uuid.UUID, now: datetime) -> dict[str, int]:
    """Cancel the order's fulfilments that still hold stock, giving their reservations back (a delivery
    fulfilment's units were routed from the promise: `routed` goes down with `reserved`). Returns the units
    per sku the delivery fulfilments held, which the caller takes off the promise or routes again."""
    held = (
        await session.execute(
            select(
                Fulfilment.id, Fulfilment.location_id, Fulfilment.method, FulfilmentLine.sku, FulfilmentLine.quantity
            )
            .join(FulfilmentLine, FulfilmentLine.fulfilment_id == Fulfilment.id)
            .where(Fulfilment.order_id == order_id, Fulfilment.status.in_([s.value for s in HOLDING_STOCK]))
        )
    ).all()
    delivered: dict[str, int] = {}
    for _, location_id, method, sku, quantity in sorted(held, key=lambda row: (row.sku, row.location_id)):
        routed = method == FulfilmentMethod.DELIVERY.value
        await session.execute(
            update(StockLevel)
            .where(StockLevel.sku == sku, StockLevel.location_id == location_id)
            .values(
                reserved=StockLevel.reserved - quantity,
                routed=StockLevel.routed - (quantity if routed else 0),
                updated_at=now,
            )
        )
        if routed:
            delivered[sku] = delivered.get(sku, 0) + quantity
    if held:
        await session.execute(
            update(Fulfilment)
            .where(Fulfilment.id.in_({row.id for row in held}))
            .values(status=FulfilmentStatus.CANCELLED.value, updated_at=now)
        )
    return delivered


async def unallocated(session: AsyncSession, *, order_id: uuid.UUID) -> dict[str, int]:
    """Units per sku the order still wants that no live fulfilment holds (not cancelled, not rejected)."""
    return (await unallocated_of(session, [order_id]))[order_id]


async def unallocated_of(session: AsyncSession, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    """`unallocated` for several orders in two statements."""
    conn = await session.connection()
    demand: dict[uuid.UUID, dict[str, int]] = {order_id: {} for order_id in order_ids}
    for order_id, sku, quantity in await conn.execute(ORDERED, {"b_orders": order_ids}):
        demand[order_id][sku] = demand[order_id].get(sku, 0) + quantity
    for order_id, sku, quantity in await conn.execute(HELD, {"b_orders": order_ids}):
        demand[order_id][sku] = demand[order_id].get(sku, 0) - int(quantity)
    return {order_id: {sku: units for sku, units in lines.items() if units > 0} for order_id, lines in demand.items()}
