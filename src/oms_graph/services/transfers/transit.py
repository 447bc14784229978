"""How long a transfer takes between two locations: per pair as data (ADMIN, INTEGRATION), else a default by
distance (`domain.transfers.default_transit`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import insert_for
from oms_graph.db.models import Location, TransitTime
from oms_graph.domain import transfers as rules
from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.domain.geo import distance_km
from oms_graph.services import audit

MAX_HOURS = 60 * 24  # sixty days


class TransitTimeFields(Protocol):
    from_: str
    to: str
    hours: int | None  # None: forget the pair's own time (the default by distance applies)


async def transit_time(session: AsyncSession, *, source: Location, destination: Location) -> timedelta:
    """How long a transfer between the two takes: the pair's own time, else one by distance."""
    hours = await session.scalar(
        select(TransitTime.hours).where(
            TransitTime.from_location_id == source.id, TransitTime.to_location_id == destination.id
        )
    )
    if hours is not None:
        return timedelta(hours=hours)
    km = distance_km(source.latitude, source.longitude, destination.latitude, destination.longitude)
    return rules.default_transit(km)


async def set_transit_times(session: AsyncSession, *, inputs: Sequence[TransitTimeFields]) -> list[TransitTime]:
    """Set (or, with no hours, remove) the transit times of pairs of locations, all or none; the pairs' times
    as stored now."""
    errors = ErrorList()
    codes = {code for i in inputs for code in (i.from_, i.to)}
    found = {loc.code: loc for loc in await session.scalars(select(Location).where(Location.code.in_(codes)))}
    seen: set[tuple[str, str]] = set()
    for n, given in enumerate(inputs):
        for code, name in ((given.from_, "from"), (given.to, "to")):
            if code not in found:
                errors.add(ErrorCode.UNKNOWN_LOCATION, ["input", n, name], f"no location with code {code!r}")
        if given.from_ == given.to:
            errors.add(ErrorCode.INVALID_INPUT, ["input", n, "to"], "a transit time is between two locations")
        if given.hours is not None and not 0 < given.hours <= MAX_HOURS:
            errors.add(ErrorCode.INVALID_INPUT, ["input", n, "hours"], f"1 to {MAX_HOURS} hours, or null to remove")
        if (given.from_, given.to) in seen:
            errors.add(ErrorCode.INVALID_INPUT, ["input", n], f"{given.from_} to {given.to} is given twice")
        seen.add((given.from_, given.to))
    if not inputs:
        errors.add(ErrorCode.INVALID_INPUT, ["input"], "give at least one pair")
    errors.raise_if_any()
    changes = []
    for given in inputs:
        source, destination = found[given.from_], found[given.to]
        pair = (TransitTime.from_location_id == source.id, TransitTime.to_location_id == destination.id)
        before = await session.scalar(select(TransitTime.hours).where(*pair))
        if given.hours is None:
            await session.execute(delete(TransitTime).where(*pair))
        else:
            row = {"hours": given.hours, "updated_at": utcnow()}
            stmt = insert_for(session, TransitTime.__table__).values(
                from_location_id=source.id, to_location_id=destination.id, **row
            )
            await session.execute(
                stmt.on_conflict_do_update(index_elements=["from_location_id", "to_location_id"], set_=row)
            )
        key = f"{given.from_}->{given.to}"
        was = None if before is None else {"hours": before}
        now = None if given.hours is None else {"hours": given.hours}
        changes.append(audit.changed("TransitTime", key, was, now))
    await audit.record(session, changes)
    return await transit_times(session, location_code=None, pairs=seen)


async def transit_times(
    session: AsyncSession, *, location_code: str | None, pairs: set[tuple[str, str]] | None = None
) -> list[TransitTime]:
    """The pairs' own transit times (from or to a location, or those pairs), by source and destination code."""
    source, destination = aliased(Location), aliased(Location)
    query = (
        select(TransitTime, source.code, destination.code)
        .join(source, source.id == TransitTime.from_location_id)
        .join(destination, destination.id == TransitTime.to_location_id)
        .order_by(source.code, destination.code)
    )
    if location_code is not None:
        query = query.where((source.code == location_code) | (destination.code == location_code))
    rows = (await session.execute(query)).all()
    return [t for t, a, b in rows if pairs is None or (a, b) in pairs]
