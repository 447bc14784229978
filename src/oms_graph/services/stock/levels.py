"""Stock use cases: absolute sync, deltas, listing, and availability across the network."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Table, and_, case, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import first_by_rank, insert_for, insert_rows, lock_rows, update_rows
from oms_graph.db.models import Location, Product, StockLevel, StockMovement
from oms_graph.domain import stock as rules
from oms_graph.domain.catalog import check_batch, check_coordinates, check_non_negative, check_text
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.geo import distance_km
from oms_graph.services.orders.lifecycle import requeue_backorders

MAX_AVAILABILITY_SKUS = 500
SYNC_REASON = "sync"
STOCK_KEY = ("sku", "location_id")

stock_table = cast(Table, StockLevel.__table__)
movement_table = cast(Table, StockMovement.__table__)
RETURNING = (stock_table.c.on_hand, stock_table.c.reserved, stock_table.c.safety_stock)


def promise_capacity() -> ColumnElement[int]:
    """What a stock level (joined to its location) gives its sku's network promise: its positive available
    at an active SHIP location, plus the units routed here from earlier promises. A sku's availableToPromise
    is the sum over its levels less `Product.promised`; routing, which raises `reserved` and `routed`
    together, leaves it unchanged."""
    level = stock_table.c
    units = level.on_hand - level.reserved - level.safety_stock
    shippable = and_(Location.active.is_(True), Location.can_ship.is_(True), units > 0)
    return case((shippable, units), else_=0) + level.routed


class StockLevelFields(Protocol):
    sku: str
    location_code: str
    on_hand: int
    safety_stock: int | None


class StockAdjustmentFields(Protocol):
    sku: str
    location_code: str
    delta: int
    reason: str


@dataclass(frozen=True)
class StockLevelView:
    sku: str
    location: Location
    on_hand: int
    reserved: int
    safety_stock: int
    updated_at: datetime

    @property
    def available(self) -> int:
        return rules.available(on_hand=self.on_hand, reserved=self.reserved, safety_stock=self.safety_stock)


@dataclass(frozen=True)
class LocationAvailabilityView:
    location: Any  # a locations row: the ORM Location's attributes, without the ORM
    available: int
    distance_km: float | None


@dataclass
class AvailabilityView:
    sku: str
    available_to_promise: int = 0
    locations: list[LocationAvailabilityView] = field(default_factory=list)


async def set_stock_levels(
    session: AsyncSession, *, inputs: Sequence[StockLevelFields], actor: str | None
) -> list[StockLevelView]:
    """Replace onHand (and safety stock when given) from a count; reservations are kept."""
    errors = ErrorList()
    if check_batch(
        errors, inputs, key=lambda s: f"{s.sku}@{s.location_code}", key_field="sku", key_label="sku@location"
    ):
        for i, s in enumerate(inputs):
            check_non_negative(errors, s.on_hand, ["input", i, "onHand"])
            check_non_negative(errors, s.safety_stock, ["input", i, "safetyStock"])
    errors.raise_if_any()
    locations = await _resolve(session, inputs, errors)
    errors.raise_if_any()

    now = utcnow()
    # One order (sku, location) for every lock a batch takes, so concurrent batches cannot deadlock.
    wanted = sorted((((s.sku, locations[s.location_code].id), s) for s in inputs), key=lambda pair: pair[0])
    keys = [k for k, _ in wanted]
    await insert_rows(
        session,
        stock_table,
        [{"sku": sku, "location_id": loc, "updated_at": now} for sku, loc in keys],
        skip_conflicts=True,
    )
    before = {(r.sku, r.location_id): r for r in await lock_rows(session, stock_table, keys, key=STOCK_KEY)}

    changes, movements, views, arrived = [], [], [], set()
    for (sku, loc_id), s in wanted:
        old = before[(sku, loc_id)]
        safety = old.safety_stock if s.safety_stock is None else s.safety_stock
        if s.on_hand - safety > old.on_hand - old.safety_stock:
            arrived.add(sku)
        changes.append(
            {"sku": sku, "location_id": loc_id, "on_hand": s.on_hand, "safety_stock": safety, "updated_at": now}
        )
        if s.on_hand != old.on_hand or safety != old.safety_stock:
            movements.append(
                _movement(sku, loc_id, s.on_hand - old.on_hand, s.on_hand, safety, SYNC_REASON, actor, now)
            )
        views.append(StockLevelView(sku, locations[s.location_code], s.on_hand, old.reserved, safety, now))
    await update_rows(session, stock_table, changes, key=STOCK_KEY)
    await insert_rows(session, movement_table, movements)
    await requeue_backorders(session, skus=arrived, actor=actor)
    order = {(s.sku, s.location_code): i for i, s in enumerate(inputs)}
    return sorted(views, key=lambda v: order[(v.sku, v.location.code)])


async def adjust_stock(
    session: AsyncSession, *, adjustment: StockAdjustmentFields, actor: str | None
) -> StockLevelView:
    """Add a delta to onHand (goods received, shrinkage, a found unit); never below zero."""
    errors = ErrorList()
    if adjustment.delta == 0:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "delta"], "delta must not be zero")
    check_text(errors, adjustment.reason, ["input", "reason"])
    errors.raise_if_any()
    location = (await _resolve(session, [adjustment], errors, path=["input"]))[adjustment.location_code]
    errors.raise_if_any()

    now = utcnow()
    key = (stock_table.c.sku == adjustment.sku) & (stock_table.c.location_id == location.id)
    if adjustment.delta > 0:
        stmt = _added(session, adjustment.sku, location.id, adjustment.delta, now)
    else:
        stmt = (
            update(stock_table)
            .where(key, stock_table.c.on_hand + adjustment.delta >= 0)
            .values(on_hand=stock_table.c.on_hand + adjustment.delta, updated_at=now)
        )
    row = (await session.execute(stmt.returning(*RETURNING))).first()
    if row is None:
        on_hand = await session.scalar(select(stock_table.c.on_hand).where(key)) or 0
        raise DomainError.one(
            ErrorCode.INVALID_INPUT,
            ["input", "delta"],
            f"{adjustment.sku} at {location.code} has {on_hand} on hand; a delta of {adjustment.delta} "
            "would take it below zero",
        )
    await insert_rows(
        session,
        movement_table,
        [
            _movement(
                adjustment.sku,
                location.id,
                adjustment.delta,
                row.on_hand,
                row.safety_stock,
                adjustment.reason.strip(),
                actor,
                now,
            )
        ],
    )
    if adjustment.delta > 0:
        await requeue_backorders(session, skus=[adjustment.sku], actor=actor)
    return StockLevelView(adjustment.sku, location, row.on_hand, row.reserved, row.safety_stock, now)


async def put_back(
    session: AsyncSession, *, units: dict[str, int], location_id: uuid.UUID, reason: str, actor: str | None
) -> None:
    """Units come back onto a location's shelf (a return): onHand up, one ledger row each, and
    backordered orders of those skus go back to routing."""
    now = utcnow()
    movements = []
    for sku, n in sorted(units.items()):
        row = (await session.execute(_added(session, sku, location_id, n, now).returning(*RETURNING))).one()
        movements.append(_movement(sku, location_id, n, row.on_hand, row.safety_stock, reason, actor, now))
    await insert_rows(session, movement_table, movements)
    await requeue_backorders(session, skus=units, actor=actor)


def _added(session: AsyncSession, sku: str, location_id: uuid.UUID, units: int, now: datetime) -> Any:
    """Raise onHand by `units`, making the stock level when the location never had the sku."""
    stmt = insert_for(session, stock_table).values(sku=sku, location_id=location_id, on_hand=units, updated_at=now)
    return stmt.on_conflict_do_update(
        index_elements=[stock_table.c.sku, stock_table.c.location_id],
        set_={"on_hand": stock_table.c.on_hand + stmt.excluded.on_hand, "updated_at": now},
    )


async def list_stock_levels(
    session: AsyncSession,
    *,
    sku: str | None,
    location_code: str | None,
    first: int,
    after: tuple[str, str] | None,
) -> tuple[list[StockLevelView], bool]:
    """One page of stock levels ordered by (sku, location code), and whether more follow."""
    errors = ErrorList()
    if sku is not None and await session.scalar(select(Product.id).where(Product.sku == sku)) is None:
        errors.add(ErrorCode.UNKNOWN_SKU, ["sku"], f"no product with sku {sku!r}")
    if (
        location_code is not None
        and await session.scalar(select(Location.id).where(Location.code == location_code)) is None
    ):
        errors.add(ErrorCode.UNKNOWN_LOCATION, ["locationCode"], f"no location with code {location_code!r}")
    errors.raise_if_any()
    stmt = (
        select(StockLevel, Location)
        .join(Location, Location.id == StockLevel.location_id)
        .order_by(StockLevel.sku, Location.code)
        .limit(first + 1)
    )
    if sku is not None:
        stmt = stmt.where(StockLevel.sku == sku)
    if location_code is not None:
        stmt = stmt.where(Location.code == location_code)
    if after is not None:
        stmt = stmt.where(tuple_(StockLevel.sku, Location.code) > tuple_(*after))
    rows = (await session.execute(stmt)).all()
    views = [StockLevelView(s.sku, loc, s.on_hand, s.reserved, s.safety_stock, s.updated_at) for s, loc in rows[:first]]
    return views, len(rows) > first


async def availability(
    session: AsyncSession,
    *,
    skus: Sequence[str],
    near: tuple[float, float] | None,
    max_locations: int | None = None,
) -> list[AvailabilityView]:
    """Per sku: what a delivery order can be promised network-wide, and where it sits (nearest first)."""
    errors = ErrorList()
    if not skus:
        errors.add(ErrorCode.INVALID_INPUT, ["skus"], "give at least one sku")
    elif len(skus) > MAX_AVAILABILITY_SKUS:
        errors.add(ErrorCode.INVALID_INPUT, ["skus"], f"at most {MAX_AVAILABILITY_SKUS} skus a call")
    if near is not None:
        check_coordinates(errors, near[0], near[1], ["near"])
    if max_locations is not None and max_locations < 0:
        errors.add(ErrorCode.INVALID_INPUT, ["maxLocations"], "must not be negative")
    errors.raise_if_any()
    unique = list(dict.fromkeys(skus))
    level = stock_table.c
    units = level.on_hand - level.reserved - level.safety_stock

    # Three statements whatever the number of skus: the skus with what they can still promise, the active
    # locations, and per sku the nearest locations with stock (ranked here, walked by the database).
    capacity = (
        select(level.sku, func.sum(promise_capacity()).label("units"))
        .join(Location, Location.id == level.location_id)
        .where(level.sku.in_(unique))
        .group_by(level.sku)
        .subquery()
    )
    rows = await session.execute(
        select(Product.sku, capacity.c.units, Product.promised)
        .outerjoin(capacity, capacity.c.sku == Product.sku)
        .where(Product.sku.in_(unique))
    )
    known = {sku: max(0, int(units or 0) - promised) for sku, units, promised in rows}
    for i, sku in enumerate(skus):
        if sku not in known:
            errors.add(ErrorCode.UNKNOWN_SKU, ["skus", i], f"no product with sku {sku!r}")
    errors.raise_if_any()
    result = {sku: AvailabilityView(sku, known[sku]) for sku in unique}

    # Plain rows, not ORM objects: hundreds of locations are read on every call.
    active = await session.execute(select(Location.__table__).where(Location.active.is_(True)))
    locations: dict[uuid.UUID, Any] = {loc.id: loc for loc in active}
    distances = (
        {loc_id: distance_km(near[0], near[1], loc.latitude, loc.longitude) for loc_id, loc in locations.items()}
        if near is not None
        else {}
    )
    ranking = sorted(locations, key=lambda i: (distances.get(i, 0.0), locations[i].code))
    limit = len(ranking) if max_locations is None else max_locations
    if ranking and limit > 0:
        nearest = await session.execute(
            first_by_rank(
                session,
                stock_table,
                group="sku",
                groups=unique,
                ranked_by="location_id",
                ranking=ranking,
                limit=limit,
                where=units > 0,
                columns=[units.label("sellable")],
            )
        )
        for sku, loc_id, sellable, _place in nearest:
            result[sku].locations.append(LocationAvailabilityView(locations[loc_id], sellable, distances.get(loc_id)))
    return [result[sku] for sku in skus]


async def _resolve(
    session: AsyncSession,
    items: Sequence[StockLevelFields | StockAdjustmentFields],
    errors: ErrorList,
    path: Sequence[str | int] | None = None,
) -> dict[str, Location]:
    """Locations of the rows by code; unknown skus and codes go to errors with their row's path."""
    codes = {s.location_code for s in items}
    skus = {s.sku for s in items}
    locations = {loc.code: loc for loc in await session.scalars(select(Location).where(Location.code.in_(codes)))}
    known = set(await session.scalars(select(Product.sku).where(Product.sku.in_(skus))))
    for i, s in enumerate(items):
        row = list(path) if path is not None else ["input", i]
        if s.sku not in known:
            errors.add(ErrorCode.UNKNOWN_SKU, [*row, "sku"], f"no product with sku {s.sku!r}")
        if s.location_code not in locations:
            errors.add(ErrorCode.UNKNOWN_LOCATION, [*row, "locationCode"], f"no location with code {s.location_code!r}")
    return locations


def _movement(
    sku: str, location_id, delta: int, on_hand: int, safety: int, reason: str, actor: str | None, at: datetime
) -> dict:
    return {
        "sku": sku,
        "location_id": location_id,
        "delta": delta,
        "on_hand_after": on_hand,
        "safety_stock_after": safety,
        "reason": reason,
        "actor": actor,
        "at": at,
    }
