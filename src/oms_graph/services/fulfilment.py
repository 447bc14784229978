"""Fulfilments: the stock they hold at their location."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import Fulfilment, FulfilmentLine, StockLevel
from oms_graph.domain.fulfilment import HOLDING_STOCK, FulfilmentStatus


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
