"""Routing an order: its promise becomes reservations at the chosen locations, one fulfilment each.

One transaction: lock the order and its skus' product rows (the lock order of placement and cancel),
read the candidate locations' stock after the locks, ask the engine for a plan, reserve by conditional
UPDATE, release the promise, write the fulfilments and the decision, and emit ORDER_ROUTED. An order
whose stock has vanished since it was promised is BACKORDERED instead. Only PLACED orders are routed,
so routing an order twice does nothing the second time.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import byte_order, insert_rows
from oms_graph.db.models import Fulfilment, FulfilmentLine, Location, Order, Product, StockLevel
from oms_graph.domain import routing as engine
from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus
from oms_graph.services.fulfilment import unallocated
from oms_graph.services.orders import append_event
from oms_graph.services.routing_profiles import profile_of_channel

SYSTEM = "system"
ALTERNATIVES = 3
fulfilments_table = cast(Table, Fulfilment.__table__)
fulfilment_lines_table = cast(Table, FulfilmentLine.__table__)


_stock_table, _products_table = cast(Table, StockLevel.__table__), cast(Table, Product.__table__)
_level, _product = _stock_table.c, _products_table.c
RESERVE = (
    update(_stock_table)
    .where(
        _level.sku == bindparam("b_sku"),
        _level.location_id == bindparam("b_location"),
        _level.on_hand - _level.reserved - _level.safety_stock >= bindparam("b_quantity"),
    )
    .values(reserved=_level.reserved + bindparam("b_quantity"), updated_at=bindparam("b_at"))
    .returning(_level.sku)
)
CHANGE_PROMISE = (
    update(_products_table)
    .where(_product.sku == bindparam("b_sku"))
    .values(promised=_product.promised + bindparam("b_change"), updated_at=_product.updated_at)
)


LOCK_ORDER = select(Order).where(Order.id == bindparam("b_order")).with_for_update()
_units = StockLevel.on_hand - StockLevel.reserved - StockLevel.safety_stock
_assigned_today = (
    select(func.count())
    .where(
        Fulfilment.location_id == Location.id,
        Fulfilment.method == FulfilmentMethod.DELIVERY.value,
        Fulfilment.created_at >= bindparam("b_midnight"),
        Fulfilment.status.notin_([FulfilmentStatus.CANCELLED.value, FulfilmentStatus.REJECTED.value]),
    )
    .correlate(Location)
    .scalar_subquery()
)
CANDIDATES = (
    select(
        Location.id,
        Location.code,
        Location.latitude,
        Location.longitude,
        Location.region,
        Location.priority,
        Location.handling_cost,
        Location.kind,
        StockLevel.sku,
        _units,
        case((Location.daily_ship_capacity.is_(None), None), else_=Location.daily_ship_capacity - _assigned_today),
    )
    .join(StockLevel, StockLevel.location_id == Location.id)
    .where(
        StockLevel.sku.in_(bindparam("b_skus", expanding=True)),
        Location.active.is_(True),
        Location.can_ship.is_(True),
        _units > 0,
    )
)

Part = tuple[uuid.UUID, str, dict[str, int]]  # a fulfilment to write: location id, its code, units per sku


class RoutingConflict(Exception):
    """Stock changed between reading it and reserving it; nothing was written, route again."""


async def route_order(session: AsyncSession, *, order_id: uuid.UUID, actor: str = SYSTEM) -> Order | None:
    """Route a PLACED order (or backorder it); any other order is left alone. Returns the order."""
    order = await session.scalar(LOCK_ORDER, {"b_order": order_id})
    if order is None or order.status != OrderStatus.PLACED.value:
        return order
    demand = await unallocated(session, order_id=order.id)
    weights = await _lock_products(session, demand)
    now = utcnow()
    if order.delivery_method == FulfilmentMethod.PICKUP.value:
        # Reserved at the pickup location when placed: the fulfilment is that location's.
        assert order.pickup_location_id is not None
        code = await session.scalar(select(Location.code).where(Location.id == order.pickup_location_id))
        at_pickup = [(order.pickup_location_id, str(code), demand)]
        await _fulfil(session, order, at_pickup, now)
        return await _routed(session, order, at_pickup, "ORDER_ROUTED", actor, now)
    parts = await _allocate(session, order, demand, weights, frozenset(), actor, now)
    if parts is None:
        return order
    # The units were a network promise; now they are reservations at the chosen locations.
    await _change_promise(session, demand, -1)
    return await _routed(session, order, parts, "ORDER_ROUTED", actor, now)


async def reroute(
    session: AsyncSession, *, order_id: uuid.UUID, exclude: Iterable[uuid.UUID], actor: str = SYSTEM
) -> Order | None:
    """Route an order's units that no fulfilment holds any more (a rejection, a short pick) again, never to
    the excluded locations. The caller has released those units where they were. When no location can
    take them they become a promise again and the order is BACKORDERED, to be requeued when stock comes."""
    order = await session.scalar(LOCK_ORDER, {"b_order": order_id})
    if order is None or order.status in (OrderStatus.CANCELLED.value, OrderStatus.COMPLETED.value):
        return order
    demand = await unallocated(session, order_id=order.id)
    if not demand:
        return order
    if order.status == OrderStatus.ON_HOLD.value:
        return order  # a held order is not routed; its unallocated units are still promised
    weights = await _lock_products(session, demand)
    # Before routing (PLACED, BACKORDERED) the units are a promise; after, they were reservations.
    promised = order.status in (OrderStatus.PLACED.value, OrderStatus.BACKORDERED.value)
    now = utcnow()
    parts = await _allocate(session, order, demand, weights, frozenset(exclude), actor, now)
    if parts is None:
        if not promised:
            await _change_promise(session, demand, +1)
        return order
    if promised:
        await _change_promise(session, demand, -1)
    status = OrderStatus.ROUTED if promised else OrderStatus(order.status)
    return await _routed(session, order, parts, "ORDER_REROUTED", actor, now, status=status)


async def _allocate(
    session: AsyncSession,
    order: Order,
    demand: dict[str, int],
    weights: dict[str, int],
    exclude: frozenset[uuid.UUID],
    actor: str,
    now: datetime,
) -> list[Part] | None:
    """Plan, reserve and write fulfilments for `demand`; None (and the order BACKORDERED) when no plan serves it."""
    channel_code, profile = await profile_of_channel(session, channel_id=order.channel_id)
    address = order.delivery_address or {}
    destination = (
        (address["latitude"], address["longitude"])
        if address.get("latitude") is not None and address.get("longitude") is not None
        else None
    )
    wanted = engine.Demand(
        lines=demand,
        weights=weights,
        destination=destination,
        region=address.get("region"),
    )
    pool = [c for c in await candidates(session, list(demand), now) if c.id not in exclude]
    decision = engine.route(wanted, pool, profile, alternatives=ALTERNATIVES)
    if decision.chosen is None:
        order.status, order.updated_at = OrderStatus.BACKORDERED.value, now
        await append_event(
            session,
            order_id=order.id,
            type="ORDER_BACKORDERED",
            actor=actor,
            at=now,
            data={"number": order.number, "lines": demand},
        )
        return None
    for allocation in decision.chosen.allocations:
        for sku, quantity in sorted(allocation.lines.items()):
            if not await _reserve(session, sku, cast(uuid.UUID, allocation.location.id), quantity, now):
                raise RoutingConflict(f"{sku} at {allocation.location.code} changed while routing")
    parts = [(cast(uuid.UUID, a.location.id), a.location.code, dict(a.lines)) for a in decision.chosen.allocations]
    await _fulfil(session, order, parts, now)
    order.routing = _explained(decision, profile_name=channel_code, at=now)
    return parts


async def _lock_products(session: AsyncSession, demand: dict[str, int]) -> dict[str, int]:
    """The lock order of placement and cancel: the skus' product rows, in sku order. Their unit weights."""
    locked = await (await session.connection()).execute(
        select(Product.sku, Product.weight_grams)
        .where(Product.sku.in_(demand))
        .order_by(byte_order(session, Product.sku))
        .with_for_update()
    )
    return {sku: grams or 0 for sku, grams in locked}


