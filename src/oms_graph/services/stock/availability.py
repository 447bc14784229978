"""Availability across the network: what a delivery order can be promised per sku, and where it sits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.dialect import connection_of, first_by_rank
from oms_graph.db.models import Channel, ChannelPromise, Location, OrderEvent, OrderLine, Product, StockLevel
from oms_graph.domain.catalog import check_coordinates
from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.domain.geo import distance_km
from oms_graph.domain.pools import Pool
from oms_graph.services.stock import figures, pools

MAX_AVAILABILITY_SKUS = 500
MAX_SNAPSHOT_PAGE = 1000  # skus per page of a snapshot


@dataclass(slots=True)
class RankedLocation:
    location: Any  # a locations row: the ORM Location's attributes, without the ORM
    distance_km: float | None


@dataclass
class AvailabilityView:
    sku: str
    available_to_promise: int = 0
    # Where it sits, nearest first: indexes into the answer's `ranked` locations, and the units each holds.
    places: list[int] = field(default_factory=list)
    units: list[int] = field(default_factory=list)


@dataclass
class NetworkAvailability:
    skus: list[AvailabilityView]  # in the order asked
    ranked: list[RankedLocation]  # the locations looked at, nearest first (by code without `near`)


def _network_figures() -> Select[Any]:
    level = figures.levels.c
    capacity = (
        select(level.sku, func.sum(figures.promise_capacity()).label("units"))
        .join(Location, Location.id == level.location_id)
        .where(level.sku.in_(bindparam("b_skus", expanding=True)))
        .group_by(level.sku)
        .subquery()
    )
    return (
        select(Product.sku, capacity.c.units, Product.promised)
        .outerjoin(capacity, capacity.c.sku == Product.sku)
        .where(Product.sku.in_(bindparam("b_skus", expanding=True)))
    )


_NETWORK_FIGURES = _network_figures()


async def network_figures(session: AsyncSession, skus: Sequence[str]) -> dict[str, int]:
    """Per sku (of the known ones among `skus`), what the network can promise a new delivery order."""
    rows = await (await connection_of(session)).execute(_NETWORK_FIGURES, {"b_skus": list(skus)})
    return {sku: max(0, int(units or 0) - promised) for sku, units, promised in rows}


async def channel_figures(session: AsyncSession, *, channel_id: uuid.UUID, skus: Sequence[str]) -> dict[str, int]:
    """Per known sku, the figure sent out to the channel: its availableToPromise within its pool, 0 under
    its low-stock threshold (availabilityChanged, AVAILABILITY_CHANGED, availabilitySnapshot)."""
    pool = await pools.pool_of(session, channel_id)
    network = await network_figures(session, skus)
    return pools.sent(pool, await pools.channel_figures(session, channel_id=channel_id, pool=pool, network=network))


_ACTIVE_LOCATIONS = select(Location.__table__).where(Location.active.is_(True))
_SELLABLE = figures.AVAILABLE > 0


async def availability(
    session: AsyncSession,
    *,
    skus: Sequence[str],
    near: tuple[float, float] | None,
    max_locations: int | None = None,
    channel_id: uuid.UUID | None = None,
    pool: Pool | None = None,
) -> NetworkAvailability:
    """Per sku: what a delivery order can be promised network-wide (for a channel held to a `pool`: within
    it), and where it sits (nearest first; with a pool, only its locations)."""
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

    # Three statements whatever the number of skus: the skus with what they can still promise, the active
    # locations, and per sku the nearest locations with stock (ranked here, walked by the database).
    known = await network_figures(session, unique)
    for i, sku in enumerate(skus):
        if sku not in known:
            errors.add(ErrorCode.UNKNOWN_SKU, ["skus", i], f"no product with sku {sku!r}")
    errors.raise_if_any()
    if channel_id is not None and pool is not None:
        known = await pools.channel_figures(session, channel_id=channel_id, pool=pool, network=known)
    result = {sku: AvailabilityView(sku, known[sku]) for sku in unique}

    # Plain rows, not ORM objects: hundreds of locations are read on every call.
    active = await (await connection_of(session)).execute(_ACTIVE_LOCATIONS)
    locations = [loc for loc in active if pool is None or pool.feeds(code=loc.code, kind=loc.kind, region=loc.region)]
    ranked = sorted(
        (
            RankedLocation(loc, distance_km(near[0], near[1], loc.latitude, loc.longitude) if near else None)
            for loc in locations
        ),
        key=lambda r: (r.distance_km or 0.0, r.location.code),
    )
    stocked = await first_by_rank(
        session,
        figures.levels,
        group="sku",
        groups=unique,
        ranked_by="location_id",
        ranking=[r.location.id for r in ranked],
        limit=len(ranked) if max_locations is None else max_locations,
        where=_SELLABLE,
        value=figures.AVAILABLE,
    )
    for sku, (places, sellable) in stocked.items():
        result[sku].places, result[sku].units = places, sellable
    return NetworkAvailability([result[sku] for sku in skus], ranked)


async def availability_snapshot(
    session: AsyncSession, *, channel: Channel, first: int, after: str | None
) -> tuple[list[tuple[str, int]], bool]:
    """A page of the whole catalogue in sku order (the database's), each sku with the figure sent out to the
    channel, for a full sync; and whether more follow."""
    errors = ErrorList()
    if not 0 < first <= MAX_SNAPSHOT_PAGE:
        errors.add(ErrorCode.INVALID_INPUT, ["first"], f"first must be between 1 and {MAX_SNAPSHOT_PAGE}")
    errors.raise_if_any()
    pool = await pools.pool_of(session, channel.id)
    rows = (await session.execute(_snapshot_page(channel.id, pool or Pool(), first=first, after=after))).all()
    network: dict[str, int] = {}
    free: dict[str, int] = {}
    waiting: dict[str, int] = {}
    for sku, promised, capacity, units_free, units_waiting in rows[:first]:  # in sku order, kept by the dicts
        network[sku] = max(0, int(capacity or 0) - promised)
        free[sku], waiting[sku] = int(units_free or 0), int(units_waiting or 0)
    sent = pools.sent(pool, pools.figures_within(pool, network=network, free=free, waiting=waiting))
    return list(sent.items()), len(rows) > first


def _snapshot_page(channel_id: uuid.UUID, pool: Pool, *, first: int, after: str | None) -> Select[Any]:
    """One statement a page: `first` + 1 skus in the sku index's order (no sort), each with what is promised,
    its network's promise capacity, its pool's free units and what the channel's orders wait for. The levels
    are read as one range of their primary key (the page's first to last sku), already grouped by sku."""
    page = select(Product.sku, Product.promised).order_by(Product.sku).limit(first + 1)
    if after is not None:
        page = page.where(Product.sku > after)
    listed = page.cte("page")
    level = figures.levels.c
    stock = (
        select(
            level.sku,
            func.sum(figures.promise_capacity()).label("capacity"),
            func.sum(figures.pool_units(pool)).label("free"),
        )
        .join(Location, Location.id == level.location_id)
        .where(level.sku <= select(func.max(listed.c.sku)).scalar_subquery())
        .group_by(level.sku)
    )
    if after is not None:
        stock = stock.where(level.sku > after)
    totals = stock.subquery()
    wait = and_(ChannelPromise.channel_id == channel_id, ChannelPromise.sku == listed.c.sku)
    return (
        select(
            listed.c.sku,
            listed.c.promised,
            totals.c.capacity,
            totals.c.free,
            ChannelPromise.promised - ChannelPromise.routed,
        )
        .select_from(listed.outerjoin(totals, totals.c.sku == listed.c.sku).outerjoin(ChannelPromise, wait))
        .order_by(listed.c.sku)
    )


LOOK_BACK = timedelta(seconds=5)  # a transaction stamped earlier can commit later: look back this far


@dataclass(frozen=True)
class Moved:
    """The skus whose figures may have moved since a mark, and the mark to look from next time."""

    skus: set[str]
    level_mark: datetime  # the latest stock level stamp seen
    position: int  # the latest order event position seen


async def moved_since(session: AsyncSession, *, level_mark: datetime, position: int | None) -> Moved:
    """What may have moved a channel's figures since the mark: stock levels stamped since (looking back a
    little), and the skus of orders with events since `position` (placements, cancellations, shipments).
    With no position yet, only where events stand now."""
    levels = (
        await session.execute(
            select(StockLevel.sku, StockLevel.updated_at).where(StockLevel.updated_at > level_mark - LOOK_BACK)
        )
    ).all()
    skus = {sku for sku, _ in levels}
    mark = max([level_mark, *(at for _, at in levels)])
    if position is None:
        newest = await session.scalar(select(func.coalesce(func.max(OrderEvent.position), 0)))
        return Moved(skus, mark, int(newest or 0))
    newest = await session.scalar(select(func.max(OrderEvent.position)).where(OrderEvent.position > position))
    if newest is not None:
        events = select(OrderEvent.order_id).where(OrderEvent.position > position, OrderEvent.position <= newest)
        skus |= set(await session.scalars(select(OrderLine.sku).where(OrderLine.order_id.in_(events)).distinct()))
    return Moved(skus, mark, int(newest or position))
