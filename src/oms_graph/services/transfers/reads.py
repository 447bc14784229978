"""Reading transfers: one, or a location's (outbound, inbound or both), scoped to what the caller may see."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import Location, Transfer
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.transfers import TransferStatus

MAX_PAGE = 200


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """A STORE key sees the transfers from or to its location; the other roles that read see all."""
    if principal.role is Role.STORE:
        return or_(Transfer.from_location_id == principal.location_id, Transfer.to_location_id == principal.location_id)
    return true()


async def get_transfer(session: AsyncSession, *, principal: Principal, transfer_id: uuid.UUID) -> Transfer | None:
    return await session.scalar(select(Transfer).where(Transfer.id == transfer_id, visible_to(principal)))


async def list_transfers(
    session: AsyncSession,
    *,
    principal: Principal,
    location_code: str | None,
    direction: str | None,
    statuses: Sequence[TransferStatus] | None,
    order_id: uuid.UUID | None = None,
    first: int = 50,
) -> list[Transfer]:
    """Newest first; `direction` OUTBOUND (from the location), INBOUND (to it) or either."""
    if not 0 < first <= MAX_PAGE:
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["first"], f"1 to {MAX_PAGE}")
    query = select(Transfer).where(visible_to(principal))
    if location_code is not None:
        if not principal.may_use_location(location_code):
            raise DomainError.one(ErrorCode.PERMISSION_DENIED, ["locationCode"], "a STORE key reads its own location")
        location_id = await session.scalar(select(Location.id).where(Location.code == location_code))
        if location_id is None:
            raise DomainError.one(ErrorCode.UNKNOWN_LOCATION, ["locationCode"], f"no location {location_code!r}")
        ends = {
            "OUTBOUND": Transfer.from_location_id == location_id,
            "INBOUND": Transfer.to_location_id == location_id,
        }
        query = query.where(
            ends[direction] if direction in ends else or_(*ends.values())  # type: ignore[index]
        )
    if statuses:
        query = query.where(Transfer.status.in_(list(statuses)))
    if order_id is not None:
        query = query.where(Transfer.order_id == order_id)
    return list(await session.scalars(query.order_by(Transfer.created_at.desc(), Transfer.id).limit(first)))
