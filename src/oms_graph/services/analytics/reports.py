"""The figures the chain's dashboards read: sales, store load, fulfilment times, inventory turnover.

Ranges are [from, to) in UTC; a day is a UTC day. Sales read the daily summaries where they can
(services/analytics/summaries.py), so a year of orders costs a few hundred thousand summary rows, not millions
of lines.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, distinct, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import UTCDateTime, utcnow
from oms_graph.db.dialect import seconds_between
from oms_graph.db.models import (
    Appeasement,
    Channel,
    Fulfilment,
    Location,
    Order,
    Product,
    Return,
    ReturnLine,
    Shipment,
    StockMovement,
)
from oms_graph.domain import analytics as rules
from oms_graph.domain.analytics import Dimension, Figures, Key
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.fulfilment import SALE_REASONS, FulfilmentStatus
from oms_graph.domain.orders import FulfilmentMethod, in_minor_units
from oms_graph.domain.promises import Kept, PromiseDimension, iso_week
from oms_graph.domain.returns import ReturnStatus
from oms_graph.services import calendars
from oms_graph.services.analytics import summaries as sales_summary
from oms_graph.services.analytics.summaries import DAY, midnight

MAX_RANGE = timedelta(days=3 * 366)
OPEN = [
    s.value
    for s in (
        FulfilmentStatus.AWAITING_TRANSFER,
        FulfilmentStatus.ASSIGNED,
        FulfilmentStatus.ACCEPTED,
        FulfilmentStatus.PICKED,
        FulfilmentStatus.PACKED,
        FulfilmentStatus.READY_FOR_PICKUP,
    )
]
DROPPED = [FulfilmentStatus.CANCELLED, FulfilmentStatus.REJECTED]


def _utc(moment: datetime) -> datetime:
    """A given time in UTC; one without an offset is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def checked_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = _utc(start), _utc(end)
    errors = ErrorList()
    if end <= start:
        errors.add(ErrorCode.INVALID_INPUT, ["to"], "must be after from")
    elif end - start > MAX_RANGE:
        errors.add(ErrorCode.INVALID_INPUT, ["to"], f"at most {MAX_RANGE.days} days after from")
    errors.raise_if_any()
    return start, end


def checked_dimensions(group_by: Sequence[Dimension], allowed: frozenset[Dimension] | None = None) -> None:
    errors = ErrorList()
    for i, dim in enumerate(group_by):
        if dim in group_by[:i]:
            errors.add(ErrorCode.INVALID_INPUT, ["groupBy", i], f"{dim.value} is given twice")
        elif allowed is not None and dim not in allowed:
            names = " and ".join(sorted(d.value for d in allowed))
            errors.add(ErrorCode.INVALID_INPUT, ["groupBy", i], f"only {names} can group this")
    errors.raise_if_any()


def _sort_key(item: tuple[Key, Figures]) -> tuple[object, ...]:
    key = item[0]
    values = (key.day, key.channel, key.region, key.category, key.location, key.currency)
    return tuple((v is not None, v if v is not None else "") for v in values)


@dataclass(frozen=True)
class RangeCut:
    """A range cut into the whole days the summaries hold (`first` until `end`, maybe none) and the spans
    computed from the orders: today on (the summaries' refresh day on), part days at the ends."""

    first: date
    end: date
    spans: list[tuple[datetime, datetime]]


async def cut_range(session: AsyncSession, start: datetime, end: datetime) -> RangeCut:
    """Where the answer for [start, end) comes from."""
    mark = await sales_summary.watermark(session)
    first = start if start == midnight(start.date()) else midnight(start.date() + DAY)
    last = min(midnight(end.date()), midnight(mark.refreshed_at.date()) if mark else first)
    if first >= last:
        return RangeCut(first.date(), first.date(), [(start, end)])
    return RangeCut(first.date(), last.date(), [(a, b) for a, b in ((start, first), (last, end)) if a < b])


async def sales(
    session: AsyncSession, *, start: datetime, end: datetime, group_by: Sequence[Dimension]
) -> list[tuple[Key, Figures]]:
    """Orders placed in [start, end), grouped by the dimensions (and always by currency)."""
    start, end = checked_range(start, end)
    checked_dimensions(group_by)
    cut = await cut_range(session, start, end)
    rows: dict[Key, Figures] = {}
    if cut.first < cut.end:
        rows = await sales_summary.stored(session, first=cut.first, end=cut.end, group_by=group_by)
    rules.merge(rows, await sales_summary.computed(session, spans=cut.spans, group_by=group_by))
    return sorted(rows.items(), key=_sort_key)


async def summaries_as_of(session: AsyncSession) -> datetime | None:
    """When the summaries were last refreshed (what they hold of earlier days); None before the first."""
    mark = await sales_summary.watermark(session)
    return mark.refreshed_at if mark else None


@dataclass(frozen=True)
class StoreLoad:
    location: Location
    open_fulfilments: int
    assigned: int
    capacity_used: int
    capacity: int | None = None  # its shipping capacity that day, by its calendar (0 when closed)

    @property
    def utilisation(self) -> float | None:
        return rules.utilisation(self.assigned, self.capacity)


