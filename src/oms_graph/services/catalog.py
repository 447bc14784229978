"""Master data use cases: upsert channels, locations and products by code; read them back."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import time
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import Base, utcnow
from oms_graph.db.dialect import insert_for
from oms_graph.db.models import Channel, Location, Product, StockLevel
from oms_graph.domain import calendars as calendar_rules
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.catalog import (
    ChannelKind,
    LocationCapability,
    LocationKind,
    check_batch,
    check_code,
    check_coordinates,
    check_currency,
    check_non_negative,
    check_text,
)
from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.domain.orders import Confirmation
from oms_graph.services import audit
from oms_graph.services.orders.backorders import requeue_backorders

M = TypeVar("M", bound=Base)
LANGUAGE = re.compile(r"[a-z]{2}")


class ChannelFields(Protocol):
    code: str
    name: str
    kind: ChannelKind
    currency: str
    confirmation: Confirmation | None
    language: str | None
    default_region: str | None


class LocationFields(Protocol):
    code: str
    name: str
    kind: LocationKind
    region: str
    latitude: float
    longitude: float
    priority: int | None
    capabilities: list[LocationCapability]
    daily_ship_capacity: int | None
    handling_cost: float | None
    active: bool | None
    time_zone: str | None
    cutoff_hour: int | None
    open_days: list[int] | None
    opens_at: time | None
    closes_at: time | None


class ProductFields(Protocol):
    sku: str
    name: str
    category: str
    weight_grams: int | None
    unit_cost: Decimal | None
    ean: str | None


async def upsert_channels(session: AsyncSession, *, inputs: Sequence[ChannelFields]) -> list[Channel]:
    """Create or update channels by code; the whole batch or nothing."""
    errors = ErrorList()
    if check_batch(errors, inputs, key=lambda c: c.code, key_field="code"):
        for i, c in enumerate(inputs):
            check_code(errors, c.code, ["input", i, "code"])
            check_text(errors, c.name, ["input", i, "name"])
            check_currency(errors, c.currency, ["input", i, "currency"])
            if c.language is not None and not LANGUAGE.fullmatch(c.language):
                errors.add(ErrorCode.INVALID_INPUT, ["input", i, "language"], "an ISO 639-1 code such as en, de or ru")
    errors.raise_if_any()
    rows = [
        {
            "code": c.code,
            "name": c.name.strip(),
            "kind": c.kind.value,
            "currency": c.currency,
            "confirmation": (c.confirmation or Confirmation.NONE).value,
            "language": c.language or "en",
            "default_region": c.default_region.strip() if c.default_region and c.default_region.strip() else None,
        }
        for c in inputs
    ]
    return await _upsert(session, Channel, rows, key="code")


async def upsert_locations(session: AsyncSession, *, inputs: Sequence[LocationFields]) -> list[Location]:
    """Create or update locations by code; the whole batch or nothing."""
    errors = ErrorList()
    if check_batch(errors, inputs, key=lambda loc: loc.code, key_field="code"):
        for i, loc in enumerate(inputs):
            check_code(errors, loc.code, ["input", i, "code"])
            check_text(errors, loc.name, ["input", i, "name"])
            check_text(errors, loc.region, ["input", i, "region"], max_length=100)
            check_coordinates(errors, loc.latitude, loc.longitude, ["input", i])
            check_non_negative(errors, loc.daily_ship_capacity, ["input", i, "dailyShipCapacity"])
            if loc.handling_cost is not None and not 0 <= loc.handling_cost < 1e6:
                errors.add(ErrorCode.INVALID_INPUT, ["input", i, "handlingCost"], "must be between 0 and 1,000,000")
            calendar_rules.check_time_zone(errors, loc.time_zone, ["input", i, "timeZone"])
            calendar_rules.check_cutoff(errors, loc.cutoff_hour, ["input", i, "cutoffHour"])
            calendar_rules.check_weekdays(errors, loc.open_days, ["input", i, "openDays"])
            calendar_rules.check_hours(errors, loc.opens_at, loc.closes_at, ["input", i, "opensAt"])
    errors.raise_if_any()
    rows = [
        {
            "code": loc.code,
            "name": loc.name.strip(),
            "kind": loc.kind.value,
            "region": loc.region.strip(),
            "latitude": loc.latitude,
            "longitude": loc.longitude,
            "priority": loc.priority or 0,
            "can_ship": LocationCapability.SHIP in loc.capabilities,
            "can_pickup": LocationCapability.PICKUP in loc.capabilities,
            "can_return": LocationCapability.RETURNS in loc.capabilities,
            "daily_ship_capacity": loc.daily_ship_capacity,
            "handling_cost": loc.handling_cost or 0.0,
            "active": True if loc.active is None else loc.active,
            "time_zone": loc.time_zone or calendar_rules.UTC_ZONE,
            "cutoff_hour": calendar_rules.DEFAULT_CUTOFF_HOUR if loc.cutoff_hour is None else loc.cutoff_hour,
            "opening": _opening(loc),
        }
        for loc in inputs
    ]
    codes = [r["code"] for r in rows]
    shipping = select(Location.code, Location.active & Location.can_ship).where(Location.code.in_(codes))
    was = dict((await session.execute(shipping)).all())
    saved = await _upsert(session, Location, rows, key="code")
    opened = [loc.id for loc in saved if loc.active and loc.can_ship and not was.get(loc.code, True)]
    if opened:  # its stock ships again: backorders of what it holds may be served now
        held = await session.scalars(
            select(StockLevel.sku).where(StockLevel.location_id.in_(opened), StockLevel.on_hand > 0).distinct()
        )
        await requeue_backorders(session, skus=list(held), actor=None)
    return saved


def _opening(location: LocationFields) -> dict[str, Any] | None:
    """A location's open days and hours as kept ({"weekdays": [...], "opens": "09:00", "closes": "20:00"})."""
    kept: dict[str, Any] = {}
    if location.open_days is not None:
        kept["weekdays"] = sorted(set(location.open_days))
    if location.opens_at is not None and location.closes_at is not None:
        kept |= {"opens": location.opens_at.isoformat("minutes"), "closes": location.closes_at.isoformat("minutes")}
    return kept or None


