"""What a placement takes from stock: a delivery order's promise (network-wide, and within its channel's pool
when it has one), or a pickup order's reservation at its pickup location."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import Location, RoutingProfile
from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.domain.pools import Pool
from oms_graph.services.future_promises import Awaited, promise_against_supply
from oms_graph.services.stock import figures, ledger


@dataclass(frozen=True)
class Wanted:
    """An order's demand per sku, where it is wanted, and the pool its channel promises within."""

    demand: dict[str, int]
    first_line: dict[str, int]  # the first line of each sku, for errors
    pickup: Location | None
    at: datetime
    channel_id: uuid.UUID
    pool: Pool | None  # the channel's availability pool: its delivery promise is held to it


@dataclass(frozen=True)
class Taken:
    """What a placement took besides the plain promise or reservation: a pickup's units to come by transfer,
    per sku; a delivery's units promised against inbound supply (the order awaits it)."""

    by_transfer: dict[str, int]
    awaiting: Awaited | None = None
    split: bool = False  # some of a delivery's units are promised from stock, routed now; the rest await supply


async def take_stock(session: AsyncSession, wanted: Wanted) -> Taken:
    """Promise (delivery) or reserve at the pickup location (pickup) every sku's demand, or raise
    INSUFFICIENT_STOCK for each sku there are not enough of (the caller rolls back). A pickup whose store
    does not hold it whole, on a channel that allows transfers to pickups, reserves what the store holds and
    promises the rest network-wide (those units come by transfer). A delivery whose skus stock cannot promise
    is promised against inbound supply where their policy allows it and supply covers them."""
    demand, first_line, pickup, now = wanted.demand, wanted.first_line, wanted.pickup, wanted.at
    promised = await ledger.lock_products(session, skus=demand)
    room = None
    if pickup is not None:
        short = [
            sku
            for sku in sorted(demand)
            if not await ledger.reserve(
                session, sku=sku, location=pickup, quantity=demand[sku], at=now, promised=promised[sku]
            )
        ]
        if short and await _switched_on(session, wanted.channel_id, RoutingProfile.allow_transfer_to_pickup):
            return Taken(await _ship_to_store(session, wanted, short, promised))
    else:  # a pooled channel promises within its pool too
        promised_now = await ledger.promise(session, channel_id=wanted.channel_id, units=demand, pool=wanted.pool)
        short, room = promised_now.short, promised_now.room
        # Only the network had too few: sold against supply where it may be. A pool's room short: refused.
        if short and set(short) == set(promised_now.network_short):
            later = {sku: demand[sku] for sku in short}
            split = wanted.pool is None and await _switched_on(
                session, wanted.channel_id, RoutingProfile.split_for_supply
            )
            if split:  # what stock has of them ships now, only the rest waits
                later = await _what_stock_lacks(session, later, promised)
            awaited = await promise_against_supply(session, channel_id=wanted.channel_id, units=later)
            if awaited is not None:
                return Taken({}, awaited, split=split and sum(later.values()) < sum(demand.values()))
    errors = ErrorList()
    for sku in short:
        await short_of(session, sku, demand[sku], first_line[sku], pickup, promised[sku], errors, room)
    errors.raise_if_any()
    return Taken({})


async def _switched_on(session: AsyncSession, channel_id: uuid.UUID, switch: Any) -> bool:
    """Whether the channel's routing profile has this switch on (off without a profile)."""
    return bool(await session.scalar(select(switch).where(RoutingProfile.channel_id == channel_id)))


async def _what_stock_lacks(session: AsyncSession, short: dict[str, int], promised: dict[str, int]) -> dict[str, int]:
    """Of skus a delivery's promise found short, promise what the network has (already counted on the
    channel's rows); the units it lacks, per sku."""
    has = {}
    for sku, wanted in short.items():
        free = int(await session.scalar(select(figures.network_capacity(sku))) or 0) - promised[sku]
        if free > 0:
            has[sku] = min(free, wanted)
    still_short = set(await ledger.promise_counted(session, units=has))  # stock lost since it was read
    return {sku: n - (0 if sku in still_short else has.get(sku, 0)) for sku, n in short.items()}


async def _ship_to_store(
    session: AsyncSession, wanted: Wanted, short: list[str], promised: dict[str, int]
) -> dict[str, int]:
    """The skus the pickup store cannot hold whole: what it has is reserved there, the rest promised
    network-wide (in the channel's pool when it has one), to come by transfer; INSUFFICIENT_STOCK for what
    neither covers."""
    pickup = cast(Location, wanted.pickup)
    level = figures.levels.c
    rows = await session.execute(
        select(level.sku, figures.AVAILABLE).where(level.location_id == pickup.id, level.sku.in_(short))
    )
    here = {sku: max(0, int(n)) for sku, n in rows}
    by_transfer: dict[str, int] = {}
    for sku in short:
        has = min(here.get(sku, 0), wanted.demand[sku])
        if has and not await ledger.reserve(
            session, sku=sku, location=pickup, quantity=has, at=wanted.at, promised=promised[sku]
        ):
            has = 0
        by_transfer[sku] = wanted.demand[sku] - has
    taken = await ledger.promise(session, channel_id=wanted.channel_id, units=by_transfer, pool=wanted.pool)
    errors = ErrorList()
    for sku in taken.short:
        have = max(0, int(await session.scalar(select(figures.network_capacity(sku))) or 0) - promised[sku])
        if taken.room is not None and sku in taken.room:
            have = min(have, taken.room[sku])
        errors.add(
            ErrorCode.INSUFFICIENT_STOCK,
            ["input", "lines", wanted.first_line[sku], "quantity"],
            f"{sku}: {wanted.demand[sku]} wanted for pickup at {pickup.code}, {here.get(sku, 0)} there and "
            f"{have} elsewhere to bring by transfer",
        )
    errors.raise_if_any()
    return by_transfer


async def short_of(
    session: AsyncSession,
    sku: str,
    wanted: int,
    line: int,
    pickup: Location | None,
    promised: int,
    errors: ErrorList,
    room: dict[str, int] | None,
) -> None:
    """Say how short a line is (read only when it is); `room`: what a pooled channel's pool can promise."""
    if pickup is None:
        have = max(0, int(await session.scalar(select(figures.network_capacity(sku))) or 0) - promised)
        if room is not None and sku in room:
            have = min(have, room[sku])
        errors.add(
            ErrorCode.INSUFFICIENT_STOCK,
            ["input", "lines", line, "quantity"],
            f"{sku}: {wanted} wanted, {have} available to promise",
        )
        return
    available = await session.scalar(
        select(figures.AVAILABLE).where(figures.levels.c.sku == sku, figures.levels.c.location_id == pickup.id)
    )
    errors.add(
        ErrorCode.INSUFFICIENT_STOCK,
        ["input", "lines", line, "quantity"],
        f"{sku}: {wanted} wanted, {max(0, available or 0)} available for pickup at {pickup.code}",
    )