async def store_load(session: AsyncSession, *, day: date | None = None) -> list[StoreLoad]:
    """Per location: fulfilments open now, those assigned on the UTC day (today by default), the delivery
    assignments that day that count against its ship capacity (as routing counts them), and its capacity
    that day by its calendar."""
    day = day or utcnow().date()
    here = Fulfilment.location_id == Location.id
    on_day = and_(here, Fulfilment.created_at >= midnight(day), Fulfilment.created_at < midnight(day + DAY))
    count = func.count(Fulfilment.id)
    open_now = select(count).where(here, Fulfilment.status.in_(OPEN)).correlate(Location).scalar_subquery()
    assigned = select(count).where(on_day).correlate(Location).scalar_subquery()
    used = (
        select(count)
        .where(on_day, Fulfilment.method == FulfilmentMethod.DELIVERY, Fulfilment.status.notin_(DROPPED))
        .correlate(Location)
        .scalar_subquery()
    )
    query = select(Location, open_now, assigned, used).order_by(Location.code)
    rows = (await session.execute(query)).all()
    days = await calendars.calendars(session, locations=[row[0] for row in rows], at=midnight(day))
    return [
        StoreLoad(location, opened, taken, counted, days[location.id].capacity_on(day))
        for location, opened, taken, counted in rows
    ]


@dataclass(frozen=True)
class FulfilmentTimes:
    orders: int
    p50_hours: float | None
    p90_hours: float | None


async def fulfilment_times(session: AsyncSession, *, start: datetime, end: datetime) -> FulfilmentTimes:
    """Of the orders placed in [start, end) whose every unit left (shipped or collected): how many, and the
    median and 90th percentile of the time from placement until the last unit left, counted in whole
    tenths of an hour."""
    start, end = checked_range(start, end)
    cut = await cut_range(session, start, end)
    counts: dict[int, int] = defaultdict(int)
    if cut.first < cut.end:
        counts.update(await sales_summary.stored_lead_times(session, first=cut.first, end=cut.end))
    for a, b in cut.spans:
        for tenths, n in (await sales_summary.lead_times(session, start=a, end=b)).items():
            counts[tenths] += n

    def hours(q: float) -> float | None:
        found = rules.percentile(counts, q)
        return None if found is None else found / rules.TENTHS_PER_HOUR

    return FulfilmentTimes(sum(counts.values()), hours(0.5), hours(0.9))


@dataclass(frozen=True)
class TurnoverRow:
    category: str | None
    location: str | None
    units_sold: int
    average_on_hand: float

    @property
    def turnover(self) -> float | None:
        return rules.turnover(self.units_sold, self.average_on_hand)


async def inventory_turnover(
    session: AsyncSession, *, start: datetime, end: datetime, group_by: Sequence[Dimension]
) -> list[TurnoverRow]:
    """Units that left with customers in [start, end) over the average units on hand then (time-weighted
    from the stock movement ledger), per category and/or location."""
    start, end = checked_range(start, end)
    checked_dimensions(group_by, rules.TURNOVER_DIMENSIONS)
    by_category, by_location = Dimension.CATEGORY in group_by, Dimension.LOCATION in group_by
    categories = {sku: category for sku, category in await session.execute(select(Product.sku, Product.category))}
    codes = {location_id: code for location_id, code in await session.execute(select(Location.id, Location.code))}
    sold: dict[tuple[str, uuid.UUID], int] = {}
    sales_query = (
        select(StockMovement.sku, StockMovement.location_id, -func.sum(StockMovement.delta))
        .where(StockMovement.reason.in_(SALE_REASONS), StockMovement.at >= start, StockMovement.at < end)
        .group_by(StockMovement.sku, StockMovement.location_id)
    )
    for sku, location_id, n in await session.execute(sales_query):
        sold[(sku, location_id)] = int(n)
    held = await _unit_seconds(session, start=start, end=end)
    span = (end - start).total_seconds()
    units: dict[tuple[str | None, str | None], int] = defaultdict(int)
    average: dict[tuple[str | None, str | None], float] = defaultdict(float)
    for sku, location_id in sold.keys() | held.keys():
        key = (categories.get(sku) if by_category else None, codes.get(location_id) if by_location else None)
        units[key] += sold.get((sku, location_id), 0)
        average[key] += held.get((sku, location_id), 0.0) / span
    return [
        TurnoverRow(category, location, units[(category, location)], average[(category, location)])
        for category, location in sorted(units, key=lambda k: (k[0] or "", k[1] or ""))
    ]


