"""Channel availability pools as data: set one (ADMIN), read it back, find the locations that feed it, and a
channel's figure per sku (the rules: `domain.pools`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import connection_of, insert_for
from oms_graph.db.models import AvailabilityPool, Channel, ChannelPromise, Location
from oms_graph.domain import pools as rules
from oms_graph.domain.catalog import LocationKind
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.services import audit
from oms_graph.services.catalog import channel_by_code
from oms_graph.services.stock import figures

pools_table = cast(Table, AvailabilityPool.__table__)
PARTS = ("location_kinds", "regions", "location_codes", "buffer", "buffer_percent", "cap", "low_stock_threshold")


class PoolFields(Protocol):
    channel: str

    @property
    def location_kinds(self) -> Sequence[str] | None: ...  # read only: a list of LocationKind will do

    regions: list[str] | None
    location_codes: list[str] | None
    buffer: int | None
    buffer_percent: int | None
    cap: int | None
    low_stock_threshold: int | None


def pool_from_row(row: Any) -> rules.Pool | None:
    """The pool of a row of availability_pools, or of a row that outer-joined one (no pool: its columns are
    NULL, `updated_at` too); None for no pool."""
    if row is None or row.updated_at is None:
        return None

    def as_set(values: list[str] | None) -> frozenset[str] | None:
        return None if values is None else frozenset(values)

    return rules.Pool(
        location_kinds=as_set(row.location_kinds),
        regions=as_set(row.regions),
        location_codes=as_set(row.location_codes),
        buffer=row.buffer,
        buffer_percent=row.buffer_percent,
        cap=row.cap,
        low_stock_threshold=row.low_stock_threshold,
    )


_channels = cast(Table, Channel.__table__)
CHANNEL_WITH_POOL = (
    select(
        _channels.c.id,
        _channels.c.code,
        _channels.c.currency,
        _channels.c.confirmation,
        _channels.c.default_region,
        *[c for c in pools_table.c if c.name != "channel_id"],  # its availability pool, when it has one
    )
    .outerjoin(pools_table, pools_table.c.channel_id == _channels.c.id)
    .where(_channels.c.code == bindparam("b_code"))
)


async def channel_with_pool(session: AsyncSession, code: str) -> Any:
    """The channel of that code (id, code, currency, confirmation, default region) with its pool's columns,
    NULL when it has none (`pool_from_row`), in one statement; None when there is no such channel."""
    return (await (await connection_of(session)).execute(CHANNEL_WITH_POOL, {"b_code": code})).first()


async def pool_of(session: AsyncSession, channel_id: uuid.UUID) -> rules.Pool | None:
    """The channel's pool; None when it sees the whole network."""
    row = (await session.execute(select(pools_table).where(pools_table.c.channel_id == channel_id))).first()
    return pool_from_row(row)


LOCATIONS = select(Location.id, Location.code, Location.kind, Location.region)


def _feeding(pool: rules.Pool, locations: Iterable[Any]) -> list[uuid.UUID]:
    return [loc_id for loc_id, code, kind, region in locations if pool.feeds(code=code, kind=kind, region=region)]


async def pooled_channels(session: AsyncSession) -> dict[uuid.UUID, tuple[rules.Pool, frozenset[uuid.UUID]]]:
    """Every pooled channel's pool and the ids of the locations that feed it (two statements in all)."""
    found = {row.channel_id: pool_from_row(row) for row in await session.execute(select(pools_table))}
    if not found:
        return {}
    locations = (await session.execute(select(Location.id, Location.code, Location.kind, Location.region))).all()
    return {
        channel_id: (
            pool,
            frozenset(i for i, code, kind, region in locations if pool.feeds(code=code, kind=kind, region=region)),
        )
        for channel_id, pool in found.items()
        if pool is not None
    }


async def update_availability_pool(session: AsyncSession, *, pool: PoolFields) -> rules.Pool | None:
    """Set the channel's pool (every part replaced; an unset part restricts nothing); with every part unset
    the channel sees the whole network again. Its orders placed from now on are held to it."""
    errors = ErrorList()
    channel = await channel_by_code(session, pool.channel)
    if channel is None:
        raise DomainError.one(ErrorCode.UNKNOWN_CHANNEL, ["input", "channel"], f"no channel with code {pool.channel!r}")
    wanted = rules.Pool(
        location_kinds=None if pool.location_kinds is None else frozenset(pool.location_kinds),
        regions=None if pool.regions is None else frozenset(pool.regions),
        location_codes=None if pool.location_codes is None else frozenset(pool.location_codes),
        buffer=pool.buffer,
        buffer_percent=pool.buffer_percent,
        cap=pool.cap,
        low_stock_threshold=pool.low_stock_threshold,
    )
    codes: Iterable[str] = (
        await session.scalars(select(Location.code).where(Location.code.in_(sorted(wanted.location_codes))))
        if wanted.location_codes
        else []
    )
    rules.check_pool(errors, wanted, known_kinds=[k.value for k in LocationKind], known_codes=codes)
    errors.raise_if_any()
    held = (
        await session.execute(
            select(*(pools_table.c[part] for part in PARTS)).where(pools_table.c.channel_id == channel.id)
        )
    ).first()
    before = dict(zip(PARTS, held, strict=True)) if held is not None else None
    if all(getattr(pool, part) is None for part in PARTS):
        await session.execute(delete(pools_table).where(pools_table.c.channel_id == channel.id))
        await audit.record(session, [audit.changed("AvailabilityPool", channel.code, before, None)])
        return None
    values = {part: getattr(pool, part) for part in PARTS}
    for part in ("location_kinds", "regions", "location_codes"):
        if values[part] is not None:
            values[part] = sorted(set(values[part]))
    await audit.record(session, [audit.changed("AvailabilityPool", channel.code, before, values)])
    stmt = insert_for(session, pools_table).values(channel_id=channel.id, updated_at=utcnow(), **values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[pools_table.c.channel_id], set_={**values, "updated_at": utcnow()})
    )
    return wanted


async def channel_figures(
    session: AsyncSession, *, channel_id: uuid.UUID, pool: rules.Pool | None, network: dict[str, int]
) -> dict[str, int]:
    """Per sku, the channel's availableToPromise: `network` (the network's, by sku) within its pool."""
    if pool is None:
        return {sku: max(0, n) for sku, n in network.items()}
    skus = sorted(network)
    free = await figures.pool_free(session, pool=pool, skus=skus)
    waiting = dict(
        (
            await session.execute(
                select(ChannelPromise.sku, ChannelPromise.promised - ChannelPromise.routed).where(
                    ChannelPromise.channel_id == channel_id, ChannelPromise.sku.in_(skus)
                )
            )
        ).all()
    )
    return figures_within(pool, network=network, free=free, waiting=waiting)


def figures_within(
    pool: rules.Pool | None, *, network: dict[str, int], free: dict[str, int], waiting: dict[str, int]
) -> dict[str, int]:
    """Per sku of `network`, the channel's availableToPromise from the network's, the pool's free units and
    what the channel's orders wait for (a sku missing from `free` or `waiting`: none)."""
    return {
        sku: rules.figure(pool, network=n, free=free.get(sku, 0), waiting=waiting.get(sku, 0))
        for sku, n in network.items()
    }


def sent(pool: rules.Pool | None, figures_by_sku: dict[str, int]) -> dict[str, int]:
    """The figures as sent out to the channel (0 under its low-stock threshold)."""
    return figures_by_sku if pool is None else {sku: pool.sent(n) for sku, n in figures_by_sku.items()}