async def _change_promise(session: AsyncSession, demand: dict[str, int], sign: int) -> None:
    conn = await session.connection()
    for sku, quantity in sorted(demand.items()):
        await conn.execute(CHANGE_PROMISE, {"b_sku": sku, "b_change": sign * quantity})


async def candidates(session: AsyncSession, skus: list[str], now: datetime) -> list[engine.Candidate]:
    """Active SHIP locations holding any of the skus, with their available units and today's capacity."""
    midnight = datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
    rows = await (await session.connection()).execute(CANDIDATES, {"b_skus": skus, "b_midnight": midnight})
    stock: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    found: dict[uuid.UUID, Any] = {}
    for row in rows:
        found[row[0]] = row
        stock[row[0]][row[8]] = row[9]
    return [
        engine.Candidate(
            id=loc_id,
            code=row[1],
            latitude=row[2],
            longitude=row[3],
            region=row[4],
            priority=row[5],
            handling_cost=row[6],
            is_store=row[7] == "STORE",
            capacity_left=row[10],
            stock=stock[loc_id],
        )
        for loc_id, row in found.items()
    ]


async def _reserve(session: AsyncSession, sku: str, location_id: uuid.UUID, quantity: int, now: datetime) -> bool:
    params = {"b_sku": sku, "b_location": location_id, "b_quantity": quantity, "b_at": now}
    return (await (await session.connection()).execute(RESERVE, params)).first() is not None


