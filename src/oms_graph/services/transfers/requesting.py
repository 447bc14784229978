"""Requesting a transfer: its units reserved at the source, its rows and TRANSFER_REQUESTED in the caller's
transaction; where units can come from (sources ranked by the routing engine), and how long they take."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.dialect import insert_rows, next_in_sequence
from oms_graph.db.models import Location, StockLevel, Transfer, TransferLine
from oms_graph.domain import routing as scoring
from oms_graph.domain import transfers as rules
from oms_graph.domain.events import EventType
from oms_graph.domain.transfers import TransferStatus
from oms_graph.services.outbox import append_event
from oms_graph.services.routing.candidates import CANDIDATE_FIELDS, candidate
from oms_graph.services.stock import figures, ledger

transfers_table = cast(Table, Transfer.__table__)
lines_table = cast(Table, TransferLine.__table__)


@dataclass(frozen=True)
class Request:
    """A transfer to write: from where to where, the units per sku, and why (with the order it serves)."""

    source: Location
    destination: Location
    units: Mapping[str, int]
    reason: str
    actor: str
    at: datetime
    order_id: uuid.UUID | None = None
    fulfilment_id: uuid.UUID | None = None


async def reserve_at_source(session: AsyncSession, request: Request, promised: Mapping[str, int]) -> list[str]:
    """Reserve the units at the source (at a SHIP location the skus' network promise stays covered, read
    under the product locks the caller took: `promised`). The skus it has too few of; on any, what was
    reserved is given back and nothing stays changed."""
    taken: dict[tuple[str, uuid.UUID], int] = {}
    short = []
    for sku, n in sorted(request.units.items()):
        if await ledger.reserve(
            session, sku=sku, location=request.source, quantity=n, at=request.at, promised=promised.get(sku, 0)
        ):
            taken[(sku, request.source.id)] = n
        else:
            short.append(sku)
    if short and taken:
        await ledger.release(session, units=taken, routed=False, at=request.at)
    return short


async def write_transfer(session: AsyncSession, request: Request, *, expected_at: datetime) -> Transfer:
    """The transfer (REQUESTED) and its lines, and TRANSFER_REQUESTED; the units are reserved already."""
    seq = await next_in_sequence(session, transfers_table, column_name="seq", sequence="transfer_number_seq")
    transfer = Transfer(
        id=uuid.uuid4(),
        seq=seq,
        number=rules.transfer_number(seq),
        from_location_id=request.source.id,
        to_location_id=request.destination.id,
        status=TransferStatus.REQUESTED,
        reason=request.reason,
        order_id=request.order_id,
        fulfilment_id=request.fulfilment_id,
        expected_at=expected_at,
        created_by=request.actor,
        created_at=request.at,
        updated_at=request.at,
    )
    session.add(transfer)
    await session.flush()
    await insert_rows(
        session,
        lines_table,
        [
            {"id": uuid.uuid4(), "transfer_id": transfer.id, "sku": sku, "quantity": n}
            for sku, n in sorted(request.units.items())
        ],
    )
    await append_event(
        session,
        order_id=request.order_id,
        transfer_id=transfer.id,
        type=EventType.TRANSFER_REQUESTED,
        actor=request.actor,
        at=request.at,
        data={
            "transfer": str(transfer.id),
            "number": transfer.number,
            "from": request.source.code,
            "to": request.destination.code,
            "lines": dict(sorted(request.units.items())),
            "reason": request.reason,
            "expectedAt": expected_at.isoformat(),
        },
    )
    return transfer


_SOURCES = (  # plain columns: many rows per location, and only the chosen ones are loaded whole
    select(*CANDIDATE_FIELDS, StockLevel.sku, figures.AVAILABLE.label("available"))
    .join(StockLevel, StockLevel.location_id == Location.id)
    .where(
        StockLevel.sku.in_(bindparam("b_skus", expanding=True)),
        Location.active.is_(True),
        Location.id.notin_(bindparam("b_exclude", expanding=True)),
        figures.AVAILABLE > 0,
    )
)


@dataclass(frozen=True)
class Sourcing:
    """Where a destination's units can come from: per source location, its units; and what none has."""

    parts: list[tuple[Location, dict[str, int]]]
    missing: dict[str, int]
    explained: dict[str, Any] | None


async def sources(
    session: AsyncSession,
    *,
    destination: Location,
    units: Mapping[str, int],
    exclude: set[uuid.UUID],
    profile: scoring.Profile,
) -> Sourcing:
    """Plan where the units come from: the routing engine ranks the active locations holding them (any kind:
    a store may send to a store) by the road to the destination, cost, priority and splits. What no plan
    covers, sku by sku, is `missing`."""
    rows = await session.execute(_SOURCES, {"b_skus": sorted(units), "b_exclude": [destination.id, *exclude]})
    found: dict[uuid.UUID, Any] = {}
    stock: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    for row in rows:
        found[row.id] = row
        stock[row.id][row.sku] = int(row.available)
    candidates = [candidate(row, stock[location_id]) for location_id, row in found.items()]
    wanted = dict(units)
    demand = scoring.Demand(
        lines=wanted, destination=(destination.latitude, destination.longitude), region=destination.region
    )
    profile = replace(profile, allow_ship_from_store=True)  # a store may send to a store
    decision = scoring.route(demand, candidates, profile, alternatives=0)
    if decision.chosen is None:  # not all of it anywhere: bring what can be brought, sku by sku
        coverable = {sku: min(n, sum(c.stock.get(sku, 0) for c in candidates)) for sku, n in wanted.items()}
        coverable = {sku: n for sku, n in coverable.items() if n > 0}
        missing = {sku: n - coverable.get(sku, 0) for sku, n in wanted.items() if n > coverable.get(sku, 0)}
        if not coverable:
            return Sourcing([], missing, None)
        decision = scoring.route(
            scoring.Demand(lines=coverable, destination=demand.destination, region=demand.region),
            candidates,
            profile,
            alternatives=0,
        )
        if decision.chosen is None:
            return Sourcing([], wanted, None)
    else:
        missing = {}
    parts = [
        (await session.get_one(Location, cast(uuid.UUID, a.location.id)), dict(a.lines))
        for a in decision.chosen.allocations
    ]
    explained = {
        "score": decision.chosen.score,
        "factors": [{"name": f.name, "value": f.value, "weight": f.weight} for f in decision.chosen.factors],
        "allocations": [
            {
                "locationId": str(a.location.id),
                "locationCode": a.location.code,
                "lines": [{"sku": s, "quantity": q} for s, q in sorted(a.lines.items())],
                "distanceKm": a.distance_km,
                "cost": a.cost,
                "transferToId": str(destination.id),
            }
            for a in decision.chosen.allocations
        ],
    }
    return Sourcing(parts, missing, explained)
