"""Stock levels: counts (absolute sync), deltas (goods in, shrinkage), returns back on the shelf, listing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import Location, Product, StockLevel
from oms_graph.domain import stock as rules
from oms_graph.domain.catalog import check_batch, check_non_negative, check_text
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.services.orders.lifecycle import requeue_backorders
from oms_graph.services.stock import ledger

SYNC_REASON = "sync"
STOCK_KEY = ("sku", "location_id")


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
    counted = [ledger.Count(s.sku, locations[s.location_code].id, s.on_hand, s.safety_stock) for s in inputs]
    before = await ledger.count(session, counts=counted, movement=ledger.Movement(SYNC_REASON, actor, now))
    views, arrived = [], set()
    for s, c in zip(inputs, counted, strict=True):
        old = before[(c.sku, c.location_id)]
        safety = old.safety_stock if s.safety_stock is None else s.safety_stock
        if s.on_hand - safety > old.on_hand - old.safety_stock:
            arrived.add(s.sku)
        views.append(StockLevelView(s.sku, locations[s.location_code], s.on_hand, old.reserved, safety, now))
    await requeue_backorders(session, skus=arrived, actor=actor)
    return views


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
    movement = ledger.Movement(adjustment.reason.strip(), actor, now)
    if adjustment.delta > 0:
        units = {adjustment.sku: adjustment.delta}
        row = (await ledger.receive(session, location_id=location.id, units=units, movement=movement))[adjustment.sku]
        await requeue_backorders(session, skus=units, actor=actor)
    else:
        taken = -adjustment.delta
        found = await ledger.write_off(
            session, sku=adjustment.sku, location_id=location.id, units=taken, movement=movement
        )
        if found is None:
            on_hand = await session.scalar(
                select(StockLevel.on_hand).where(
                    StockLevel.sku == adjustment.sku, StockLevel.location_id == location.id
                )
            )
            raise DomainError.one(
                ErrorCode.INVALID_INPUT,
                ["input", "delta"],
                f"{adjustment.sku} at {location.code} has {on_hand or 0} on hand; a delta of {adjustment.delta} "
                "would take it below zero",
            )
        row = found
    return StockLevelView(adjustment.sku, location, row.on_hand, row.reserved, row.safety_stock, now)


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
    views = [StockLevelView(s.sku, loc, s.on_hand, s.reserved, s.safety_stock, s.updated_at) for s, loc in rows[:first]]
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