async def _fulfil(session: AsyncSession, order: Order, parts: list[Part], now: datetime) -> None:
    fulfilments, lines = [], []
    for location_id, _, part in parts:
        fulfilment_id = uuid.uuid4()
        fulfilments.append(
            {
                "id": fulfilment_id,
                "order_id": order.id,
                "location_id": location_id,
                "method": order.delivery_method,
                "status": FulfilmentStatus.ASSIGNED.value,
                "created_at": now,
                "updated_at": now,
            }
        )
        lines += [
            {
                "id": uuid.uuid4(),
                "fulfilment_id": fulfilment_id,
                "sku": sku,
                "quantity": quantity,
                "quantity_picked": None,
            }
            for sku, quantity in sorted(part.items())
        ]
    await insert_rows(session, fulfilments_table, fulfilments)
    await insert_rows(session, fulfilment_lines_table, lines)


async def _routed(
    session: AsyncSession,
    order: Order,
    parts: list[Part],
    event: str,
    actor: str,
    now: datetime,
    status: OrderStatus = OrderStatus.ROUTED,
) -> Order:
    order.status, order.updated_at = status.value, now
    await append_event(
        session,
        order_id=order.id,
        type=event,
        actor=actor,
        at=now,
        data={
            "number": order.number,
            "fulfilments": [{"location": code, "lines": lines} for _, code, lines in parts],
        },
    )
    return order


def _explained(decision: engine.Decision, *, profile_name: str, at: datetime) -> dict[str, Any]:
    """The decision as stored on the order, for order.routing."""

    def plan(p: engine.Plan) -> dict[str, Any]:
        return {
            "score": p.score,
            "factors": [{"name": f.name, "value": f.value, "weight": f.weight} for f in p.factors],
            "allocations": [
                {
                    "locationId": str(a.location.id),
                    "locationCode": a.location.code,
                    "lines": [{"sku": s, "quantity": q} for s, q in sorted(a.lines.items())],
                    "distanceKm": a.distance_km,
                    "cost": a.cost,
                }
                for a in p.allocations
            ],
        }

    assert decision.chosen is not None
    return {
        "decidedAt": at.isoformat(),
        "profile": profile_name,
        "chosen": plan(decision.chosen),
        "alternatives": [plan(p) for p in decision.alternatives],
    }
