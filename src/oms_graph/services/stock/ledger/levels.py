"""Stock levels: reservations (pickup orders, routing), their release, and units leaving or arriving."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.dialect import byte_order, connection_of, insert_for, insert_rows
from oms_graph.db.models import Location
from oms_graph.services.stock.figures import AVAILABLE, network_capacity
from oms_graph.services.stock.ledger.promises import count_routed, lock_channels, lock_products, release_promise
from oms_graph.services.stock.ledger.rows import Movement, levels, movement_row, movements

_level = levels.c

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
_LEVEL = select(_level.on_hand, _level.reserved, _level.safety_stock).where(*_AT)
_TAKE_ON_HAND = (
    update(levels)
    .where(*_AT, _level.on_hand >= bindparam("b_quantity"))
    .values(on_hand=_level.on_hand - bindparam("b_quantity"), updated_at=bindparam("b_at"))
    .returning(_level.on_hand, _level.safety_stock, _level.reserved)
)


async def reserve(
    session: AsyncSession, *, sku: str, location: Location, quantity: int, at: datetime, promised: int
) -> bool:
    """Reserve units at a pickup location; at an active SHIP location the sku's network promise (`promised`,
    read under the product lock) must stay covered too. False (nothing changed) when there are not enough."""
    ships = location.can_ship and location.active
    params = {"b_sku": sku, "b_location": location.id, "b_quantity": quantity, "b_at": at, "b_promised": promised}
    taken = await (await connection_of(session)).execute(_RESERVE_AT_SHIP if ships else _RESERVE, params)
    return taken.first() is not None


async def route(
    session: AsyncSession,
    *,
    units: Mapping[tuple[str, uuid.UUID], int],
    channels: Mapping[tuple[uuid.UUID, str], int],
    at: datetime,
) -> bool:
    """Move promised units to the locations routing chose (`reserved` and `routed` up), every (sku, location)
    or none of them (False); `channels`: the same units per (channel id, sku) of the orders they serve."""
    await lock_channels(session, keys=channels)
    conn = await connection_of(session)
    done: list[dict[str, Any]] = []
    for (sku, location_id), quantity in sorted(units.items()):
        params = {"b_sku": sku, "b_location": location_id, "b_quantity": quantity, "b_at": at}
        if (await conn.execute(_ROUTE, params)).first() is None:
            if done:
                await conn.execute(_RELEASE, [{**taken, "b_routed": taken["b_quantity"]} for taken in done])
            return False
        done.append(params)
    await count_routed(session, units=channels)
    return True


async def release(
    session: AsyncSession,
    *,
    units: Mapping[tuple[str, uuid.UUID], int],
    routed: bool,
    at: datetime,
    write_off: Movement | None = None,
    channel_id: uuid.UUID | None = None,
) -> None:
    """Give reservations back, units per (sku, location) (a routed delivery's units rejoin the promise of
    its order's channel, `channel_id`: `routed` goes down too). With `write_off` the units also leave the
    onHand there, as far as it has them (not there, damaged)."""
    if routed:
        if channel_id is None:
            raise ValueError("routed units go back to the promise of their order's channel: give channel_id")
        back: Counter[str] = Counter()
        for (sku, _), n in units.items():
            back[sku] -= n
        await count_routed(session, units={(channel_id, sku): n for sku, n in back.items()})
    rows: list[dict[str, Any]] = [
        {"b_sku": sku, "b_location": location_id, "b_quantity": n, "b_routed": n if routed else 0, "b_at": at}
        for (sku, location_id), n in sorted(units.items())
        if n
    ]
    if not rows:
        return
    conn = await connection_of(session)
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
            written.append(movement_row(params["b_sku"], params["b_location"], -taken, after, write_off))
    await insert_rows(session, movements, written)


async def consume(
    session: AsyncSession,
    *,
    location_id: uuid.UUID,
    units: Mapping[str, int],
    movement: Movement,
    channel_id: uuid.UUID | None = None,
) -> str | None:
    """Reserved units leave the location (shipped, collected): `on_hand` and `reserved` down, and for a
    delivery (an order of the channel `channel_id`) `routed` and the promise. Returns the first sku the
    location has too few of on hand (a recount found fewer than were reserved): the caller must then roll
    back, as part was done."""
    routed = channel_id is not None
    if channel_id is not None:
        await lock_products(session, skus=units)
        await release_promise(session, channel_id=channel_id, units=units, routed=True)
    conn = await connection_of(session)
    written = []
    for sku, n in sorted(units.items()):
        params = {"b_sku": sku, "b_location": location_id, "b_quantity": n, "b_routed": n if routed else 0}
        after = (await conn.execute(_CONSUME, {**params, "b_at": movement.at})).first()
        if after is None:
            return sku
        written.append(movement_row(sku, location_id, -n, after, movement))
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
    conn = await connection_of(session)
    written = []
    for sku, on_hand, reserved in found.all():
        take = min(units[sku], max(on_hand - reserved, 0))
        if take:
            params = {"b_sku": sku, "b_location": location_id, "b_quantity": take, "b_at": movement.at}
            after = (await conn.execute(_TAKE_ON_HAND, params)).one()
            written.append(movement_row(sku, location_id, -take, after, movement))
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
        written.append(movement_row(sku, location_id, n, row, movement))
    await insert_rows(session, movements, written)
    return after


async def write_off(
    session: AsyncSession, *, sku: str, location_id: uuid.UUID, units: int, movement: Movement
) -> Row[Any] | None:
    """Units leave a location's onHand (shrinkage, damage); None (nothing changed) when it has fewer."""
    params = {"b_sku": sku, "b_location": location_id, "b_quantity": units, "b_at": movement.at}
    after = (await (await connection_of(session)).execute(_TAKE_ON_HAND, params)).first()
    if after is not None:
        await insert_rows(session, movements, [movement_row(sku, location_id, -units, after, movement)])
    return after
