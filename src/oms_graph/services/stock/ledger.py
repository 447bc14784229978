"""The stock ledger: the one writer of the stock counters (`on_hand`, `reserved`, `routed` of a stock level,
`promised` of a product).

Every change is one named operation: a conditional UPDATE whose effect is checked, and for a change of
`on_hand` a movement row in the same transaction, so the movements of a level always add up to its onHand.

The lock order, for every transaction that writes counters: the skus' product rows first (when a promise
changes), then their stock levels, each in code-point sku order (then location). In PostgreSQL's READ
COMMITTED every statement after the product lock sees every earlier placement and reservation of those
skus, and two transactions touching the same skus cannot deadlock. (What each counter means: the models.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.dialect import byte_order, dialect_of, insert_for, insert_rows, lock_rows, update_rows
from oms_graph.db.models import Location, Product, StockLevel, StockMovement
from oms_graph.services.stock.figures import AVAILABLE, network_capacity

levels = cast(Table, StockLevel.__table__)
products = cast(Table, Product.__table__)
movements = cast(Table, StockMovement.__table__)
LEVEL_KEY = ("sku", "location_id")
CHUNK = 1000  # levels per statement when a count reads what moved since
_level, _product = levels.c, products.c

# The hot path's statements are built once; each call only binds values (b_* parameters).
_PROMISE = (
    update(products)
    .where(
        _product.sku == bindparam("b_sku"),
        _product.promised + bindparam("b_quantity") <= network_capacity(bindparam("b_sku")),
    )
    .values(promised=_product.promised + bindparam("b_quantity"), updated_at=_product.updated_at)  # not master data
    .returning(_product.sku)
)
_RELEASE_PROMISE = (
    update(products)
    .where(_product.sku == bindparam("b_sku"))
    .values(promised=_product.promised - bindparam("b_quantity"), updated_at=_product.updated_at)
)
_AT = (_level.sku == bindparam("b_sku"), _level.location_id == bindparam("b_location"))
_RESERVE = (
    update(levels)
    .where(*_AT, AVAILABLE >= bindparam("b_quantity"))
    .values(reserved=_level.reserved + bindparam("b_quantity"), updated_at=bindparam("b_at"))
    .returning(_level.sku)
)
# At a SHIP location a pickup reservation must also leave the sku's network promise covered.
_RESERVE_AT_SHIP = _RESERVE.where(
    network_capacity(bindparam("b_sku")) - bindparam("b_promised") >= bindparam("b_quantity")
)
_ROUTE = (
    update(levels)
    .where(*_AT, AVAILABLE >= bindparam("b_quantity"))
    .values(
        reserved=_level.reserved + bindparam("b_quantity"),
        routed=_level.routed + bindparam("b_quantity"),
        updated_at=bindparam("b_at"),
    )
    .returning(_level.sku)
)
_RELEASE = (
    update(levels)
    .where(*_AT)
    .values(
        reserved=_level.reserved - bindparam("b_quantity"),
        routed=_level.routed - bindparam("b_routed"),
        updated_at=bindparam("b_at"),
    )
)
_CONSUME = (
    update(levels)
    .where(*_AT, _level.on_hand >= bindparam("b_quantity"), _level.reserved >= bindparam("b_quantity"))
    .values(
        on_hand=_level.on_hand - bindparam("b_quantity"),
        reserved=_level.reserved - bindparam("b_quantity"),
        routed=_level.routed - bindparam("b_routed"),
        updated_at=bindparam("b_at"),
    )
    .returning(_level.on_hand, _level.safety_stock)
)
_TAKE_ON_HAND = (
    update(levels)
    .where(*_AT, _level.on_hand >= bindparam("b_quantity"))
    .values(on_hand=_level.on_hand - bindparam("b_quantity"), updated_at=bindparam("b_at"))
    .returning(_level.on_hand, _level.safety_stock, _level.reserved)
)
_LEVEL = select(_level.on_hand, _level.reserved, _level.safety_stock).where(*_AT)


@lru_cache(maxsize=4)
def _lock_products(dialect: str) -> Any:
    return (
        select(_product.sku, _product.promised)
        .where(_product.sku.in_(bindparam("b_skus", expanding=True)))
        .order_by(_product.sku.collate("C") if dialect == "postgresql" else _product.sku)
        .with_for_update()
    )


@dataclass(frozen=True)
class Movement:
    """Why onHand changed, who changed it, and when: what every movement row of one operation shares."""

    reason: str
    actor: str | None
    at: datetime
    source: str | None = None  # with movement_id: a movement sent from outside, applied once per location
    movement_id: str | None = None


async def lock_products(session: AsyncSession, *, skus: Iterable[str]) -> dict[str, int]:
    """Lock the skus' product rows in code-point order (the first lock of any change to a promise);
    their `promised` counters."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    conn = await session.connection()
    return dict((await conn.execute(_lock_products(dialect_of(session)), {"b_skus": wanted})).all())


