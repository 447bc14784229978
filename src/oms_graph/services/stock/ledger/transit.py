"""Stock in transit: units a transfer takes off its source's shelf and brings to its destination. Shipped,
they leave the source's onHand (and the reservation the transfer held there) and become the destination's
`in_transit`; received, they leave `in_transit` and join its onHand, reserved at once for the pickup order
they were sent for. A movement row at each end, and nothing counted twice: in transit is never available."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.dialect import connection_of, insert_for, insert_rows
from oms_graph.services.stock.ledger.rows import Movement, levels, movement_row, movements

_level = levels.c
_AT = (_level.sku == bindparam("b_sku"), _level.location_id == bindparam("b_location"))
# The source's shelf gives the units the transfer reserved there.
_SEND = (
    update(levels)
    .where(*_AT, _level.on_hand >= bindparam("b_quantity"), _level.reserved >= bindparam("b_quantity"))
    .values(
        on_hand=_level.on_hand - bindparam("b_quantity"),
        reserved=_level.reserved - bindparam("b_quantity"),
        updated_at=bindparam("b_at"),
    )
    .returning(_level.on_hand, _level.safety_stock)
)
# Arrived: off the road, onto the shelf (sellable and damaged alike: the damaged are written off after), the
# units of a pickup order reserved for it in the same statement.
_LAND = (
    update(levels)
    .where(*_AT, _level.in_transit >= bindparam("b_shipped"))
    .values(
        in_transit=_level.in_transit - bindparam("b_shipped"),
        on_hand=_level.on_hand + bindparam("b_quantity"),
        reserved=_level.reserved + bindparam("b_reserve"),
        updated_at=bindparam("b_at"),
    )
    .returning(_level.on_hand, _level.safety_stock)
)
_OFF_THE_ROAD = (
    update(levels)
    .where(*_AT, _level.in_transit >= bindparam("b_quantity"))
    .values(in_transit=_level.in_transit - bindparam("b_quantity"), updated_at=bindparam("b_at"))
)


async def send(
    session: AsyncSession,
    *,
    from_location_id: uuid.UUID,
    to_location_id: uuid.UUID,
    units: Mapping[str, int],
    movement: Movement,
) -> str | None:
    """Reserved units leave the source (onHand and reserved down) and are in transit to the destination.
    Returns the first sku the source has too few of on hand (a recount found fewer than were reserved):
    the caller must then roll back, as part was done."""
    conn = await connection_of(session)
    written = []
    for sku, n in sorted(units.items()):
        params = {"b_sku": sku, "b_location": from_location_id, "b_quantity": n, "b_at": movement.at}
        after = (await conn.execute(_SEND, params)).first()
        if after is None:
            return sku
        written.append(movement_row(sku, from_location_id, -n, after, movement))
    await insert_rows(session, movements, written)
    for sku, n in sorted(units.items()):
        await _add_in_transit(session, sku=sku, location_id=to_location_id, units=n, at=movement.at)
    return None


async def land(
    session: AsyncSession,
    *,
    location_id: uuid.UUID,
    arrived: Mapping[str, tuple[int, int]],
    reserve: Mapping[str, int],
    movement: Movement,
) -> None:
    """Shipped units reach the destination: per sku (shipped, arrived) leave its in transit, the arrived join
    its onHand, and `reserve` of them are reserved for the order they were sent for. What was shipped but
    did not arrive leaves the road with no row of its own (the transfer's lines keep the shortfall)."""
    conn = await connection_of(session)
    written = []
    for sku, (shipped, n) in sorted(arrived.items()):
        params = {
            "b_sku": sku,
            "b_location": location_id,
            "b_shipped": shipped,
            "b_quantity": n,
            "b_reserve": reserve.get(sku, 0),
            "b_at": movement.at,
        }
        after = (await conn.execute(_LAND, params)).one()  # in transit since it shipped: the row is there
        if n:
            written.append(movement_row(sku, location_id, n, after, movement))
    await insert_rows(session, movements, written)


async def call_back(session: AsyncSession, *, to_location_id: uuid.UUID, units: Mapping[str, int], at: Any) -> None:
    """Units on the road to a location will not arrive there (the transfer was called back): off its in
    transit. The caller puts them back where they came from (`receive`)."""
    conn = await connection_of(session)
    for sku, n in sorted(units.items()):
        await conn.execute(_OFF_THE_ROAD, {"b_sku": sku, "b_location": to_location_id, "b_quantity": n, "b_at": at})


async def _add_in_transit(session: AsyncSession, *, sku: str, location_id: uuid.UUID, units: int, at: Any) -> None:
    stmt = insert_for(session, levels).values(sku=sku, location_id=location_id, in_transit=units, updated_at=at)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_level.sku, _level.location_id],
        set_={"in_transit": _level.in_transit + stmt.excluded.in_transit, "updated_at": at},
    )
    await session.execute(stmt)
