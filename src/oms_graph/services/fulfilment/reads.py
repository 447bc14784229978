"""Reading fulfilments: a location's queue, one by id, an order's at a location; within what a key may see."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, or_, select
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


# A location's queue by its code, oldest first (the location is looked up only when the page is empty).
_QUEUE = (
    select(Fulfilment)
    .join(Location, Location.id == Fulfilment.location_id)
    .where(Location.code == bindparam("b_code"), Fulfilment.status.in_(bindparam("b_statuses", expanding=True)))
    .order_by(Fulfilment.created_at, Fulfilment.id)
    .limit(bindparam("b_limit"))
)
_QUEUE_AFTER = _QUEUE.where(
    or_(
        Fulfilment.created_at > bindparam("b_at"),
        and_(Fulfilment.created_at == bindparam("b_at"), Fulfilment.id > bindparam("b_last")),
    )
)
_LOCATION_ID = select(Location.id).where(Location.code == bindparam("b_code"))


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
    values = {"b_code": location_code, "b_statuses": list(statuses or FulfilmentStatus), "b_limit": first + 1}
    if after is None:
        rows = list(await session.scalars(_QUEUE, values))
    else:
        rows = list(await session.scalars(_QUEUE_AFTER, {**values, "b_at": after[0], "b_last": after[1]}))
    if not rows and await session.scalar(_LOCATION_ID, {"b_code": location_code}) is None:
        raise DomainError.one(ErrorCode.UNKNOWN_LOCATION, ["locationCode"], f"no location with code {location_code!r}")
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
