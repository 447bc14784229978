"""The promise: a sku's delivery units not yet shipped (`Product.promised`), split by channel
(`ChannelPromise.promised`, with the part of it routed to locations), and a pooled channel's room."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.dialect import arrays_of, connection_of, dialect_of, unnest_of
from oms_graph.domain.pools import Pool
from oms_graph.services.stock.figures import network_capacity, pool_free_of
from oms_graph.services.stock.ledger.rows import channel_promises, products

_product = products.c


# The hot path's statements are built once; each call only binds values (b_* parameters).
_TAKE_PROMISE = (
    update(products)
    .where(
        _product.sku == bindparam("b_sku"),
        _product.promised + bindparam("b_quantity") <= network_capacity(bindparam("b_sku")),
    )
    .values(promised=_product.promised + bindparam("b_quantity"), updated_at=_product.updated_at)  # not master data
)


@lru_cache(maxsize=256)
def _promise_statement(pool: Pool | None) -> Any:
    """Take a sku's units from its network promise when it has them, returning the sku, and on a pooled
    channel what the pool holds free of it (read by the same statement: no round trip more)."""
    if pool is None:
        return _TAKE_PROMISE.returning(_product.sku)
    # By the bound sku, not correlated to products.sku: SQLAlchemy renders RETURNING's columns without their
    # table on SQLite, a subquery's too, and `sku = sku` would sum every sku's levels.
    return _TAKE_PROMISE.returning(_product.sku, pool_free_of(pool, bindparam("b_sku")))


_RELEASE_PROMISE = (
    update(products)
    .where(_product.sku == bindparam("b_sku"))
    .values(promised=_product.promised - bindparam("b_quantity"), updated_at=_product.updated_at)
)
CHANNEL_KEY = ("channel_id", "sku")


@lru_cache(maxsize=4)
def _lock_products(dialect: str) -> Any:
    return (
        select(_product.sku, _product.promised)
        .where(_product.sku.in_(bindparam("b_skus", expanding=True)))
        .order_by(_product.sku.collate("C") if dialect == "postgresql" else _product.sku)
        .with_for_update()
    )


async def lock_products(session: AsyncSession, *, skus: Iterable[str]) -> dict[str, int]:
    """Lock the skus' product rows in code-point order (the first lock of any change to a promise);
    their `promised` counters."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    conn = await connection_of(session)
    return dict((await conn.execute(_lock_products(dialect_of(session)), {"b_skus": wanted})).all())


@dataclass(frozen=True)
class Promised:
    """What a promise found: the skus there were not enough of (nothing may stay changed: the caller rolls
    back), those of them the network itself had too few of (the others: the pool's room), and for a pooled
    channel what its pool could promise of each sku the network had, before this order."""

    short: list[str]
    room: dict[str, int] | None
    network_short: list[str] = field(default_factory=list)


async def promise(
    session: AsyncSession, *, channel_id: uuid.UUID, units: Mapping[str, int], pool: Pool | None = None
) -> Promised:
    """Take units from the skus' availableToPromise for an order of the channel, and from its pool's room
    when it has one (see `domain.pools`). The caller locked the products.

    The channel's promise rows are locked first, by the statement that adds the units to them; the pool's
    free units are read after it, by the statements that take the network promise, so no routing of the
    channel's orders (nor any routing that spends its pool: `services.routing.earmarks`) is half seen."""
    rows = await _add_to_channel_rows(session, channel_id, units)
    conn = await connection_of(session)
    statement = _promise_statement(pool)
    short: list[str] = []
    free: dict[str, int] = {}
    for sku, quantity in sorted(units.items()):
        taken = (await conn.execute(statement, {"b_sku": sku, "b_quantity": quantity})).first()
        if taken is None:
            short.append(sku)
        elif pool is not None:
            free[sku] = int(taken[1])
    if pool is None:
        return Promised(short, None, short)
    room = {
        sku: pool.room(free=free[sku], waiting=row.promised - row.routed - units[sku])
        for sku, row in rows.items()
        if sku not in short
    }
    over = [sku for sku in sorted(room) if units[sku] > room[sku]]
    return Promised(sorted(set(short) | set(over)), room, short)


