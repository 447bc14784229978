"""Reading fulfilments: a location's queue, one by id, an order's at a location; within what a key may see."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import Fulfilment, Location
from oms_graph.domain.access import Principal
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.services.orders.reads import get_order


@dataclass(frozen=True)
class FulfilmentPage:
    fulfilments: list[Fulfilment]
    has_next: bool


async def location_queue(
    session: AsyncSession,
    *,
    principal: Principal,
    location_code: str,
    statuses: Sequence[FulfilmentStatus] | None,
    first: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> FulfilmentPage:
    """A location's fulfilments, oldest first (the order work is done in), optionally in some statuses."""
    if not principal.may_use_location(location_code):
        raise DomainError.one(ErrorCode.PERMISSION_DENIED, ["locationCode"], "a STORE key reads its own queue only")
    location_id = await session.scalar(select(Location.id).where(Location.code == location_code))
    if location_id is None:
        raise DomainError.one(ErrorCode.UNKNOWN_LOCATION, ["locationCode"], f"no location with code {location_code!r}")
    stmt = select(Fulfilment).where(Fulfilment.location_id == location_id)
    if statuses:
        stmt = stmt.where(Fulfilment.status.in_(list(statuses)))
    if after is not None:
        at, last = after
        stmt = stmt.where(or_(Fulfilment.created_at > at, and_(Fulfilment.created_at == at, Fulfilment.id > last)))
    rows = list(await session.scalars(stmt.order_by(Fulfilment.created_at, Fulfilment.id).limit(first + 1)))
    return FulfilmentPage(rows[:first], len(rows) > first)


async def get_fulfilment(session: AsyncSession, *, fulfilment_id: uuid.UUID, principal: Principal) -> Fulfilment | None:
    """A fulfilment, if the key may read its order."""
    found = await session.get(Fulfilment, fulfilment_id)
    if found is None or await get_order(session, principal=principal, order_id=found.order_id) is None:
        return None
    return found


async def fulfilments_at(session: AsyncSession, *, order_id: uuid.UUID, location_id: uuid.UUID) -> list[Fulfilment]:
    """An order's fulfilments at one location."""
    rows = await session.scalars(
        select(Fulfilment).where(Fulfilment.order_id == order_id, Fulfilment.location_id == location_id)
    )
    return list(rows)
