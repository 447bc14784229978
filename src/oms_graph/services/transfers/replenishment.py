"""Replenishment: which stores run low of skus that sell there, and transfers from the warehouses to refill
them. Suggestions are read from the books as they stand (sales are the ledger's sale movements at the store
in the period); turning them into transfers reads them again in the writing transaction, so what is asked
of a warehouse is what it holds then."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import Location, StockLevel, StockMovement, Transfer, TransferLine
from oms_graph.domain import transfers as rules
from oms_graph.domain.access import Principal
from oms_graph.domain.catalog import LocationKind
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.fulfilment import SALE_REASONS
from oms_graph.domain.geo import distance_km
from oms_graph.services.stock import figures
from oms_graph.services.stock.availability import availability
from oms_graph.services.transfers.lifecycle import TransferLineFields, create_transfer

MAX_THRESHOLD, MAX_DAYS, MAX_SUGGESTIONS = 100_000, 365, 500


@dataclass(frozen=True)
class Suggestion:
    """Send `quantity` of a sku to a store from `source` (None: no warehouse has any free)."""

    store: Location
    sku: str
    available: int  # what the store can sell now
    inbound: int  # already coming to it on open transfers that serve no order
    sold: int  # units it sold in the period
    quantity: int
    source: Location | None
    source_available: int


@dataclass
class _Line:
    sku: str
    quantity: int


async def suggestions(
    session: AsyncSession,
    *,
    location_code: str | None,
    threshold: int,
    days: int,
    first: int = MAX_SUGGESTIONS,
    now: datetime | None = None,
    path: tuple[str, ...] = (),
) -> list[Suggestion]:
    """Per active store (or the one named) and sku it sold in the last `days`, the units to send when what it
    can sell is below `threshold` (domain rule `replenishment`), each from the nearest warehouse with free
    units (capped by them); by store code and sku. Errors name their field under `path`."""
    errors = ErrorList()
    if not 0 < threshold <= MAX_THRESHOLD:
        errors.add(ErrorCode.INVALID_INPUT, [*path, "threshold"], f"1 to {MAX_THRESHOLD}")
    if not 0 < days <= MAX_DAYS:
        errors.add(ErrorCode.INVALID_INPUT, [*path, "days"], f"1 to {MAX_DAYS}")
    if not 0 < first <= MAX_SUGGESTIONS:
        errors.add(ErrorCode.INVALID_INPUT, [*path, "first"], f"1 to {MAX_SUGGESTIONS}")
    errors.raise_if_any()
    stores_query = select(Location).where(Location.active.is_(True), Location.kind != LocationKind.WAREHOUSE)
    if location_code is not None:
        store = await session.scalar(select(Location).where(Location.code == location_code))
        if store is None:
            raise DomainError.one(ErrorCode.UNKNOWN_LOCATION, [*path, "locationCode"], f"no location {location_code!r}")
        stores_query = stores_query.where(Location.id == store.id)
    stores = {s.id: s for s in await session.scalars(stores_query)}
    if not stores:
        return []
    since = (now or utcnow()) - timedelta(days=days)
    sold = {
        (sku, location_id): int(n)
        for sku, location_id, n in await session.execute(
            select(StockMovement.sku, StockMovement.location_id, -func.sum(StockMovement.delta))
            .where(
                StockMovement.location_id.in_(list(stores)),
                StockMovement.reason.in_(SALE_REASONS),
                StockMovement.at >= since,
            )
            .group_by(StockMovement.sku, StockMovement.location_id)
        )
        if n and n > 0
    }
    if not sold:
        return []
    skus = sorted({sku for sku, _ in sold})
    level = figures.levels.c
    available = {
        (sku, location_id): int(n)
        for sku, location_id, n in await session.execute(
            select(level.sku, level.location_id, figures.AVAILABLE).where(
                level.location_id.in_(list(stores)), level.sku.in_(skus)
            )
        )
    }
    inbound = await _inbound(session, list(stores), skus)
    wanted: list[tuple[Location, str, int, int, int, int]] = []
    for (sku, location_id), n in sorted(sold.items(), key=lambda item: (stores[item[0][1]].code, item[0][0])):
        have, coming = available.get((sku, location_id), 0), inbound.get((sku, location_id), 0)
        quantity = rules.replenishment(available=have, inbound=coming, sold=n, threshold=threshold)
        if quantity:
            wanted.append((stores[location_id], sku, have, coming, n, quantity))
    wanted = wanted[:first]
    needed = sorted({sku for _, sku, *_ in wanted})
    if not needed:
        return []
    warehouses = await _warehouse_stock(session, needed)
    # A SHIP warehouse's units also cover the network's promise: only what is left to promise can go.
    network = await availability(session, skus=needed, near=None, max_locations=0)
    spare = {a.sku: a.available_to_promise for a in network.skus}
    found: list[Suggestion] = []
    for store, sku, have, coming, n, quantity in wanted:
        holding = [
            (w, min(free[sku], spare.get(sku, 0)) if w.can_ship else free[sku]) for w, free in warehouses if sku in free
        ]
        holding = [(w, free) for w, free in holding if free > 0]
        holding.sort(key=lambda wf: distance_km(wf[0].latitude, wf[0].longitude, store.latitude, store.longitude))
        if holding:
            source, free = holding[0]
            found.append(Suggestion(store, sku, have, coming, n, min(quantity, free), source, free))
        else:
            found.append(Suggestion(store, sku, have, coming, n, quantity, None, 0))
    return found


async def replenish(
    session: AsyncSession,
    *,
    location_code: str,
    skus: Sequence[str] | None,
    threshold: int,
    days: int,
    principal: Principal,
) -> list[Transfer]:
    """Turn a store's suggestions (of the skus named, else all) into transfers, one per warehouse, each
    reserved at its source like any transfer; INVALID_INPUT when there is nothing to send."""
    found = await suggestions(session, location_code=location_code, threshold=threshold, days=days, path=("input",))
    chosen = [s for s in found if s.source is not None and (not skus or s.sku in skus)]
    if not chosen:
        raise DomainError.one(
            ErrorCode.INVALID_INPUT,
            ["input", "locationCode"],
            f"no replenishment to send to {location_code} from a warehouse",
        )
    by_source: dict[uuid.UUID, list[Suggestion]] = defaultdict(list)
    for suggestion in chosen:
        assert suggestion.source is not None
        by_source[suggestion.source.id].append(suggestion)
    made = []
    for part in by_source.values():
        lines: list[TransferLineFields] = [_Line(s.sku, s.quantity) for s in part]
        source = part[0].source
        assert source is not None
        made.append(
            await create_transfer(
                session,
                from_code=source.code,
                to_code=location_code,
                lines=lines,
                reason=rules.REPLENISHMENT_REASON,
                principal=principal,
            )
        )
    return made


async def _inbound(
    session: AsyncSession, store_ids: list[uuid.UUID], skus: list[str]
) -> dict[tuple[str, uuid.UUID], int]:
    """Units on open transfers to the stores that serve no order (those a customer waits for are theirs)."""
    rows = await session.execute(
        select(
            TransferLine.sku,
            Transfer.to_location_id,
            func.sum(func.coalesce(TransferLine.quantity_picked, TransferLine.quantity)),
        )
        .join(Transfer, Transfer.id == TransferLine.transfer_id)
        .where(
            Transfer.to_location_id.in_(store_ids),
            Transfer.order_id.is_(None),
            Transfer.status.in_(sorted(rules.OPEN)),
            TransferLine.sku.in_(skus),
        )
        .group_by(TransferLine.sku, Transfer.to_location_id)
    )
    return {(sku, location_id): int(n) for sku, location_id, n in rows}


async def _warehouse_stock(session: AsyncSession, skus: list[str]) -> list[tuple[Location, dict[str, int]]]:
    """Active warehouses and their free units of the skus."""
    rows = await session.execute(
        select(Location, StockLevel.sku, figures.AVAILABLE)
        .join(StockLevel, StockLevel.location_id == Location.id)
        .where(
            Location.active.is_(True),
            Location.kind == LocationKind.WAREHOUSE,
            StockLevel.sku.in_(skus),
            figures.AVAILABLE > 0,
        )
    )
    free: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    places: dict[uuid.UUID, Location] = {}
    for location, sku, n in rows:
        places[location.id] = location
        free[location.id][sku] = int(n)
    return [(places[i], free[i]) for i in sorted(places, key=lambda i: places[i].code)]
