"""Stock levels: counts (absolute sync), deltas (goods in, shrinkage), returns back on the shelf, listing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import insert_rows, lock_rows
from oms_graph.db.models import Location, Product, StockLevel
from oms_graph.domain import stock as rules
from oms_graph.domain.catalog import check_batch, check_non_negative, check_text
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList, Notice, WarningCode
from oms_graph.services import audit, supply
from oms_graph.services.orders.backorders import requeue_backorders
from oms_graph.services.stock import ledger

SYNC_REASON = "sync"
MAX_BATCH = 10_000  # adjustments one call may send
STOCK_KEY = ("sku", "location_id")


class StockLevelFields(Protocol):
    sku: str
    location_code: str
    on_hand: int
    safety_stock: int | None
    counted_at: datetime | None  # when the count was taken; None: now


class StockAdjustmentFields(Protocol):
    sku: str
    location_code: str
    delta: int
    reason: str
    movement_id: str | None  # the sender's id of the movement: a repeat applies nothing


CLOCK_SKEW = timedelta(minutes=1)  # how far ahead of ours a sender's clock may be


@dataclass(frozen=True)
class StockLevelView:
    sku: str
    location: Location
    on_hand: int
    reserved: int
    safety_stock: int
    updated_at: datetime
    in_transit: int | None = None  # inbound by transfer; None where the writer did not read it

    @property
    def available(self) -> int:
        return rules.available(on_hand=self.on_hand, reserved=self.reserved, safety_stock=self.safety_stock)


@dataclass(frozen=True)
class CountResult:
    levels: list[StockLevelView]
    warnings: list[Notice]


async def set_stock_levels(
    session: AsyncSession, *, inputs: Sequence[StockLevelFields], actor: str | None
) -> CountResult:
    """Counts from a WMS/ERP: each is the truth at its `counted_at` (default now), so what moved here since
    is applied on top; a count older than the last one applied to its level changes nothing (a
    STALE_COUNT warning). Safety stock is set when given; reservations are kept."""
    now = utcnow()
    errors = ErrorList()
    if check_batch(
        errors, inputs, key=lambda s: f"{s.sku}@{s.location_code}", key_field="sku", key_label="sku@location"
    ):
        for i, s in enumerate(inputs):
            check_non_negative(errors, s.on_hand, ["input", i, "onHand"])
            check_non_negative(errors, s.safety_stock, ["input", i, "safetyStock"])
            if _counted_at(s, now) > now + CLOCK_SKEW:
                errors.add(ErrorCode.INVALID_INPUT, ["input", i, "countedAt"], "a count cannot be taken in the future")
    errors.raise_if_any()
    locations = await _resolve(session, inputs, errors)
    errors.raise_if_any()

    counts = [
        ledger.Count(s.sku, locations[s.location_code].id, s.on_hand, s.safety_stock, _counted_at(s, now))
        for s in inputs
    ]
    done = await apply_counts(session, counts=counts, actor=actor, now=now)
    changes = []
    for s, c in zip(inputs, counts, strict=True):
        new = done[(c.sku, c.location_id)]
        if not new.stale:
            before = {"onHand": new.before.on_hand, "safetyStock": new.before.safety_stock}
            after = {"onHand": new.on_hand, "safetyStock": new.safety_stock}
            changes.append(audit.changed("StockLevel", f"{s.sku}@{s.location_code}", before, after))
    await audit.record(session, changes)
    views, warnings = [], []
    for i, (s, c) in enumerate(zip(inputs, counts, strict=True)):
        result, old = done[(c.sku, c.location_id)], done[(c.sku, c.location_id)].before
        if result.stale:
            taken = old.counted_at.isoformat() if old.counted_at else "earlier"
            warnings.append(
                Notice(
                    WarningCode.STALE_COUNT,
                    ("input", str(i), "countedAt"),
                    f"{s.sku} at {s.location_code} was counted at {taken}, after this count: it changed nothing",
                )
            )
        at = old.updated_at if result.stale else now
        views.append(
            StockLevelView(s.sku, locations[s.location_code], result.on_hand, old.reserved, result.safety_stock, at)
        )
    return CountResult(views, warnings)


async def apply_counts(
    session: AsyncSession, *, counts: Sequence[ledger.Count], actor: str | None, now: datetime
) -> dict[tuple[str, uuid.UUID], ledger.Counted]:
    """Apply checked counts (see `ledger.count`); backorders of skus a count made more of go back to routing,
    and what a count found more of takes in the level's supply due (`supply.counted_in`)."""
    locked = await supply.supplied_levels(session, levels=[(c.sku, c.location_id) for c in counts])
    done = await ledger.count(session, counts=counts, movement=ledger.Movement(SYNC_REASON, actor, now))
    arrived = {
        sku
        for (sku, _), c in done.items()
        if not c.stale and c.on_hand - c.safety_stock > c.before.on_hand - c.before.safety_stock
    }
    await requeue_backorders(session, skus=arrived, actor=actor)
    found = {key: c.on_hand - c.before.on_hand for key, c in done.items() if not c.stale}
    await supply.counted_in(session, locked=locked, found=found, at=now, actor=actor)
    return done


