"""The figures of stock that SQL computes: what a level can still give, and what a sku's network can
promise, what a pool of locations holds free. One expression each, the SQL twins of `domain.stock`; the
ledger's conditional updates use them."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.dialect import connection_of
from oms_graph.db.models import Location, StockLevel
from oms_graph.domain import stock as rules
from oms_graph.domain.pools import Pool

levels = cast(Table, StockLevel.__table__)
_level = levels.c

# What a stock level can still give to new demand: the SQL twin of `domain.stock.available`.
AVAILABLE: ColumnElement[int] = rules.available(
    on_hand=_level.on_hand, reserved=_level.reserved, safety_stock=_level.safety_stock
)


def promise_capacity() -> ColumnElement[int]:
    """What a stock level (joined to its location) gives its sku's network promise: its positive available
    at an active SHIP location, plus the units routed here from earlier promises. A sku's availableToPromise
    is the sum over its levels less `Product.promised`."""
    shippable = and_(Location.active.is_(True), Location.can_ship.is_(True), AVAILABLE > 0)
    return case((shippable, AVAILABLE), else_=0) + _level.routed


def network_capacity(sku: Any) -> Any:
    """What the sku's network can promise in all (its availableToPromise plus `promised`), as a subquery."""
    return (
        select(func.coalesce(func.sum(promise_capacity()), 0))
        .select_from(levels.join(Location, Location.id == _level.location_id))
        .where(_level.sku == sku)
        .scalar_subquery()
    )


def feeds(pool: Pool) -> ColumnElement[bool]:
    """Whether a location feeds the pool: the SQL twin of `Pool.feeds`."""
    parts: list[ColumnElement[bool]] = [true()]
    if pool.location_kinds is not None:
        parts.append(Location.kind.in_(sorted(pool.location_kinds)))
    if pool.regions is not None:
        parts.append(Location.region.in_(sorted(pool.regions)))
    if pool.location_codes is not None:
        parts.append(Location.code.in_(sorted(pool.location_codes)))
    return and_(*parts)


def _gives_pool(pool: Pool) -> ColumnElement[bool]:
    """Whether a level (joined to its location) gives the pool free units: positive available at an active
    SHIP location that feeds it."""
    return and_(feeds(pool), Location.active.is_(True), Location.can_ship.is_(True), AVAILABLE > 0)


def pool_units(pool: Pool) -> ColumnElement[int]:
    """What a level (joined to its location) holds free for the pool; summed per sku, `pool_free`."""
    return case((_gives_pool(pool), AVAILABLE), else_=0)


def pool_free_of(pool: Pool, sku: Any) -> Any:
    """What the pool holds free of the sku (see `pool_free`), as a subquery."""
    return (
        select(func.coalesce(func.sum(pool_units(pool)), 0))
        .select_from(levels.join(Location, Location.id == _level.location_id))
        .where(_level.sku == sku)
        .scalar_subquery()
    )


@lru_cache(maxsize=256)
def _pool_free_statement(pool: Pool) -> Select[Any]:
    """`pool_free`'s statement, built once per pool (routing runs it for every pooled channel)."""
    return (
        select(_level.sku, func.sum(AVAILABLE))
        .join(Location, Location.id == _level.location_id)
        .where(_level.sku.in_(bindparam("b_skus", expanding=True)), _gives_pool(pool))
        .group_by(_level.sku)
    )


async def pool_free(session: AsyncSession, *, pool: Pool, skus: Sequence[str]) -> dict[str, int]:
    """Per sku, the positive available of its levels at the pool's active SHIP locations: what it holds free."""
    if not skus:
        return {}
    conn = await connection_of(session)
    rows = await conn.execute(_pool_free_statement(pool), {"b_skus": list(skus)})
    return {sku: int(units) for sku, units in rows}