async def upsert_products(session: AsyncSession, *, inputs: Sequence[ProductFields]) -> list[Product]:
    """Create or update products by sku; the whole batch or nothing."""
    errors = ErrorList()
    if check_batch(errors, inputs, key=lambda p: p.sku, key_field="sku"):
        for i, p in enumerate(inputs):
            check_code(errors, p.sku, ["input", i, "sku"], what="sku")
            check_text(errors, p.name, ["input", i, "name"], max_length=300)
            check_text(errors, p.category, ["input", i, "category"], max_length=100)
            check_non_negative(errors, p.weight_grams, ["input", i, "weightGrams"])
            if p.ean is not None and not (p.ean.isascii() and p.ean.isdigit() and 8 <= len(p.ean) <= 14):
                errors.add(ErrorCode.INVALID_INPUT, ["input", i, "ean"], "an EAN/GTIN is 8 to 14 digits")
            if p.unit_cost is not None and (p.unit_cost < 0 or p.unit_cost != p.unit_cost.quantize(Decimal("0.01"))):
                errors.add(
                    ErrorCode.INVALID_INPUT, ["input", i, "unitCost"], "must not be negative, at most 2 decimals"
                )
    errors.raise_if_any()
    rows = [
        {
            "sku": p.sku,
            "name": p.name.strip(),
            "category": p.category.strip(),
            "weight_grams": p.weight_grams,
            "unit_cost": p.unit_cost,
            "ean": p.ean,
        }
        for p in inputs
    ]
    return await _upsert(session, Product, rows, key="sku")


async def _upsert(session: AsyncSession, model: type[M], rows: list[dict[str, Any]], *, key: str) -> list[M]:
    """INSERT … ON CONFLICT (key) DO UPDATE, returning the rows in input order; each row that changed goes to
    the audit trail with its values before and after."""
    names = list(rows[0])
    columns = [getattr(model, name) for name in names]
    keyed = getattr(model, key)
    was = {
        row[names.index(key)]: dict(zip(names, row, strict=True))
        for row in await session.execute(select(*columns).where(keyed.in_([r[key] for r in rows])))
    }
    now = utcnow()
    for row in rows:
        row["updated_at"] = now
    stmt = insert_for(session, model)
    stmt = stmt.on_conflict_do_update(
        index_elements=[key], set_={col: stmt.excluded[col] for col in rows[0] if col != key}
    )
    result = await session.scalars(
        stmt.returning(model, sort_by_parameter_order=True),
        rows,
        execution_options={"populate_existing": True},
    )
    saved = list(result)
    await audit.record(
        session,
        (
            audit.changed(model.__name__, getattr(m, key), was.get(getattr(m, key)), {n: getattr(m, n) for n in names})
            for m in saved
        ),
    )
    return saved


async def list_channels(session: AsyncSession, *, codes: Iterable[str] | None = None) -> list[Channel]:
    """Channels by code, all when codes is None."""
    stmt = select(Channel).order_by(Channel.code)
    if codes is not None:
        stmt = stmt.where(Channel.code.in_(list(codes)))
    return list(await session.scalars(stmt))


async def list_locations(session: AsyncSession, *, codes: Iterable[str] | None = None) -> list[Location]:
    """Locations by code, all when codes is None."""
    stmt = select(Location).order_by(Location.code)
    if codes is not None:
        stmt = stmt.where(Location.code.in_(list(codes)))
    return list(await session.scalars(stmt))


async def list_products(
    session: AsyncSession, *, skus: Iterable[str] | None = None, search: str | None = None, first: int | None = None
) -> list[Product]:
    """Products by sku, all when skus is None; with `search`, those whose sku or EAN is it, or whose sku or
    name holds it (any case): exact matches first."""
    stmt = select(Product).order_by(Product.sku)
    if skus is not None:
        stmt = stmt.where(Product.sku.in_(list(skus)))
    if search is not None and search.strip():
        term = search.strip()
        exact = or_(Product.sku == term, Product.ean == term)
        escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        holds = or_(
            func.lower(Product.sku).like(pattern, escape="\\"), func.lower(Product.name).like(pattern, escape="\\")
        )
        stmt = stmt.where(or_(exact, holds))
        stmt = stmt.order_by(None).order_by(case((exact, 0), else_=1), Product.sku)
    if first is not None:
        stmt = stmt.limit(first)
    return list(await session.scalars(stmt))


async def channel_by_code(session: AsyncSession, code: str) -> Channel | None:
    return await session.scalar(select(Channel).where(Channel.code == code))


async def location_by_code(session: AsyncSession, code: str) -> Location | None:
    return await session.scalar(select(Location).where(Location.code == code))


async def get_location(session: AsyncSession, *, location_id: uuid.UUID) -> Location | None:
    return await session.get(Location, location_id)


async def get_product(session: AsyncSession, *, product_id: uuid.UUID) -> Product | None:
    return await session.get(Product, product_id)


async def get_channel(session: AsyncSession, *, channel_id: uuid.UUID, principal: Principal) -> Channel | None:
    """A channel, if the key may read it: a STOREFRONT key its own only."""
    if principal.role is Role.STOREFRONT and channel_id != principal.channel_id:
        return None
    return await session.get(Channel, channel_id)
