"""The statements that differ between PostgreSQL and SQLite, behind one set of functions.

Bulk writes: on PostgreSQL a batch travels as one array per column and is unpacked with
unnest(), so 10,000 rows are one statement (and one plan) instead of 10,000 executions or a
row-value IN list that the planner chokes on. SQLite runs in-process, where executemany is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    case,
    column,
    func,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import FromClause

SQLITE_CHUNK = 1000


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


_CONNECTION = "oms.connection"


async def connection_of(session: AsyncSession) -> AsyncConnection:
    """The connection of the session's transaction (beginning one when there is none), as
    `session.connection()` gives it, asked for once per transaction: each ask costs a greenlet and a proxy.
    Inside a savepoint it is asked for again, which is what starts the savepoint (SQLAlchemy emits SAVEPOINT
    when the nested transaction first takes its connection): without that, a rollback to it undoes nothing."""
    held = session.info.get(_CONNECTION)
    sync = session.sync_session
    transaction = sync.get_nested_transaction() or sync.get_transaction()
    if held is not None and transaction is not None and held[0] is transaction:
        return held[1]  # type: ignore[no-any-return]
    conn = await session.connection()
    session.info[_CONNECTION] = (transaction, conn)
    return conn


def insert_for(session: AsyncSession, table):  # type: ignore[no-untyped-def]
    """An INSERT that knows ON CONFLICT on the session's dialect."""
    name = dialect_of(session)
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"dialect {name} is not supported")


