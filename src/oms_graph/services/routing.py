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

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import byte_order, insert_rows
from oms_graph.db.models import Channel, Fulfilment, FulfilmentLine, Location, Order, OrderLine, Product, StockLevel
from oms_graph.domain import routing as engine
from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus
from oms_graph.services.orders import append_event
from oms_graph.services.routing_profiles import routing_profile

SYSTEM = "system"
ALTERNATIVES = 3
fulfilments_table = cast(Table, Fulfilment.__table__)
fulfilment_lines_table = cast(Table, FulfilmentLine.__table__)


class RoutingConflict(Exception):
    """Stock changed between reading it and reserving it; nothing was written, route again."""


async def route_order(session: AsyncSession, *, order_id: uuid.UUID, actor: str = SYSTEM) -> Order | None:
    """Route a PLACED order (or backorder it); any other order is left alone. Returns the order."""
    order = await session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None or order.status != OrderStatus.PLACED.value:
        return order
    demand = await _unallocated(session, order.id)
    await _lock_products(session, demand)
    now = utcnow()
    if order.delivery_method == FulfilmentMethod.PICKUP.value:
        # Reserved at the pickup location when placed: the fulfilment is that location's.
        assert order.pickup_location_id is not None
        at_pickup = [(order.pickup_location_id, demand)]
        await _fulfil(session, order, at_pickup, now)
        return await _routed(session, order, at_pickup, "ORDER_ROUTED", actor, now)
    parts = await _allocate(session, order, demand, frozenset(), actor, now)
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
    order = await session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None or order.status in (OrderStatus.CANCELLED.value, OrderStatus.COMPLETED.value):
        return order
    demand = await _unallocated(session, order.id)
    if not demand:
        return order
    await _lock_products(session, demand)
    now = utcnow()
    parts = await _allocate(session, order, demand, frozenset(exclude), actor, now)
    if parts is None:
        await _change_promise(session, demand, +1)
        return order
    return await _routed(session, order, parts, "ORDER_REROUTED", actor, now, status=OrderStatus(order.status))