async def promise(session: AsyncSession, *, sku: str, quantity: int) -> bool:
    """Take units from the sku's availableToPromise; False (nothing changed) when there are not enough."""
    taken = await (await session.connection()).execute(_PROMISE, {"b_sku": sku, "b_quantity": quantity})
    return taken.first() is not None


async def release_promise(session: AsyncSession, *, units: Mapping[str, int]) -> None:
    """Delivery units leave the skus' promise (cancelled or shipped); the caller locked the products."""
    wanted = [{"b_sku": sku, "b_quantity": n} for sku, n in sorted(units.items()) if n]
    if wanted:
        await session.execute(_RELEASE_PROMISE, wanted)


async def reserve(
    session: AsyncSession, *, sku: str, location: Location, quantity: int, at: datetime, promised: int
) -> bool:
    """Reserve units at a pickup location; at an active SHIP location the sku's network promise (`promised`,
    read under the product lock) must stay covered too. False (nothing changed) when there are not enough."""
    ships = location.can_ship and location.active
    params = {"b_sku": sku, "b_location": location.id, "b_quantity": quantity, "b_at": at, "b_promised": promised}
    taken = await (await session.connection()).execute(_RESERVE_AT_SHIP if ships else _RESERVE, params)
    return taken.first() is not None


async def route(session: AsyncSession, *, units: Mapping[tuple[str, uuid.UUID], int], at: datetime) -> bool:
    """Move promised units to the locations routing chose (`reserved` and `routed` up), every (sku, location)
    or none of them (False)."""
    conn = await session.connection()
    done: list[dict[str, Any]] = []
    for (sku, location_id), quantity in sorted(units.items()):
        params = {"b_sku": sku, "b_location": location_id, "b_quantity": quantity, "b_at": at}
        if (await conn.execute(_ROUTE, params)).first() is None:
            if done:
                await conn.execute(_RELEASE, [{**taken, "b_routed": taken["b_quantity"]} for taken in done])
            return False
        done.append(params)
    return True


async def release(
    session: AsyncSession,
    *,
    units: Mapping[tuple[str, uuid.UUID], int],
    routed: bool,
    at: datetime,
    write_off: Movement | None = None,
) -> None:
    """Give reservations back, units per (sku, location) (a routed delivery's units rejoin the promise:
    `routed` goes down too). With `write_off` the units also leave the onHand there, as far as it has them
    (not there, damaged)."""
    rows: list[dict[str, Any]] = [
        {"b_sku": sku, "b_location": location_id, "b_quantity": n, "b_routed": n if routed else 0, "b_at": at}
        for (sku, location_id), n in sorted(units.items())
        if n
    ]
    if not rows:
        return
    conn = await session.connection()
    if write_off is None:
        await conn.execute(_RELEASE, rows)
        return
    written = []
    for params in rows:
        await conn.execute(_RELEASE, params)
        on_hand = (await conn.execute(_LEVEL.with_for_update(), params)).one().on_hand
        taken = min(params["b_quantity"], on_hand)
        if taken:
            after = (await conn.execute(_TAKE_ON_HAND, {**params, "b_quantity": taken})).one()
            written.append(_movement(params["b_sku"], params["b_location"], -taken, after, write_off))
    await insert_rows(session, movements, written)