def _counted_at(count: StockLevelFields, now: datetime) -> datetime:
    """When a count was taken: as sent (inputs from before counts had a time have none), else now."""
    return getattr(count, "counted_at", None) or now


async def adjust_stock(
    session: AsyncSession, *, adjustment: StockAdjustmentFields, actor: str | None
) -> StockLevelView:
    """Add a delta to onHand (goods received, shrinkage, a found unit); never below zero. With a
    `movement_id`, a repeat from the same sender at the same location returns the first result and moves
    nothing."""
    errors = ErrorList()
    _check_adjustment(errors, adjustment, ["input"])
    errors.raise_if_any()
    locations = await _resolve(session, [adjustment], errors, path=["input"])
    errors.raise_if_any()
    return await adjust_at(session, adjustment, locations[adjustment.location_code], actor=actor, path=["input"])


async def adjust_stock_levels(
    session: AsyncSession, *, adjustments: Sequence[StockAdjustmentFields], actor: str | None
) -> list[StockLevelView]:
    """Many deltas in one transaction, all or none (each as `adjust_stock`), applied in (sku, location)
    order; the levels after each, in the order given."""
    errors = ErrorList()
    if not 0 < len(adjustments) <= MAX_BATCH:
        errors.add(ErrorCode.INVALID_INPUT, ["input"], f"send 1 to {MAX_BATCH} adjustments")
    sent: set[tuple[str, str]] = set()
    for i, adjustment in enumerate(adjustments):
        _check_adjustment(errors, adjustment, ["input", i])
        movement_id = getattr(adjustment, "movement_id", None)
        if movement_id is not None:
            if (adjustment.location_code, movement_id) in sent:
                errors.add(ErrorCode.INVALID_INPUT, ["input", i, "movementId"], f"{movement_id!r} is given twice")
            sent.add((adjustment.location_code, movement_id))
    errors.raise_if_any()
    locations = await _resolve(session, adjustments, errors)
    errors.raise_if_any()
    ordered = sorted(
        range(len(adjustments)), key=lambda i: (adjustments[i].sku, locations[adjustments[i].location_code].id)
    )
    views: dict[int, StockLevelView] = {}
    for i in ordered:
        adjustment = adjustments[i]
        location = locations[adjustment.location_code]
        views[i] = await adjust_at(session, adjustment, location, actor=actor, path=["input", i])
    return [views[i] for i in range(len(adjustments))]


def _check_adjustment(errors: ErrorList, adjustment: StockAdjustmentFields, path: list[str | int]) -> None:
    if adjustment.delta == 0:
        errors.add(ErrorCode.INVALID_INPUT, [*path, "delta"], "delta must not be zero")
    check_text(errors, adjustment.reason, [*path, "reason"])
    movement_id = getattr(adjustment, "movement_id", None)
    if movement_id is not None:
        check_text(errors, movement_id, [*path, "movementId"])