def insert_or_nothing(session: AsyncSession, table: Table, returning: ColumnElement[Any]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING `returning`, built once per dialect and table (the values
    come with each execution): no row comes back when a unique key was taken."""
    return _insert_or_nothing(dialect_of(session), table, returning)


@lru_cache(maxsize=16)
def _insert_or_nothing(dialect: str, table: Table, returning: ColumnElement[Any]) -> Any:
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return insert.on_conflict_do_nothing().returning(returning)


_ADVISORY_LOCK = select(func.pg_advisory_xact_lock(bindparam("b_key", type_=BigInteger)))


async def hold_lock(session: AsyncSession, key: int) -> None:
    """Take a lock one transaction holds at a time until it ends (PostgreSQL advisory lock); SQLite's write
    transaction holds the whole database already."""
    if dialect_of(session) == "postgresql":
        await session.execute(_ADVISORY_LOCK, {"b_key": key})


def seconds_between(session: AsyncSession, start: Any, end: Any) -> ColumnElement[Any]:
    """end - start in seconds, for timestamp columns or bound timestamps."""
    if dialect_of(session) == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def byte_order(session: AsyncSession, col: Any) -> ColumnElement[Any]:
    """The column sorted by code point, as Python sorts str; lock orders must agree across both."""
    text = isinstance(col.type, String)
    return col.collate("C") if text and dialect_of(session) == "postgresql" else col


def _unnest(table: Table, names: Sequence[str]) -> FromClause:
    """unnest() of one array parameter per column (named u_<column>), as a table of those columns."""
    arrays = [bindparam(f"u_{n}", type_=postgresql.ARRAY(table.c[n].type)) for n in names]
    return func.unnest(*arrays).table_valued(*(column(n, table.c[n].type) for n in names)).render_derived(name="u")


def _arrays(rows: Sequence[dict[str, Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    return {f"u_{n}": [r[n] for r in rows] for n in names}


def unnest_of(table: Table, names: Sequence[str]) -> FromClause:
    """PostgreSQL: a table of these columns (typed as `table`'s) from one array parameter each, to join a
    statement with many keys; bind them with `arrays_of`."""
    return _unnest(table, names)


def arrays_of(keys: Sequence[tuple[Any, ...]], names: Sequence[str]) -> dict[str, list[Any]]:
    """The parameters of `unnest_of` for these keys (tuples of the columns' values, in `names` order)."""
    return {f"u_{n}": [k[i] for k in keys] for i, n in enumerate(names)}


@lru_cache(maxsize=64)
def _bulk_insert(table: Table, names: tuple[str, ...], skip_conflicts: bool) -> Any:
    source = _unnest(table, names)
    bulk = postgresql.insert(table).from_select(list(names), select(*(source.c[n] for n in names)))
    return bulk.on_conflict_do_nothing() if skip_conflicts else bulk


@lru_cache(maxsize=64)
def _bulk_update(table: Table, names: tuple[str, ...], key: tuple[str, ...], increment: tuple[str, ...]) -> Any:
    source = _unnest(table, names)
    return (
        update(table)
        .where(and_(*(table.c[k] == source.c[k] for k in key)))
        .values({n: source.c[n] for n in names if n not in key} | {n: table.c[n] + 1 for n in increment})
    )


async def insert_rows(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], *, skip_conflicts: bool = False
) -> None:
    """INSERT many rows (all with the same keys), optionally skipping ones whose key exists."""
    if not rows:
        return
    if dialect_of(session) == "postgresql":
        names = tuple(rows[0])
        await (await connection_of(session)).execute(_bulk_insert(table, names, skip_conflicts), _arrays(rows, names))
        return
    many = sqlite.insert(table)
    await session.execute(many.on_conflict_do_nothing() if skip_conflicts else many, list(rows))


async def update_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    key: Sequence[str],
    increment: Sequence[str] = (),
) -> None:
    """UPDATE each row found by its key columns to the other values given (all rows with the same keys),
    and the `increment` columns up by one."""
    if not rows:
        return
    names = list(rows[0])
    values = [n for n in names if n not in key]
    if dialect_of(session) == "postgresql":
        bulk = _bulk_update(table, tuple(names), tuple(key), tuple(increment))
        await (await connection_of(session)).execute(bulk, _arrays(rows, names))
        return
    stmt = (
        update(table)
        .where(and_(*(table.c[k] == bindparam(f"b_{k}") for k in key)))
        .values({n: bindparam(f"b_{n}") for n in values} | {n: table.c[n] + 1 for n in increment})
    )
    await session.execute(stmt, [{f"b_{n}": r[n] for n in names} for r in rows])


async def lock_rows(
    session: AsyncSession, table: Table, keys: Sequence[tuple[Any, ...]], *, key: Sequence[str]
) -> list[Row[Any]]:
    """Read the rows with these keys, locked for update in key order (code point order for text).

    SQLite needs no row locks: the write transaction (BEGIN IMMEDIATE) holds the database.
    """
    if not keys:
        return []
    if dialect_of(session) == "postgresql":
        source = _unnest(table, key)
        stmt = (
            select(table)
            .join(source, and_(*(table.c[k] == source.c[k] for k in key)))
            .order_by(*(byte_order(session, table.c[k]) for k in key))
            .with_for_update(of=table)
        )
        return list(await session.execute(stmt, _arrays([dict(zip(key, k, strict=True)) for k in keys], key)))
    found: list[Row[Any]] = []
    for start in range(0, len(keys), SQLITE_CHUNK):
        chunk = keys[start : start + SQLITE_CHUNK]
        found += await session.execute(select(table).where(tuple_(*(table.c[k] for k in key)).in_(chunk)))
    return found


async def first_by_rank(
    session: AsyncSession,
    table: Table,
    *,
    group: str,
    groups: Sequence[Any],
    ranked_by: str,
    ranking: Sequence[Any],
    limit: int,
    where: ColumnElement[bool],
    value: ColumnElement[Any],
) -> dict[Any, tuple[list[int], list[Any]]]:
    """Per group value that has any, its first `limit` rows in a per-request ranking of `ranked_by` (e.g.
    locations by distance): their places in the ranking (from 0, so `ranking[place]` is the row's
    `ranked_by`) and their `value`s, in ranking order. Values missing from the ranking are left out.

    PostgreSQL answers one row per group with two arrays: it joins the whole ranking at once when the limit
    takes all of it, and otherwise walks it per group with a LATERAL index lookup that stops at `limit`.
    Its statements are built once per (table, columns, `where`, `value`): pass expressions built once.
    SQLite, in process, numbers the rows with a window function.
    """
    if not groups or not ranking or limit <= 0:
        return {}
    if dialect_of(session) == "postgresql":
        statement = _first_by_rank(table, group, ranked_by, where, value, whole=limit >= len(ranking))
        arrays = await (await connection_of(session)).execute(
            statement, {"groups": list(groups), "ranking": list(ranking), "limit": limit}
        )
        return {name: (list(found), list(values)) for name, found, values in arrays}
    key, ranked = table.c[group], table.c[ranked_by]
    numbered = case({v: n for n, v in enumerate(ranking)}, value=ranked)
    rows = (
        select(
            key,
            numbered.label("place"),
            value.label("value"),
            func.row_number().over(partition_by=key, order_by=numbered).label("n"),
        )
        .where(key.in_(list(groups)), ranked.in_(list(ranking)), where)
        .subquery()
    )
    answer: dict[Any, tuple[list[int], list[Any]]] = {}
    for name, at, found in await (await connection_of(session)).execute(
        select(rows.c[group], rows.c.place, rows.c.value).where(rows.c.n <= limit).order_by(rows.c[group], rows.c.place)
    ):
        places_of, values_of = answer.setdefault(name, ([], []))
        places_of.append(at)
        values_of.append(found)
    return answer


@lru_cache(maxsize=16)
def _first_by_rank(
    table: Table, group: str, ranked_by: str, where: ColumnElement[bool], value: ColumnElement[Any], *, whole: bool
) -> Select[Any]:
    """PostgreSQL's statement for `first_by_rank`, built once: bound to `groups`, `ranking` and `limit`."""
    key, ranked = table.c[group], table.c[ranked_by]
    places = (
        func.unnest(bindparam("ranking", type_=postgresql.ARRAY(ranked.type)))
        .table_valued(column("value", ranked.type), with_ordinality="place")
        .render_derived(name="places")
    )
    place = (places.c.place - 1).label("place")
    names = bindparam("groups", type_=postgresql.ARRAY(key.type))
    if whole:
        # The groups' rows first, then joined to the whole ranking by hash. Left to itself the planner,
        # which takes an unnested array for 10 rows, may probe the index once per ranked value instead.
        held = (
            select(key.label("group"), ranked.label("ranked"), value.label("value"))
            .where(key == any_(names), where)
            .cte("held")
            .prefix_with("MATERIALIZED")
        )
        return _arrays_per_group(held.c.group, place, held.c.value, held.join(places, held.c.ranked == places.c.value))
    keys = func.unnest(names).table_valued(column("value", key.type)).render_derived(name="keys")
    first = (
        select(place, value.label("value"))
        .select_from(places)
        .join(table, and_(key == keys.c.value, ranked == places.c.value))
        .where(where)
        .order_by(places.c.place)
        .limit(bindparam("limit", type_=Integer))
        .lateral("first")
    )
    return _arrays_per_group(keys.c.value, first.c.place, first.c.value, keys.join(first, true()))


def _arrays_per_group(group: Any, place: Any, value: Any, rows: Any) -> Select[Any]:
    """Per group: its places and its values, each an array in place order."""
    return (
        select(
            group, func.array_agg(aggregate_order_by(place, place)), func.array_agg(aggregate_order_by(value, place))
        )
        .select_from(rows)
        .group_by(group)
    )


async def next_in_sequence(session: AsyncSession, table: Table, *, column_name: str, sequence: str) -> int:
    """The next number of a counter column: a PostgreSQL sequence (no lock), or max + 1 on SQLite, whose
    single writer makes that safe."""
    statement = _next_number(dialect_of(session), table, column_name, sequence)
    return int(await (await connection_of(session)).scalar(statement) or 0)


@lru_cache(maxsize=16)
def _next_number(dialect: str, table: Table, column_name: str, sequence: str) -> Select[Any]:
    if dialect == "postgresql":
        return select(func.nextval(sequence))
    return select(func.coalesce(func.max(table.c[column_name]), 0) + 1)