async def consume(
    session: AsyncSession, *, location_id: uuid.UUID, units: Mapping[str, int], routed: bool, movement: Movement
) -> str | None:
    """Reserved units leave the location (shipped, collected): `on_hand` and `reserved` down, and for a
    delivery `routed` and the sku's promise. Returns the first sku the location has too few of on hand (a
    recount found fewer than were reserved): the caller must then roll back, as part was done."""
    if routed:
        await lock_products(session, skus=units)
    conn = await session.connection()
    written = []
    for sku, n in sorted(units.items()):
        params = {"b_sku": sku, "b_location": location_id, "b_quantity": n, "b_routed": n if routed else 0}
        after = (await conn.execute(_CONSUME, {**params, "b_at": movement.at})).first()
        if after is None:
            return sku
        written.append(_movement(sku, location_id, -n, after, movement))
    if routed:
        await release_promise(session, units=units)
    await insert_rows(session, movements, written)
    return None


async def sell_off_the_shelf(
    session: AsyncSession, *, location_id: uuid.UUID, units: Mapping[str, int], movement: Movement
) -> None:
    """Units sold at a till leave the location's onHand, as far as it counts units nobody reserved (the
    till's word beats a stale count; other orders' reservations are not taken)."""
    found = await session.execute(
        select(_level.sku, _level.on_hand, _level.reserved)
        .where(_level.location_id == location_id, _level.sku.in_(list(units)))
        .order_by(byte_order(session, _level.sku))
        .with_for_update()
    )
    conn = await session.connection()
    written = []
    for sku, on_hand, reserved in found.all():
        take = min(units[sku], max(on_hand - reserved, 0))
        if take:
            params = {"b_sku": sku, "b_location": location_id, "b_quantity": take, "b_at": movement.at}
            after = (await conn.execute(_TAKE_ON_HAND, params)).one()
            written.append(_movement(sku, location_id, -take, after, movement))
    await insert_rows(session, movements, written)


async def receive(
    session: AsyncSession, *, location_id: uuid.UUID, units: Mapping[str, int], movement: Movement
) -> dict[str, Row[Any]]:
    """Units arrive at a location (goods in, a return, a found unit): onHand up, making the stock level when
    the location never had the sku. The levels after, by sku."""
    after: dict[str, Row[Any]] = {}
    written = []
    for sku, n in sorted(units.items()):
        stmt = insert_for(session, levels).values(sku=sku, location_id=location_id, on_hand=n, updated_at=movement.at)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_level.sku, _level.location_id],
            set_={"on_hand": _level.on_hand + stmt.excluded.on_hand, "updated_at": movement.at},
        )
        row = (await session.execute(stmt.returning(_level.on_hand, _level.reserved, _level.safety_stock))).one()
        after[sku] = row
        written.append(_movement(sku, location_id, n, row, movement))
    await insert_rows(session, movements, written)
    return after


async def write_off(
    session: AsyncSession, *, sku: str, location_id: uuid.UUID, units: int, movement: Movement
) -> Row[Any] | None:
    """Units leave a location's onHand (shrinkage, damage); None (nothing changed) when it has fewer."""
    params = {"b_sku": sku, "b_location": location_id, "b_quantity": units, "b_at": movement.at}
    after = (await (await session.connection()).execute(_TAKE_ON_HAND, params)).first()
    if after is not None:
        await insert_rows(session, movements, [_movement(sku, location_id, -units, after, movement)])
    return after


@dataclass(frozen=True)
class Count:
    """A counted stock level: its onHand when it was counted, and its safety stock when the count sets one."""

    sku: str
    location_id: uuid.UUID
    on_hand: int
    safety_stock: int | None
    counted_at: datetime