async def adjust_at(
    session: AsyncSession,
    adjustment: StockAdjustmentFields,
    location: Location,
    *,
    actor: str | None,
    path: list[str | int],
) -> StockLevelView:
    now, sku, source = utcnow(), adjustment.sku, actor or ""
    movement_id = getattr(adjustment, "movement_id", None)
    if movement_id is not None:
        first = await _recorded(session, sku=sku, location_id=location.id, source=source, movement_id=movement_id)
        if first is not None and (first.sku, first.delta) != (sku, adjustment.delta):
            raise DomainError.one(
                ErrorCode.IDEMPOTENCY_CONFLICT,
                [*path, "movementId"],
                f"movement {movement_id!r} at {location.code} was a delta of {first.delta} for {first.sku}",
            )
        if first is not None:
            return StockLevelView(sku, location, first.on_hand, first.reserved, first.safety_stock, first.at)
    movement = ledger.Movement(adjustment.reason.strip(), actor, now, source=source, movement_id=movement_id)
    if adjustment.delta > 0:
        units = {sku: adjustment.delta}
        row = (await ledger.receive(session, location_id=location.id, units=units, movement=movement))[sku]
        await requeue_backorders(session, skus=units, actor=actor)
        await _audit_adjustment(session, adjustment, location, row.on_hand)
        return StockLevelView(sku, location, row.on_hand, row.reserved, row.safety_stock, now)
    found = await ledger.write_off(
        session, sku=sku, location_id=location.id, units=-adjustment.delta, movement=movement
    )
    if found is None:
        level = (StockLevel.sku == sku) & (StockLevel.location_id == location.id)
        on_hand = await session.scalar(select(StockLevel.on_hand).where(level))
        raise DomainError.one(
            ErrorCode.INVALID_INPUT,
            [*path, "delta"],
            f"{sku} at {location.code} has {on_hand or 0} on hand; a delta of {adjustment.delta} "
            "would take it below zero",
        )
    await _audit_adjustment(session, adjustment, location, found.on_hand)
    return StockLevelView(sku, location, found.on_hand, found.reserved, found.safety_stock, now)


async def _audit_adjustment(
    session: AsyncSession, adjustment: StockAdjustmentFields, location: Location, on_hand: int
) -> None:
    before = {"onHand": on_hand - adjustment.delta}
    after = {"onHand": on_hand, "reason": adjustment.reason.strip()}
    await audit.record(session, [audit.changed("StockLevel", f"{adjustment.sku}@{location.code}", before, after)])


async def _recorded(session: AsyncSession, *, sku: str, location_id: uuid.UUID, source: str, movement_id: str) -> Any:
    """What a movement sent with this id came to, if it was applied (onHand and safety stock after it, the
    level's reservations now, when). The level is locked first: a repeat racing the first waits for it,
    then finds it."""
    now = utcnow()
    await insert_rows(
        session, ledger.levels, [{"sku": sku, "location_id": location_id, "updated_at": now}], skip_conflicts=True
    )
    (level,) = await lock_rows(session, ledger.levels, [(sku, location_id)], key=STOCK_KEY)
    m = ledger.movements.c
    found = await session.execute(
        select(
            m.on_hand_after.label("on_hand"),
            m.safety_stock_after.label("safety_stock"),
            literal(level.reserved).label("reserved"),
            m.at,
            m.sku,
            m.delta,
        ).where(m.location_id == location_id, m.source == source, m.movement_id == movement_id)
    )
    return found.first()


async def put_back(
    session: AsyncSession, *, units: dict[str, int], location_id: uuid.UUID, reason: str, actor: str | None
) -> None:
    """Units come back onto a location's shelf (a return): onHand up, one ledger row each, and
    backordered orders of those skus go back to routing."""
    await ledger.receive(
        session, location_id=location_id, units=units, movement=ledger.Movement(reason, actor, utcnow())
    )
    await requeue_backorders(session, skus=units, actor=actor)


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
    views = [
        StockLevelView(s.sku, loc, s.on_hand, s.reserved, s.safety_stock, s.updated_at, s.in_transit)
        for s, loc in rows[:first]
    ]
    return views, len(rows) > first


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
