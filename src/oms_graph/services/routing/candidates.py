"""What the routing engine is given: the candidate locations, with their free units of the skus (and, to
ship, today's capacity left), read in one statement."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.dialect import connection_of
from oms_graph.db.models import Fulfilment, Location, LocationDay, StockLevel
from oms_graph.domain import routing as scoring
from oms_graph.domain.calendars import Calendar, Day, capacity_left, weekdays_of
from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.domain.orders import FulfilmentMethod
from oms_graph.services import calendars
from oms_graph.services.stock import figures

_units = figures.AVAILABLE
_assigned_today = (
    select(func.count())
    .where(
        Fulfilment.location_id == Location.id,
        Fulfilment.method == FulfilmentMethod.DELIVERY,
        Fulfilment.created_at >= bindparam("b_midnight"),
        Fulfilment.status.notin_([FulfilmentStatus.CANCELLED, FulfilmentStatus.REJECTED]),
    )
    .correlate(Location)
    .scalar_subquery()
)
# What the routing engine knows of a location: a Candidate's first fields, in their order.
CANDIDATE_FIELDS = (
    Location.id,
    Location.code,
    Location.latitude,
    Location.longitude,
    Location.region,
    Location.priority,
    Location.handling_cost,
)


def candidate(
    row: Any, stock: dict[str, int], *, is_store: bool = False, capacity_left: int | None = None
) -> scoring.Candidate:
    """The engine's candidate from a row that starts with CANDIDATE_FIELDS."""
    location_id, code, latitude, longitude, region, priority, handling_cost = row[: len(CANDIDATE_FIELDS)]
    return scoring.Candidate(
        id=location_id,
        code=code,
        latitude=latitude,
        longitude=longitude,
        region=region,
        priority=priority,
        handling_cost=handling_cost,
        is_store=is_store,
        capacity_left=capacity_left,
        stock=stock,
    )


# The locations of one time zone (b_zone), their day being b_today (which began at b_midnight): with their
# calendar's parts for that day (the weekdays they open, the day of their own if any) and what they were
# assigned since.
CANDIDATES = (
    select(
        *CANDIDATE_FIELDS,
        Location.kind,
        StockLevel.sku,
        _units,
        Location.daily_ship_capacity,
        _assigned_today,
        Location.time_zone,
        Location.cutoff_hour,
        Location.opening,
        LocationDay.closed,
        LocationDay.capacity,
    )
    .join(StockLevel, StockLevel.location_id == Location.id)
    .outerjoin(LocationDay, (LocationDay.location_id == Location.id) & (LocationDay.day == bindparam("b_today")))
    .where(
        StockLevel.sku.in_(bindparam("b_skus", expanding=True)),
        Location.active.is_(True),
        Location.can_ship.is_(True),
        Location.time_zone == bindparam("b_zone"),
        _units > 0,
    )
)


async def candidates(session: AsyncSession, skus: list[str], now: datetime) -> list[scoring.Candidate]:
    """Active SHIP locations holding any of the skus, with their available units and what they can still
    take on their own day (in their time zone: none when closed, the day's own capacity when it has one):
    one statement per time zone the shipping locations are in, after one that finds those."""
    conn = await connection_of(session)
    stock: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    found: dict[uuid.UUID, Any] = {}
    for zone in await calendars.shipping_zones(session):
        day = Calendar(time_zone=zone)
        params = {"b_skus": skus, "b_zone": zone, "b_today": day.today(now), "b_midnight": day.midnight(now)}
        for row in await conn.execute(CANDIDATES, params):
            found[row[0]] = row
            stock[row[0]][row[8]] = row[9]
    return [
        candidate(row, stock[location_id], is_store=row[7] == "STORE", capacity_left=_left(row, now))
        for location_id, row in found.items()
    ]


def _left(row: Any, now: datetime) -> int | None:
    """What the location can still take today, by its calendar for the day (from the CANDIDATES row)."""
    daily, assigned, zone, cutoff, opening, closed, capacity = row[10:17]
    today = Calendar(time_zone=zone).today(now)
    own = {today: Day(bool(closed), capacity)} if closed is not None else {}  # a day of its own
    return capacity_left(Calendar(zone, cutoff, weekdays_of(opening), daily, own), now, int(assigned))
