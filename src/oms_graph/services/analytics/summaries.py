"""Sales figures from the orders themselves, and the daily summaries built from them.

A query over a long range reads the summaries for the whole UTC days before the day of the last refresh,
and computes the rest from the orders: today (and any day since a refresh that is late), and part days at
the ends of the range. The refresh (actor `analytics.refresh`, sent every OMS_ANALYTICS_REFRESH_SECONDS)
rebuilds the days whose orders changed since the last one, one transaction per day: the event stream's
positions say what changed (a reader that has seen position P has seen every event up to P, see
events/stream.py). So a late change to an earlier day (a return, a delivery) shows at the next refresh.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import hold_lock
from oms_graph.db.engine import Database
from oms_graph.db.models import (
    Channel,
    Fulfilment,
    FulfilmentLine,
    FulfilmentTimeDay,
    Location,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    SalesDay,
    SummaryWatermark,
)
from oms_graph.domain import analytics as rules
from oms_graph.domain.analytics import Dimension, Figures, Key
from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.domain.orders import OrderStatus

WATERMARK = "sales"
REFRESH_LOCK = 4_210_011  # one refresh writes a day's rows at a time
DAY = timedelta(days=1)

_pickup = aliased(Location)
# The region an order goes to: its pickup location's, else the delivery address's region, else its country.
_region = func.coalesce(
    _pickup.region, Order.delivery_address["region"].as_string(), Order.delivery_address["country"].as_string()
)
LINES = (
    select(
        Order.id,
        Order.created_at,
        Channel.code,
        _region,
        Order.currency,
        Product.category,
        OrderLine.sku,
        OrderLine.quantity,
        OrderLine.unit_price,
        OrderLine.quantity_cancelled,
        OrderLine.quantity_returned,
        Order.status,
    )
    .join(Channel, Channel.id == Order.channel_id)
    .join(OrderLine, OrderLine.order_id == Order.id)
    .join(Product, Product.sku == OrderLine.sku)
    .outerjoin(_pickup, _pickup.id == Order.pickup_location_id)
    .order_by(Order.id, OrderLine.line_no)
)
ASSIGNMENTS = (
    select(
        Fulfilment.order_id,
        FulfilmentLine.sku,
        Location.code,
        Fulfilment.status,
        func.coalesce(FulfilmentLine.quantity_picked, FulfilmentLine.quantity),
    )
    .join(FulfilmentLine, FulfilmentLine.fulfilment_id == Fulfilment.id)
    .join(Location, Location.id == Fulfilment.location_id)
    .join(Order, Order.id == Fulfilment.order_id)
    .where(Fulfilment.status != FulfilmentStatus.REJECTED)
)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _placed(query: Select, start: datetime, end: datetime) -> Select:  # type: ignore[type-arg]
    return query.where(Order.created_at >= start, Order.created_at < end)


async def shares(session: AsyncSession, *, start: datetime, end: datetime) -> list[rules.Share]:
    """The lines of the orders placed in [start, end), split over the locations fulfilling them."""
    assignments: dict[tuple[object, str], list[rules.Assignment]] = defaultdict(list)
    for order_id, sku, location, status, units in await session.execute(_placed(ASSIGNMENTS, start, end)):
        cancelled = status == FulfilmentStatus.CANCELLED
        assignments[(order_id, sku)].append(rules.Assignment(order_id, sku, location, units, cancelled))
    split = rules.splits(a for group in assignments.values() for a in group)
    lines: dict[tuple[object, str], list[rules.OrderedLine]] = defaultdict(list)
    for row in await session.execute(_placed(LINES, start, end)):
        line = rules.OrderedLine(
            order_id=row[0],
            day=row[1].date(),
            channel=row[2],
            region=row[3],
            currency=row[4],
            category=row[5],
            sku=row[6],
            quantity=row[7],
            unit_price=row[8],
            cancelled=row[9],
            returned=row[10],
            split=row[0] in split,
            backordered=row[11] == OrderStatus.BACKORDERED,
        )
        lines[(line.order_id, line.sku)].append(line)
    return [share for k, group in lines.items() for share in rules.shares(group, assignments.get(k, []))]


async def lead_times(session: AsyncSession, *, start: datetime, end: datetime) -> dict[int, int]:
    """Of the orders placed in [start, end) whose every unit left: how many took how many tenths of an hour."""
    counts: dict[int, int] = defaultdict(int)
    left = _placed(select(Order.created_at, Order.fulfilled_at), start, end).where(Order.fulfilled_at.is_not(None))
    for placed, fulfilled in await session.execute(left):
        counts[rules.tenths_of_an_hour((fulfilled - placed).total_seconds())] += 1
    return counts


async def stored_lead_times(session: AsyncSession, *, first: date, end: date) -> dict[int, int]:
    """The same, summed from the summaries of the days from `first` until `end` (exclusive)."""
    query = (
        select(FulfilmentTimeDay.tenths, func.sum(FulfilmentTimeDay.orders))
        .where(FulfilmentTimeDay.day >= first, FulfilmentTimeDay.day < end)
        .group_by(FulfilmentTimeDay.tenths)
    )
    return {tenths: int(n) for tenths, n in await session.execute(query)}


async def computed(
    session: AsyncSession, *, spans: Iterable[tuple[datetime, datetime]], group_by: Sequence[Dimension]
) -> dict[Key, Figures]:
    """Rows computed from the orders placed in the spans (disjoint)."""
    rows: dict[Key, Figures] = {}
    for start, end in spans:
        rules.merge(rows, rules.group(await shares(session, start=start, end=end), group_by))
    return rows


_COLUMNS: dict[Dimension, Any] = {
    Dimension.DAY: SalesDay.day,
    Dimension.CHANNEL: SalesDay.channel,
    Dimension.REGION: SalesDay.region,
    Dimension.CATEGORY: SalesDay.category,
    Dimension.LOCATION: SalesDay.location,
}


async def stored(session: AsyncSession, *, first: date, end: date, group_by: Sequence[Dimension]) -> dict[Key, Figures]:
    """Rows summed from the summaries of the days from `first` until `end` (exclusive)."""
    dims = [d for d in Dimension if d in group_by]
    columns = [SalesDay.currency, *(_COLUMNS[d] for d in dims)]
    query = (
        select(
            *columns,
            func.sum(SalesDay.orders),
            func.sum(SalesDay.units),
            func.sum(SalesDay.revenue),
            func.sum(SalesDay.net_revenue),
            func.sum(SalesDay.cancelled_units),
            func.sum(SalesDay.returned_units),
            func.sum(SalesDay.split_orders),
            func.sum(SalesDay.backordered_orders),
        )
        .where(SalesDay.grain == rules.grain(group_by), SalesDay.day >= first, SalesDay.day < end)
        .group_by(*columns)
    )
    rows = {}
    for row in await session.execute(query):
        values = dict(zip(dims, row[1 : 1 + len(dims)], strict=True))
        key = Key(currency=row[0], **{d.value.lower(): v for d, v in values.items()})
        orders, units, revenue, net, cancelled, returned, split, backordered = row[1 + len(dims) :]
        rows[key] = Figures(
            int(orders), int(units), revenue, net, int(cancelled), int(returned), int(split), int(backordered)
        )
    return rows


async def watermark(session: AsyncSession) -> SummaryWatermark | None:
    return await session.get(SummaryWatermark, WATERMARK)


async def changed_days(session: AsyncSession, *, after: int, upto: int) -> set[date]:
    """Placement days of the orders with events at stream positions after `after`, up to `upto`."""
    changed = select(OrderEvent.order_id).where(OrderEvent.position > after, OrderEvent.position <= upto)
    placed = await session.scalars(select(Order.created_at).where(Order.id.in_(changed)))
    return {at.date() for at in placed}


async def rebuild_day(session: AsyncSession, *, day: date) -> int:
    """Replace a day's summaries (every grain, and its fulfilment times) with figures from its orders; how
    many rows."""
    await hold_lock(session, REFRESH_LOCK)
    await session.execute(delete(SalesDay).where(SalesDay.day == day))
    await session.execute(delete(FulfilmentTimeDay).where(FulfilmentTimeDay.day == day))
    day_shares = await shares(session, start=midnight(day), end=midnight(day + DAY))
    rows = [
        {
            "grain": grain_no,
            "day": day,
            "channel": key.channel,
            "region": key.region,
            "currency": key.currency,
            "category": key.category,
            "location": key.location,
            "orders": figures.orders,
            "units": figures.units,
            "revenue": figures.revenue,
            "net_revenue": figures.net_revenue,
            "cancelled_units": figures.cancelled_units,
            "returned_units": figures.returned_units,
            "split_orders": figures.split_orders,
            "backordered_orders": figures.backordered_orders,
        }
        for grain_no in rules.GRAINS
        for key, figures in rules.group(day_shares, rules.summary_dimensions(grain_no)).items()
    ]
    if rows:
        await session.execute(insert(SalesDay), rows)
    times = await lead_times(session, start=midnight(day), end=midnight(day + DAY))
    if times:
        await session.execute(
            insert(FulfilmentTimeDay), [{"day": day, "tenths": t, "orders": n} for t, n in times.items()]
        )
    return len(rows) + len(times)


async def refresh(db: Database, *, everything: bool = False) -> int:
    """Rebuild the summaries of the days changed since the last refresh (every day with orders the first
    time, or when `everything`, e.g. after a bulk import); how many days."""
    started = utcnow()  # the summaries hold at least what was committed by now
    async with db.read() as session:
        mark = await watermark(session)
        top = await session.scalar(select(func.max(OrderEvent.position))) or 0
        if everything or mark is None:
            first, last = (await session.execute(select(func.min(Order.created_at), func.max(Order.created_at)))).one()
            span = (last.date() - first.date()).days + 1 if first is not None else 0
            days = {first.date() + DAY * n for n in range(span)}
        else:
            days = await changed_days(session, after=mark.position, upto=top)
    for day in sorted(days):
        async with db.write() as session:
            await rebuild_day(session, day=day)
    async with db.write() as session:
        await hold_lock(session, REFRESH_LOCK)
        mark = await watermark(session)
        if mark is None:
            session.add(SummaryWatermark(name=WATERMARK, position=top, refreshed_at=started))
        else:  # a refresh that started later may have finished first
            mark.position, mark.refreshed_at = max(mark.position, top), max(mark.refreshed_at, started)
    return len(days)