async def _allocate(
    session: AsyncSession,
    order: Order,
    demand: dict[str, int],
    exclude: frozenset[uuid.UUID],
    actor: str,
    now: datetime,
) -> list[tuple[uuid.UUID, dict[str, int]]] | None:
    """Plan, reserve and write fulfilments for `demand`; None (and the order BACKORDERED) when no plan serves it."""
    channel = await session.get(Channel, order.channel_id)
    assert channel is not None
    _, profile = await routing_profile(session, channel_code=channel.code)
    weights = dict(
        (await session.execute(select(Product.sku, Product.weight_grams).where(Product.sku.in_(demand)))).all()
    )
    address = order.delivery_address or {}
    destination = (
        (address["latitude"], address["longitude"])
        if address.get("latitude") is not None and address.get("longitude") is not None
        else None
    )
    wanted = engine.Demand(
        lines=demand,
        weights={s: w or 0 for s, w in weights.items()},
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
    parts = [(cast(uuid.UUID, a.location.id), dict(a.lines)) for a in decision.chosen.allocations]
    await _fulfil(session, order, parts, now)
    order.routing = _explained(decision, profile_name=channel.code, at=now)
    return parts


async def _lock_products(session: AsyncSession, demand: dict[str, int]) -> None:
    """The lock order of placement and cancel: the skus' product rows, in sku order."""
    await session.execute(
        select(Product.sku).where(Product.sku.in_(demand)).order_by(byte_order(session, Product.sku)).with_for_update()
    )


async def _change_promise(session: AsyncSession, demand: dict[str, int], sign: int) -> None:
    for sku, quantity in sorted(demand.items()):
        await session.execute(
            update(Product)
            .where(Product.sku == sku)
            .values(promised=Product.promised + sign * quantity, updated_at=Product.updated_at)
        )


async def candidates(session: AsyncSession, skus: list[str], now: datetime) -> list[engine.Candidate]:
    """Active SHIP locations holding any of the skus, with their available units and today's capacity."""
    level = StockLevel
    units = level.on_hand - level.reserved - level.safety_stock
    rows = (
        await session.execute(
            select(Location, level.sku, units)
            .join(level, level.location_id == Location.id)
            .where(level.sku.in_(skus), Location.active.is_(True), Location.can_ship.is_(True), units > 0)
        )
    ).all()
    stock: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    locations: dict[uuid.UUID, Location] = {}
    for location, sku, available in rows:
        locations[location.id] = location
        stock[location.id][sku] = available
    midnight = datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
    assigned = (
        dict(
            (
                await session.execute(
                    select(Fulfilment.location_id, func.count())
                    .where(
                        Fulfilment.location_id.in_(list(locations)),
                        Fulfilment.method == FulfilmentMethod.DELIVERY.value,
                        Fulfilment.created_at >= midnight,
                        Fulfilment.status.notin_([FulfilmentStatus.CANCELLED.value, FulfilmentStatus.REJECTED.value]),
                    )
                    .group_by(Fulfilment.location_id)
                )
            ).all()
        )
        if locations
        else {}
    )
    return [
        engine.Candidate(
            id=loc.id,
            code=loc.code,
            latitude=loc.latitude,
            longitude=loc.longitude,
            region=loc.region,
            priority=loc.priority,
            handling_cost=loc.handling_cost,
            is_store=loc.kind == "STORE",
            capacity_left=None
            if loc.daily_ship_capacity is None
            else loc.daily_ship_capacity - assigned.get(loc.id, 0),
            stock=stock[loc.id],
        )
        for loc in locations.values()
    ]


async def _unallocated(session: AsyncSession, order_id: uuid.UUID) -> dict[str, int]:
    """Units per sku the order still wants that no live fulfilment holds (not cancelled, not rejected)."""
    demand: dict[str, int] = {}
    for sku, quantity, cancelled in await session.execute(
        select(OrderLine.sku, OrderLine.quantity, OrderLine.quantity_cancelled).where(OrderLine.order_id == order_id)
    ):
        demand[sku] = demand.get(sku, 0) + quantity - cancelled
    held = await session.execute(
        select(FulfilmentLine.sku, func.sum(FulfilmentLine.quantity))
        .join(Fulfilment, Fulfilment.id == FulfilmentLine.fulfilment_id)
        .where(
            Fulfilment.order_id == order_id,
            Fulfilment.status.notin_([FulfilmentStatus.CANCELLED.value, FulfilmentStatus.REJECTED.value]),
        )
        .group_by(FulfilmentLine.sku)
    )
    for sku, quantity in held:
        demand[sku] = demand.get(sku, 0) - int(quantity)
    return {sku: units for sku, units in demand.items() if units > 0}


async def _reserve(session: AsyncSession, sku: str, location_id: uuid.UUID, quantity: int, now: datetime) -> bool:
    reserved = await session.execute(
        update(StockLevel)
        .where(
            StockLevel.sku == sku,
            StockLevel.location_id == location_id,
            StockLevel.on_hand - StockLevel.reserved - StockLevel.safety_stock >= quantity,
        )
        .values(reserved=StockLevel.reserved + quantity, updated_at=now)
        .returning(StockLevel.sku)
    )
    return reserved.first() is not None


async def _fulfil(
    session: AsyncSession, order: Order, parts: list[tuple[uuid.UUID, dict[str, int]]], now: datetime
) -> None:
    fulfilments, lines = [], []
    for location_id, part in parts:
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
    parts: list[tuple[uuid.UUID, dict[str, int]]],
    event: str,
    actor: str,
    now: datetime,
    status: OrderStatus = OrderStatus.ROUTED,
) -> Order:
    order.status, order.updated_at = status.value, now
    ids = [location_id for location_id, _ in parts]
    codes = dict((await session.execute(select(Location.id, Location.code).where(Location.id.in_(ids)))).all())
    await append_event(
        session,
        order_id=order.id,
        type=event,
        actor=actor,
        at=now,
        data={
            "number": order.number,
            "fulfilments": [{"location": codes[loc], "lines": lines} for loc, lines in parts],
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