async def _unit_seconds(session: AsyncSession, *, start: datetime, end: datetime) -> dict[tuple[str, uuid.UUID], float]:
    """Per (sku, location): the integral of on-hand units over [start, end), from each movement's
    on-hand-after until the next movement."""
    start_at, end_at = literal(start, UTCDateTime()), literal(end, UTCDateTime())
    following = (
        func.lead(StockMovement.at)
        .over(
            partition_by=(StockMovement.sku, StockMovement.location_id), order_by=(StockMovement.at, StockMovement.id)
        )
        .label("next_at")
    )
    ledger = (
        select(StockMovement.sku, StockMovement.location_id, StockMovement.at, StockMovement.on_hand_after, following)
        .where(StockMovement.at < end_at)
        .subquery()
    )
    since = case((ledger.c.at < start_at, start_at), else_=ledger.c.at)
    until = case((ledger.c.next_at.is_(None), end_at), (ledger.c.next_at > end_at, end_at), else_=ledger.c.next_at)
    query = (
        select(
            ledger.c.sku,
            ledger.c.location_id,
            func.sum(ledger.c.on_hand_after * seconds_between(session, since, until)),
        )
        .where(func.coalesce(ledger.c.next_at, end_at) > start_at)
        .group_by(ledger.c.sku, ledger.c.location_id)
    )
    return {(sku, location_id): float(total or 0) for sku, location_id, total in await session.execute(query)}


@dataclass(frozen=True)
class ReturnReason:
    reason: str | None
    returns: int
    units: int
    received_units: int


async def return_reasons(session: AsyncSession, *, start: datetime, end: datetime) -> list[ReturnReason]:
    """Returns started in [start, end) and not called off, by the reason given per line: how many returns,
    units asked back and units received; the most units first."""
    start, end = checked_range(start, end)
    units, received = func.sum(ReturnLine.quantity), func.sum(ReturnLine.quantity_received)
    query = (
        select(ReturnLine.reason, func.count(distinct(ReturnLine.return_id)), units, received)
        .join(Return, Return.id == ReturnLine.return_id)
        .where(Return.created_at >= start, Return.created_at < end, Return.status != ReturnStatus.CANCELLED)
        .group_by(ReturnLine.reason)
        .order_by(units.desc(), ReturnLine.reason)
    )
    rows = await session.execute(query)
    return [ReturnReason(reason, int(n), int(asked), int(got)) for reason, n, asked, got in rows]


@dataclass(frozen=True)
class AppeasementTotal:
    reason: str
    channel: str
    currency: str
    appeasements: int
    amount: Decimal


async def appeasement_totals(session: AsyncSession, *, start: datetime, end: datetime) -> list[AppeasementTotal]:
    """Appeasements made in [start, end), by reason, channel and currency; the largest amounts first."""
    start, end = checked_range(start, end)
    amount = func.sum(Appeasement.amount)
    rows = await session.execute(
        select(Appeasement.reason, Channel.code, Appeasement.currency, func.count(), amount)
        .join(Order, Order.id == Appeasement.order_id)
        .join(Channel, Channel.id == Order.channel_id)
        .where(Appeasement.created_at >= start, Appeasement.created_at < end)
        .group_by(Appeasement.reason, Channel.code, Appeasement.currency)
        .order_by(amount.desc(), Appeasement.reason, Channel.code)
    )
    return [
        AppeasementTotal(reason, code, currency, int(n), in_minor_units(Decimal(total), currency))
        for reason, code, currency, n, total in rows
    ]


@dataclass(frozen=True)
class KeptRow:
    key: dict[PromiseDimension, str | None]
    kept: Kept


async def promises_kept(
    session: AsyncSession, *, start: datetime, end: datetime, group_by: Sequence[PromiseDimension]
) -> list[KeptRow]:
    """Of orders placed in [start, end) with a promised date, their parts done (delivered, or ready for
    pickup): how many were done by the promise, grouped by channel, location, carrier and/or the promised
    date's week; the most parts first."""
    start, end = checked_range(start, end)
    if len(set(group_by)) != len(group_by):
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["groupBy"], "each dimension once")
    done = (FulfilmentStatus.DELIVERED, FulfilmentStatus.READY_FOR_PICKUP, FulfilmentStatus.COLLECTED)
    rows = await session.execute(
        select(
            Fulfilment.method,
            Fulfilment.updated_at,
            Fulfilment.pickup_ready_at,
            Order.promised_date,
            Channel.code,
            Location.code,
            Shipment.carrier,
        )
        .join(Order, Order.id == Fulfilment.order_id)
        .join(Channel, Channel.id == Order.channel_id)
        .join(Location, Location.id == Fulfilment.location_id)
        .outerjoin(Shipment, Shipment.fulfilment_id == Fulfilment.id)
        .where(
            Order.created_at >= start,
            Order.created_at < end,
            Order.promised_date.is_not(None),
            Fulfilment.status.in_(done),
        )
    )
    groups: dict[tuple[str | None, ...], Kept] = defaultdict(Kept)
    for method, changed, ready, promised, channel, location, carrier in rows:
        assert promised is not None  # filtered
        finished = (ready if method == FulfilmentMethod.PICKUP and ready is not None else changed).date()
        values = {
            PromiseDimension.CHANNEL: channel,
            PromiseDimension.LOCATION: location,
            PromiseDimension.CARRIER: carrier,
            PromiseDimension.WEEK: iso_week(promised),
        }
        groups[tuple(values[d] for d in group_by)].add(finished, promised)
    found = [KeptRow(dict(zip(group_by, key, strict=True)), kept) for key, kept in groups.items()]
    return sorted(found, key=lambda r: (-r.kept.parts, [v or "" for v in r.key.values()]))
