"""Fulfilments: the stock they hold at their location, what of an order none holds, and their shipments' moves."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, func, literal, select, type_coerce, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import connection_of
from oms_graph.db.models import Fulfilment, FulfilmentLine, OrderLine, Shipment
from oms_graph.domain.events import EventType
from oms_graph.domain.fulfilment import HOLDING_STOCK, FulfilmentStatus, ShipmentStatus
from oms_graph.domain.orders import FulfilmentMethod
from oms_graph.domain.supply import routable
from oms_graph.services.outbox import append_event
from oms_graph.services.stock import ledger
from oms_graph.services.transfers import ship_to_store

# What an order line still wants: its quantity less what was cancelled.
ORDERED_UNITS = OrderLine.quantity - OrderLine.quantity_cancelled
ORDERED = select(OrderLine.order_id, OrderLine.sku, ORDERED_UNITS).where(
    OrderLine.order_id.in_(bindparam("b_orders", expanding=True))
)
# What a fulfilment line holds: what was picked once picked (a short pick gave the rest back), else all of it.
HELD_UNITS = func.coalesce(FulfilmentLine.quantity_picked, FulfilmentLine.quantity)
LIVE = Fulfilment.status.notin_([FulfilmentStatus.CANCELLED, FulfilmentStatus.REJECTED])  # holds its units
HELD = (
    select(Fulfilment.order_id, FulfilmentLine.sku, func.sum(HELD_UNITS))
    .join(Fulfilment, Fulfilment.id == FulfilmentLine.fulfilment_id)
    .where(Fulfilment.order_id.in_(bindparam("b_orders", expanding=True)), LIVE)
    .group_by(Fulfilment.order_id, FulfilmentLine.sku)
)


# An order's standing in one statement: its fulfilments' statuses ("F"), what it orders per line ("O") and
# what its live fulfilments hold per line ("H"), the order's own `ORDERED` and `HELD`.
_STANDING = union_all(
    select(literal("O"), OrderLine.sku, ORDERED_UNITS).where(OrderLine.order_id == bindparam("b_order")),
    select(literal("H"), FulfilmentLine.sku, HELD_UNITS)
    .join(Fulfilment, Fulfilment.id == FulfilmentLine.fulfilment_id)
    .where(Fulfilment.order_id == bindparam("b_order"), LIVE),
    select(literal("F"), type_coerce(Fulfilment.status, String), literal(0)).where(
        Fulfilment.order_id == bindparam("b_order")
    ),
)


@dataclass(frozen=True)
class Standing:
    """Where an order's fulfilments stand, whether units of it wait for stock that no live fulfilment holds,
    and whether some wait for inbound supply (a split order's rest)."""

    statuses: list[FulfilmentStatus]
    waiting: bool
    awaiting_supply: bool = False


async def standing(
    session: AsyncSession, *, order_id: uuid.UUID, future_units: Mapping[str, Any] | None = None
) -> Standing:
    """The order's `Standing`, in one statement (its changes flushed first); `future_units`: its units
    promised against supply, which wait for that, not for stock."""
    await session.flush()
    statuses, demand = [], Counter[str]()
    for kind, value, units in await (await connection_of(session)).execute(_STANDING, {"b_order": order_id}):
        if kind == "F":
            statuses.append(FulfilmentStatus(value))
        else:
            demand[value] += int(units) if kind == "O" else -int(units)
    unheld = {sku: units for sku, units in demand.items() if units > 0}
    return Standing(statuses, waiting=bool(routable(unheld, future_units)), awaiting_supply=bool(future_units))


@dataclass(frozen=True)
class Released:
    delivered: dict[str, int]  # units per sku the delivery fulfilments held (routed from the promise)
    skus: set[str]  # the skus whose reservations were given back: free on a shelf now


async def release_fulfilments(
    session: AsyncSession, *, order_id: uuid.UUID, channel_id: uuid.UUID, now: datetime, actor: str
) -> Released:
    """Cancel the order's fulfilments that still hold stock, giving their reservations back (a delivery
    fulfilment's units were routed from the promise: `routed` goes down with `reserved`). The caller takes
    the delivered units off the promise or routes them again."""
    held = (
        await session.execute(
            select(
                Fulfilment.id,
                Fulfilment.location_id,
                Fulfilment.method,
                FulfilmentLine.sku,
                HELD_UNITS,
                Fulfilment.status,
            )
            .join(FulfilmentLine, FulfilmentLine.fulfilment_id == Fulfilment.id)
            .where(Fulfilment.order_id == order_id, Fulfilment.status.in_(list(HOLDING_STOCK)))
        )
    ).all()
    waiting = {row.id for row in held if row.status == FulfilmentStatus.AWAITING_TRANSFER}
    coming = await ship_to_store.on_the_way(session, fulfilment_ids=waiting)  # not reserved at the store yet
    freed = await ship_to_store.stop_for(session, fulfilment_ids=waiting, actor=actor, at=now)
    released: dict[bool, Counter[tuple[str, uuid.UUID]]] = {True: Counter(), False: Counter()}
    for fulfilment_id, location_id, method, sku, quantity, _ in held:
        here = (quantity or 0) - coming.get(fulfilment_id, Counter())[sku]
        released[method == FulfilmentMethod.DELIVERY][(sku, location_id)] += here
    for routed, units in released.items():
        await ledger.release(session, units=units, routed=routed, at=now, channel_id=channel_id)
    delivered: dict[str, int] = {}
    for (sku, _), quantity in released[True].items():
        delivered[sku] = delivered.get(sku, 0) + quantity
    if held:
        ids = {row.id for row in held}
        await session.execute(
            update(Fulfilment).where(Fulfilment.id.in_(ids)).values(status=FulfilmentStatus.CANCELLED, updated_at=now)
        )
        open_shipments = [ShipmentStatus.BOOKING, ShipmentStatus.BOOKED]
        for shipment in await session.scalars(
            select(Shipment).where(Shipment.fulfilment_id.in_(ids), Shipment.status.in_(open_shipments))
        ):  # a booked one is cancelled with its carrier too, after commit (the relay hands on the event)
            await shipment_moved(session, shipment, order_id, ShipmentStatus.CANCELLED, actor)
    return Released(delivered, freed | {sku for units in released.values() for (sku, _), n in units.items() if n})


async def unallocated(session: AsyncSession, *, order_id: uuid.UUID) -> dict[str, int]:
    """Units per sku the order still wants that no live fulfilment holds (not cancelled, not rejected)."""
    return (await unallocated_of(session, [order_id]))[order_id]


async def unallocated_of(session: AsyncSession, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    """`unallocated` for several orders in two statements."""
    conn = await connection_of(session)
    demand: dict[uuid.UUID, dict[str, int]] = {order_id: {} for order_id in order_ids}
    for order_id, sku, quantity in await conn.execute(ORDERED, {"b_orders": order_ids}):
        demand[order_id][sku] = demand[order_id].get(sku, 0) + quantity
    for order_id, sku, quantity in await conn.execute(HELD, {"b_orders": order_ids}):
        demand[order_id][sku] = demand[order_id].get(sku, 0) - int(quantity)
    return {order_id: {sku: units for sku, units in lines.items() if units > 0} for order_id, lines in demand.items()}


async def shipment_moved(
    session: AsyncSession,
    shipment: Shipment,
    order_id: uuid.UUID,
    status: ShipmentStatus,
    actor: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Set a shipment's status and append SHIPMENT_<STATUS> to its order."""
    now = utcnow()
    shipment.status, shipment.updated_at = status, now
    await append_event(
        session,
        order_id=order_id,
        type=EventType.shipment(status),
        actor=actor,
        at=now,
        data={
            "shipment": str(shipment.id),
            "carrier": shipment.carrier,
            "trackingNumber": shipment.tracking_number,
            **(data or {}),
        },
    )