@dataclass(frozen=True)
class Counted:
    """A count applied (onHand: the counted figure plus what moved since), or stale (older than the last
    count applied to the level: nothing changed)."""

    before: Row[Any]
    on_hand: int
    safety_stock: int
    stale: bool


async def count(
    session: AsyncSession, *, counts: Sequence[Count], movement: Movement
) -> dict[tuple[str, uuid.UUID], Counted]:
    """Set onHand to what was counted plus the movements recorded at the level after the count was taken
    (not other counts); safety stock when given; reservations are kept. By (sku, location id)."""
    wanted = sorted(counts, key=lambda c: (c.sku, c.location_id))
    keys = [(c.sku, c.location_id) for c in wanted]
    await insert_rows(
        session,
        levels,
        [{"sku": sku, "location_id": loc, "updated_at": movement.at} for sku, loc in keys],
        skip_conflicts=True,
    )
    before = {(r.sku, r.location_id): r for r in await lock_rows(session, levels, keys, key=LEVEL_KEY)}
    since = await _moved_since(session, wanted, count_reason=movement.reason)
    done: dict[tuple[str, uuid.UUID], Counted] = {}
    changes, written = [], []
    for c in wanted:
        key = (c.sku, c.location_id)
        old = before[key]
        if old.counted_at is not None and c.counted_at < old.counted_at:
            done[key] = Counted(old, old.on_hand, old.safety_stock, stale=True)
            continue
        safety = old.safety_stock if c.safety_stock is None else c.safety_stock
        on_hand = max(0, c.on_hand + since.get(key, 0))
        done[key] = Counted(old, on_hand, safety, stale=False)
        changes.append(
            {
                "sku": c.sku,
                "location_id": c.location_id,
                "on_hand": on_hand,
                "safety_stock": safety,
                "counted_at": c.counted_at,
                "updated_at": movement.at,
            }
        )
        if on_hand != old.on_hand or safety != old.safety_stock:
            row = _movement(
                c.sku,
                c.location_id,
                on_hand - old.on_hand,
                SimpleNamespace(on_hand=on_hand, safety_stock=safety),
                movement,
            )
            written.append({**row, "counted": c.on_hand})
    await update_rows(session, levels, changes, key=LEVEL_KEY)
    await insert_rows(session, movements, written)
    return done


async def _moved_since(
    session: AsyncSession, counts: Sequence[Count], *, count_reason: str
) -> dict[tuple[str, uuid.UUID], int]:
    """Per level, what its movements after its count was taken add up to (counts left out)."""
    moved: dict[tuple[str, uuid.UUID], int] = {}
    by_time: dict[datetime, list[tuple[str, uuid.UUID]]] = {}
    for c in counts:
        by_time.setdefault(c.counted_at, []).append((c.sku, c.location_id))
    m = movements.c
    for at, keys in by_time.items():
        for start in range(0, len(keys), CHUNK):
            rows = await session.execute(
                select(m.sku, m.location_id, func.sum(m.delta))
                .where(
                    tuple_(m.sku, m.location_id).in_(keys[start : start + CHUNK]),
                    m.at > at,
                    m.counted.is_(None),
                    m.reason != count_reason,
                )
                .group_by(m.sku, m.location_id)
            )
            moved.update({(sku, loc): int(total) for sku, loc, total in rows})
    return moved


def _movement(sku: str, location_id: uuid.UUID, delta: int, after: Any, movement: Movement) -> dict[str, Any]:
    """A ledger row: the change of onHand and the level after it."""
    return {
        "sku": sku,
        "location_id": location_id,
        "delta": delta,
        "on_hand_after": after.on_hand,
        "safety_stock_after": after.safety_stock,
        "reason": movement.reason,
        "actor": movement.actor,
        "at": movement.at,
        "counted": None,
        "source": movement.source,
        "movement_id": movement.movement_id,
    }