async def promise_counted(session: AsyncSession, *, units: Mapping[str, int]) -> list[str]:
    """Take units from the skus' availableToPromise that a `promise` of the same order already counted on
    its channel's rows (and found short): the part of a split order stock has. The skus still short (nothing
    taken of them). The caller locked the products."""
    conn = await connection_of(session)
    statement = _promise_statement(None)
    return [
        sku
        for sku, quantity in sorted(units.items())
        if (await conn.execute(statement, {"b_sku": sku, "b_quantity": quantity})).first() is None
    ]


async def release_promise(
    session: AsyncSession, *, channel_id: uuid.UUID, units: Mapping[str, int], routed: bool = False
) -> None:
    """Delivery units of an order of the channel leave the skus' promise (cancelled or shipped); `routed`:
    they had been routed to a location, and leave the channel's routed units too. The caller locked the
    products."""
    wanted = [{"b_sku": sku, "b_quantity": n} for sku, n in sorted(units.items()) if n]
    if wanted:
        await session.execute(_RELEASE_PROMISE, wanted)
        await _count_for_channel(session, [(channel_id, sku, -n, -n if routed else 0) for sku, n in units.items()])


async def lock_channels(
    session: AsyncSession, *, keys: Iterable[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], Any]:
    """Lock the channels' promise rows of these (channel id, sku), made when missing, in key order (one
    statement): taken after the product rows and before any stock level, by routing as by placement. The
    rows (promised, routed), by key."""
    return await _upsert_locked(session, {key: 0 for key in keys})


async def _add_to_channel_rows(
    session: AsyncSession, channel_id: uuid.UUID, units: Mapping[str, int]
) -> dict[str, Any]:
    """Add promised units to the channel's rows of the skus, locking them; the rows after, by sku."""
    rows = await _upsert_locked(session, {(channel_id, sku): n for sku, n in units.items()})
    return {sku: row for (_, sku), row in rows.items()}


async def _upsert_locked(
    session: AsyncSession, promised: Mapping[tuple[uuid.UUID, str], int]
) -> dict[tuple[uuid.UUID, str], Any]:
    """Add (non-negative) promised units per (channel id, sku), making missing rows, in key order: the rows
    locked and as they are after it. PostgreSQL: one statement over arrays of the keys, in key order; SQLite
    (one writer): one statement per row."""
    if not promised:
        return {}
    dialect = dialect_of(session)
    statement = _upsert_returning(dialect)
    keys = sorted(promised)
    conn = await connection_of(session)
    if dialect == "postgresql":
        wanted = arrays_of([(channel, sku, promised[channel, sku]) for channel, sku in keys], _UPSERTED)
        rows = list(await conn.execute(statement, wanted))
    else:
        rows = [
            (
                await conn.execute(
                    statement, {"u_channel_id": channel, "u_sku": sku, "u_promised": promised[channel, sku]}
                )
            ).one()
            for channel, sku in keys
        ]
    return {(row.channel_id, row.sku): row for row in rows}


_UPSERTED = ("channel_id", "sku", "promised")


@lru_cache(maxsize=4)
def _upsert_returning(dialect: str) -> Any:
    c = channel_promises.c
    stmt: Any
    if dialect == "postgresql":
        given = unnest_of(channel_promises, _UPSERTED)
        stmt = postgresql.insert(channel_promises).from_select(
            [*_UPSERTED, "routed"], select(*(given.c[n] for n in _UPSERTED), literal(0))
        )
    else:
        stmt = sqlite.insert(channel_promises).values(
            channel_id=bindparam("u_channel_id"), sku=bindparam("u_sku"), promised=bindparam("u_promised"), routed=0
        )
    added = stmt.on_conflict_do_update(
        index_elements=[c.channel_id, c.sku], set_={"promised": c.promised + stmt.excluded.promised}
    )
    return added.returning(c.channel_id, c.sku, c.promised, c.routed)


async def count_routed(session: AsyncSession, *, units: Mapping[tuple[uuid.UUID, str], int]) -> None:
    """Units per (channel id, sku) routed to locations (negative: given back to the promise); the caller
    locked the rows (`lock_channels`)."""
    await _count_for_channel(session, [(channel, sku, 0, n) for (channel, sku), n in units.items()])


