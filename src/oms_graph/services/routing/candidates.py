"""What the routing engine is given: the candidate locations, with their free units of the skus (and, to
ship, today's capacity left), read in one statement."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, time
from typing import Any

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.dialect import connection_of
from oms_graph.db.models import Fulfilment, Location, StockLevel
from oms_graph.domain import routing as scoring
from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.domain.orders import FulfilmentMethod
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


CANDIDATES = (
    select(
        *CANDIDATE_FIELDS,
        Location.kind,
        StockLevel.sku,
        _units,
        case((Location.daily_ship_capacity.is_(None), None), else_=Location.daily_ship_capacity - _assigned_today),
    )
    .join(StockLevel, StockLevel.location_id == Location.id)
    .where(
        StockLevel.sku.in_(bindparam("b_skus", expanding=True)),
        Location.active.is_(True),
        Location.can_ship.is_(True),
        _units > 0,
    )
)


async def candidates(session: AsyncSession, skus: list[str], now: datetime) -> list[scoring.Candidate]:
    """Active SHIP locations holding any of the skus, with their available units and today's capacity."""
    midnight = datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
    rows = await (await connection_of(session)).execute(CANDIDATES, {"b_skus": skus, "b_midnight": midnight})
    stock: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    found: dict[uuid.UUID, Any] = {}
    for row in rows:
        found[row[0]] = row
        stock[row[0]][row[8]] = row[9]
    return [
        candidate(row, stock[loc_id], is_store=row[7] == "STORE", capacity_left=row[10])
        for loc_id, row in found.items()
    ]
