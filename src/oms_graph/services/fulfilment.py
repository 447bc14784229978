"""Fulfilments: the stock they hold at their location, and what of an order none holds."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import Fulfilment, FulfilmentLine, OrderLine, StockLevel
from oms_graph.domain.fulfilment import HOLDING_STOCK, FulfilmentStatus

ORDERED = select(OrderLine.sku, OrderLine.quantity - OrderLine.quantity_cancelled).where(
    OrderLine.order_id == bindparam("b_order")
)
HELD = (
    select(FulfilmentLine.sku, func.sum(FulfilmentLine.quantity))
    .join(Fulfilment, Fulfilment.id == FulfilmentLine.fulfilment_id)
    .where(
        Fulfilment.order_id == bindparam("b_order"),
        Fulfilment.status.notin_([FulfilmentStatus.CANCELLED.value, FulfilmentStatus.REJECTED.value]),
    )
    .group_by(FulfilmentLine.sku)
)


async def release_fulfilments(session: AsyncSession, *, order_id: uuid.UUID, now: datetime) -> None:
    """Cancel the order's fulfilments that still hold stock, giving their reservations back."""
    held = (
        await session.execute(
            select(Fulfilment.id, Fulfilment.location_id, FulfilmentLine.sku, FulfilmentLine.quantity)
            .join(FulfilmentLine, FulfilmentLine.fulfilment_id == Fulfilment.id)
            .where(Fulfilment.order_id == order_id, Fulfilment.status.in_([s.value for s in HOLDING_STOCK]))
            .order_by(FulfilmentLine.sku, Fulfilment.location_id)
        )
    ).all()
    for _, location_id, sku, quantity in held:
        await session.execute(
            update(StockLevel)
            .where(StockLevel.sku == sku, StockLevel.location_id == location_id)
            .values(reserved=StockLevel.reserved - quantity, updated_at=now)
        )
    if held:
        await session.execute(
            update(Fulfilment)
            .where(Fulfilment.id.in_({row.id for row in held}))
            .values(status=FulfilmentStatus.CANCELLED.value, updated_at=now)
        )


async def unallocated(session: AsyncSession, *, order_id: uuid.UUID) -> dict[str, int]:
    """Units per sku the order still wants that no live fulfilment holds (not cancelled, not rejected)."""
    conn = await session.connection()
    demand: dict[str, int] = {}
    for sku, quantity in await conn.execute(ORDERED, {"b_order": order_id}):
        demand[sku] = demand.get(sku, 0) + quantity
    for sku, quantity in await conn.execute(HELD, {"b_order": order_id}):
        demand[sku] = demand.get(sku, 0) - int(quantity)
    return {sku: units for sku, units in demand.items() if units > 0}