@lru_cache(maxsize=4)
def _add_to_channel(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(channel_promises).values(
        channel_id=bindparam("b_channel"),
        sku=bindparam("b_sku"),
        promised=bindparam("b_promised"),
        routed=bindparam("b_routed"),
    )
    c = channel_promises.c
    return stmt.on_conflict_do_update(
        index_elements=[c.channel_id, c.sku],
        set_={"promised": c.promised + stmt.excluded.promised, "routed": c.routed + stmt.excluded.routed},
    )


_TAKE_FROM_CHANNEL = (
    update(channel_promises)
    .where(channel_promises.c.channel_id == bindparam("b_channel"), channel_promises.c.sku == bindparam("b_sku"))
    .values(
        promised=channel_promises.c.promised + bindparam("b_promised"),
        routed=channel_promises.c.routed + bindparam("b_routed"),
    )
)


async def _count_for_channel(session: AsyncSession, changes: Sequence[tuple[uuid.UUID, str, int, int]]) -> None:
    """Add to the channels' promised and routed units, per (channel id, sku), in key order: a row is made
    when units come (an INSERT's CHECK sees the figures sent, so what goes down is a plain UPDATE)."""
    up: list[dict[str, Any]] = []
    down: list[dict[str, Any]] = []
    for channel, sku, promised, routed in sorted(changes):
        if promised or routed:
            row = {"b_channel": channel, "b_sku": sku, "b_promised": promised, "b_routed": routed}
            (up if promised >= 0 and routed >= 0 else down).append(row)
    conn = await connection_of(session)
    if up:
        await conn.execute(_add_to_channel(dialect_of(session)), up)
    if down:
        await conn.execute(_TAKE_FROM_CHANNEL, down)


_PROMISE_FUTURE = (
    update(products)
    .where(
        _product.sku == bindparam("b_sku"), _product.promised_future + bindparam("b_quantity") <= bindparam("b_cover")
    )
    .values(promised_future=_product.promised_future + bindparam("b_quantity"), updated_at=_product.updated_at)
    .returning(_product.promised_future)
)
_RELEASE_FUTURE = (
    update(products)
    .where(_product.sku == bindparam("b_sku"))
    .values(promised_future=_product.promised_future - bindparam("b_quantity"), updated_at=_product.updated_at)
)


async def promise_from_supply(
    session: AsyncSession, *, channel_id: uuid.UUID, units: Mapping[str, int], cover: Mapping[str, int]
) -> dict[str, int] | None:
    """The skus `promise` found short are promised against inbound supply instead: off the channel's rows
    (where `promise` counted them) and onto the skus' `promised_future`, never past `cover` (what supply may
    back, per sku). The units promised against supply before these, per sku; None when a sku did not fit
    (the caller rolls back)."""
    await _count_for_channel(session, [(channel_id, sku, -n, 0) for sku, n in units.items()])
    conn = await connection_of(session)
    before: dict[str, int] = {}
    for sku, n in sorted(units.items()):
        taken = (await conn.execute(_PROMISE_FUTURE, {"b_sku": sku, "b_quantity": n, "b_cover": cover[sku]})).first()
        if taken is None:
            return None
        before[sku] = int(taken[0]) - n
    return before


async def release_future(session: AsyncSession, *, units: Mapping[str, int]) -> None:
    """Units promised against supply leave that promise (cancelled, on a shelf now, or owed: see `owe`)."""
    wanted = [{"b_sku": sku, "b_quantity": n} for sku, n in sorted(units.items()) if n]
    if wanted:
        await session.execute(_RELEASE_FUTURE, wanted)


async def owe(session: AsyncSession, *, channel_id: uuid.UUID, units: Mapping[str, int]) -> None:
    """Units an order was promised against supply that fell through join the present promise whatever stock
    there is (the order waits BACKORDERED, as when stock vanishes); the caller released them from supply."""
    wanted = [{"b_sku": sku, "b_quantity": -n} for sku, n in sorted(units.items()) if n]
    if wanted:
        await session.execute(_RELEASE_PROMISE, wanted)
        await _count_for_channel(session, [(channel_id, sku, n, 0) for sku, n in units.items()])
