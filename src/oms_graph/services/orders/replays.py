"""Replays of a placement: the channel's order with the same idempotency key (or external id) is the answer,
when it came with the same input; IDEMPOTENCY_CONFLICT when the key came with other input."""

from __future__ import annotations

import uuid
from typing import cast

from sqlalchemy import Table, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import Order
from oms_graph.domain.errors import DomainError, ErrorCode

orders_table = cast(Table, Order.__table__)


class AlreadyPlaced(Exception):
    """The channel already has an order with this idempotency key or external id; roll back and replay."""

    def __init__(self, channel_id: uuid.UUID, idempotency_key: str, external_id: str | None, digest: str) -> None:
        super().__init__(idempotency_key)
        self.channel_id, self.idempotency_key, self.external_id, self.digest = (
            channel_id,
            idempotency_key,
            external_id,
            digest,
        )


async def replayed_order(session: AsyncSession, *, already: AlreadyPlaced) -> uuid.UUID:
    """The order an AlreadyPlaced points at; IDEMPOTENCY_CONFLICT when the same key came with other input."""
    found = await existing_order(session, already.channel_id, already.idempotency_key, already.external_id)
    if found is None:  # the other placement rolled back after all
        raise DomainError.one(
            ErrorCode.IDEMPOTENCY_CONFLICT,
            ["input", "idempotencyKey"],
            "a concurrent placement with this key did not complete; retry",
        )
    order_id, key, digest = found
    if key == already.idempotency_key and digest != already.digest:
        raise DomainError.one(
            ErrorCode.IDEMPOTENCY_CONFLICT,
            ["input", "idempotencyKey"],
            f"idempotency key {already.idempotency_key!r} was used for a different order",
        )
    return order_id


async def existing_order(
    session: AsyncSession, channel_id: uuid.UUID, idempotency_key: str, external_id: str | None
) -> tuple[uuid.UUID, str, str] | None:
    """(id, idempotency key, request hash) of the channel's order with this key (or external id)."""
    match = orders_table.c.idempotency_key == idempotency_key
    if external_id is not None:
        match = or_(match, orders_table.c.external_id == external_id)
    rows = (
        await session.execute(
            select(orders_table.c.id, orders_table.c.idempotency_key, orders_table.c.request_hash).where(
                orders_table.c.channel_id == channel_id, match
            )
        )
    ).all()
    if not rows:
        return None
    found = next((r for r in rows if r.idempotency_key == idempotency_key), rows[0])
    return found.id, found.idempotency_key, found.request_hash
