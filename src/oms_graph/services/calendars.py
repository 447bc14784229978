"""Location calendars as data: a location's own days (closed, or another shipping capacity; ADMIN and
INTEGRATION set them, audited), and the calendars routing, placement and deliveryOptions date things by."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.dialect import insert_for
from oms_graph.db.models import Location, LocationDay
from oms_graph.domain import calendars as rules
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.services import audit

MAX_DAYS = 1000


class DayFields(Protocol):
    location_code: str
    day: date
    closed: bool | None
    capacity: int | None
    note: str | None


def calendar_of(location: Any, days: dict[date, rules.Day] | None = None) -> rules.Calendar:
    """A location row's calendar (with its own days, when read)."""
    opens, closes = rules.hours_of(location.opening)
    return rules.Calendar(
        time_zone=location.time_zone,
        cutoff_hour=location.cutoff_hour,
        weekdays=rules.weekdays_of(location.opening),
        daily_capacity=location.daily_ship_capacity,
        days=days or {},
        opens=opens,
        closes=closes,
    )


async def calendars(
    session: AsyncSession, *, locations: Iterable[Location], at: datetime
) -> dict[uuid.UUID, rules.Calendar]:
    """The locations' calendars with their own days from yesterday on, for a month (one statement)."""
    by_id = {location.id: location for location in locations}
    if not by_id:
        return {}
    first = at.date() - timedelta(days=1)  # a zone ahead of UTC is a day further already
    own: dict[uuid.UUID, dict[date, rules.Day]] = defaultdict(dict)
    for row in await session.scalars(
        select(LocationDay).where(
            LocationDay.location_id.in_(list(by_id)),
            LocationDay.day >= first,
            LocationDay.day <= first + timedelta(days=rules.LOOK_AHEAD_DAYS),
        )
    ):
        own[row.location_id][row.day] = rules.Day(row.closed, row.capacity, row.note)
    return {location_id: calendar_of(location, own[location_id]) for location_id, location in by_id.items()}


async def of_locations(
    session: AsyncSession, *, ids: Iterable[uuid.UUID], at: datetime
) -> dict[uuid.UUID, rules.Calendar]:
    """`calendars` of the locations of these ids (two statements; none without ids)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return await calendars(
        session, locations=await session.scalars(select(Location).where(Location.id.in_(wanted))), at=at
    )


async def shipping_zones(session: AsyncSession) -> list[str]:
    """The time zones of the locations that ship (routing counts each one's day in its own)."""
    found = await session.scalars(
        select(Location.time_zone).where(Location.active.is_(True), Location.can_ship.is_(True)).distinct()
    )
    return sorted(found)


async def set_location_days(session: AsyncSession, *, inputs: Sequence[DayFields], actor: str) -> list[LocationDay]:
    """Set days of locations' own, all or none: closed (with a note: a holiday, a blackout) and/or a
    shipping capacity for that date; a day neither closed nor with a capacity is forgotten."""
    errors = ErrorList()
    if not 0 < len(inputs) <= MAX_DAYS:
        errors.add(ErrorCode.INVALID_INPUT, ["input"], f"1 to {MAX_DAYS} days")
    codes = {i.location_code for i in inputs}
    found = {loc.code: loc for loc in await session.scalars(select(Location).where(Location.code.in_(codes)))}
    seen: set[tuple[str, date]] = set()
    for n, given in enumerate(inputs):
        if given.location_code not in found:
            errors.add(ErrorCode.UNKNOWN_LOCATION, ["input", n, "locationCode"], f"no location {given.location_code!r}")
        if given.capacity is not None and given.capacity < 0:
            errors.add(ErrorCode.INVALID_INPUT, ["input", n, "capacity"], "must not be negative")
        if given.note is not None and len(given.note) > 200:
            errors.add(ErrorCode.INVALID_INPUT, ["input", n, "note"], "at most 200 characters")
        if (given.location_code, given.day) in seen:
            errors.add(ErrorCode.INVALID_INPUT, ["input", n, "day"], "the same location and day twice")
        seen.add((given.location_code, given.day))
    errors.raise_if_any()
    changes, kept = [], []
    for given in inputs:
        location = found[given.location_code]
        key = (LocationDay.location_id == location.id, LocationDay.day == given.day)
        if not given.closed and given.capacity is None:
            await session.execute(delete(LocationDay).where(*key))
            after = None
        else:
            row = {"closed": bool(given.closed), "capacity": given.capacity, "note": given.note}
            statement = insert_for(session, LocationDay).values(location_id=location.id, day=given.day, **row)
            await session.execute(statement.on_conflict_do_update(index_elements=["location_id", "day"], set_=row))
            after = {"closed": row["closed"], "capacity": given.capacity, "note": given.note}
            kept.append((location.id, given.day))
        changes.append(audit.changed("LocationDay", f"{location.code}@{given.day.isoformat()}", None, after))
    await audit.record(session, changes)
    if not kept:
        return []
    rows = await session.scalars(
        select(LocationDay)
        .where(LocationDay.location_id.in_({k[0] for k in kept}), LocationDay.day.in_({k[1] for k in kept}))
        .execution_options(populate_existing=True)
    )
    return [row for row in rows if (row.location_id, row.day) in set(kept)]


async def location_days(session: AsyncSession, *, location_code: str, start: date, end: date) -> list[LocationDay]:
    """A location's own days in [start, end], in date order."""
    location = await session.scalar(select(Location).where(Location.code == location_code))
    if location is None:
        raise DomainError.one(ErrorCode.UNKNOWN_LOCATION, ["locationCode"], f"no location {location_code!r}")
    if not start <= end <= start + timedelta(days=MAX_DAYS):
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["to"], f"from `from` up to {MAX_DAYS} days after it")
    rows = await session.scalars(
        select(LocationDay)
        .where(LocationDay.location_id == location.id, LocationDay.day >= start, LocationDay.day <= end)
        .order_by(LocationDay.day)
    )
    return list(rows)
