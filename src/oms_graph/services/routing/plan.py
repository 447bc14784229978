"""Routing an order: its promise becomes reservations at the chosen locations, one fulfilment each.

One transaction: lock the order, read the candidate locations' stock, ask the engine for a plan, reserve
by conditional UPDATE (raising `reserved` and `routed` together, which turns promised units into routed
ones without touching the product rows that placements lock), write the fulfilments and the decision,
and emit ORDER_ROUTED. An order whose stock has vanished since it was promised is BACKORDERED instead.
Only PLACED orders are routed, so routing an order twice does nothing the second time.

The channels' promise rows of the skus are locked first (the routed orders' channels and every pooled
channel: `earmarks`), then stock rows by the reservations themselves (`ledger.route`), in (sku, location)
order like every other writer of stock levels. A pooled channel's orders go only to its pool's locations,
and no order takes from a pool what its channel's waiting orders were promised. The stock was read before
the reservations, so one can find its units gone (another routing took them): the transaction then gives
back what it reserved, reads the stock again and plans again, a few times before it gives up with
RoutingConflict (nothing written, the actor retries).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import connection_of, insert_rows
from oms_graph.db.models import Fulfilment, FulfilmentLine, Location, Order, Product
from oms_graph.domain import delivery
from oms_graph.domain import routing as scoring
from oms_graph.domain.calendars import Calendar
from oms_graph.domain.events import EventType
from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus
from oms_graph.domain.pools import spend, within_earmarks
from oms_graph.domain.routing import DecisionKind
from oms_graph.domain.supply import routable
from oms_graph.services import calendars
from oms_graph.services.fulfilment.allocation import unallocated, unallocated_of
from oms_graph.services.orders.locking import lock_order
from oms_graph.services.outbox import append_events
from oms_graph.services.routing import earmarks, explaining, history, strategies
from oms_graph.services.routing.candidates import candidates
from oms_graph.services.routing.profiles import profile_of_channel
from oms_graph.services.stock import ledger
from oms_graph.services.transfers import routing as ship_to_store

SYSTEM = "system"
ALTERNATIVES = 3
fulfilments_table = cast(Table, Fulfilment.__table__)
fulfilment_lines_table = cast(Table, FulfilmentLine.__table__)


ATTEMPTS = 3  # plans per transaction when other routings take the stock first
# Routed (in part): an order here whose units no fulfilment holds is a split one whose supply came.
SPLIT_ROUTED = frozenset({OrderStatus.ROUTED, OrderStatus.IN_FULFILMENT, OrderStatus.PARTIALLY_SHIPPED})


Part = tuple[uuid.UUID, str, dict[str, int]]  # a fulfilment to write: location id, its code, units per sku
Event = dict[str, Any]  # an order event to append
# Orders waiting for routing that no other transaction holds, oldest first: a batch routed with the first.
WAITING = (
    select(Order)
    .where(Order.status == OrderStatus.PLACED, Order.id != bindparam("b_order"))
    .order_by(Order.seq)
    .limit(bindparam("b_limit"))
    .with_for_update(skip_locked=True)
)


class RoutingConflict(Exception):
    """Stock changed between reading it and reserving it; nothing was written, route again."""


async def route_order(
    session: AsyncSession, *, order_id: uuid.UUID, actor: str = SYSTEM, batch: int = 1
) -> Order | None:
    """Route a PLACED order (or backorder it); any other order is left alone. Returns the order.

    With `batch` > 1, up to `batch` - 1 other PLACED orders that no other transaction holds are routed in
    the same transaction, all of them oldest first: under load the skus' product rows are locked once for many orders
    instead of once per order, which is what lets routing keep up with placement on hot skus."""
    order = await lock_order(session, order_id=order_id)
    if order is not None and order.status in SPLIT_ROUTED and order.delivery_method == FulfilmentMethod.DELIVERY:
        # a split order routed in part: the units its supply brought (or the ones it was owed) join it
        return await reroute(session, order_id=order.id, exclude=(), actor=actor)
    if order is None or order.status != OrderStatus.PLACED:
        return order
    if order.transfer_units:  # ship-to-store locks the products first: routed alone
        await ship_to_store.route_pickup(session, order=order, actor=actor)
        return order
    orders = [order]
    seqs = {order.id: order.seq}
    if batch > 1:
        others = await session.scalars(WAITING, {"b_order": order.id, "b_limit": batch - 1})
        orders += [o for o in others if not o.transfer_units]  # those are routed by their own message
        orders.sort(key=lambda o: o.seq)  # first come, first served
        seqs = {o.id: o.seq for o in orders}
    unheld = await unallocated_of(session, [o.id for o in orders])
    demands = {o.id: routable(unheld[o.id], o.future_units) for o in orders}  # a split order's rest waits
    weights = await _weights(session, {sku for demand in demands.values() for sku in demand})
    now = utcnow()
    pickups = [o for o in orders if o.delivery_method == FulfilmentMethod.PICKUP]
    routed = await _at_pickup(session, pickups, demands)
    deliveries = [o for o in orders if o.delivery_method != FulfilmentMethod.PICKUP]
    allocated, refused = await _allocate(session, deliveries, demands, weights, frozenset(), now)
    events: dict[uuid.UUID, Event] = {}
    decisions: list[history.Entry] = []
    for o in deliveries:
        parts = allocated[o.id]
        if parts is None:
            events[o.id] = _backordered(o, demands[o.id], actor, now)
            decisions.append(history.entry(o.id, DecisionKind.BACKORDERED, refused[o.id], at=now, actor=actor))
        else:
            routed.append((o, parts))
    await _fulfil(session, routed, now)
    events |= {o.id: _routed(o, parts, EventType.ORDER_ROUTED, actor, now) for o, parts in routed}
    decisions += [
        history.entry(o.id, DecisionKind.ROUTED, explaining.decided(o, parts, now), at=now, actor=actor)
        for o, parts in routed
    ]
    await append_events(session, [events[o.id] for o in orders])
    await history.keep(session, sorted(decisions, key=lambda d: seqs[d["order_id"]]))
    return order


async def reroute(
    session: AsyncSession, *, order_id: uuid.UUID, exclude: Iterable[uuid.UUID], actor: str = SYSTEM
) -> Order | None:
    """Route a delivery order's units that no fulfilment holds any more (a rejection, a short pick) again,
    never to the excluded locations. The caller has released those units where they were (`reserved` and
    `routed`), which made them a promise again; when no location can take them the order is BACKORDERED,
    to be requeued when stock comes. A pickup order's units are reserved at its pickup location; moving them
    elsewhere is not routing (ValueError)."""
    order = await lock_order(session, order_id=order_id)
    if order is None or order.status in (OrderStatus.CANCELLED, OrderStatus.COMPLETED):
        return order
    if order.delivery_method == FulfilmentMethod.PICKUP:
        raise ValueError(f"{order.number} is a pickup order: its units are not re-routed")
    demand = routable(await unallocated(session, order_id=order.id), order.future_units)
    if not demand:
        return order
    if order.status == OrderStatus.ON_HOLD:
        return order  # a held order is not routed; its unallocated units are still promised
    weights = await _weights(session, set(demand))
    now = utcnow()
    allocated, refused = await _allocate(session, [order], {order.id: demand}, weights, frozenset(exclude), now)
    parts = allocated[order.id]
    if parts is None:
        event = _backordered(order, demand, actor, now)
        decision = history.entry(order.id, DecisionKind.BACKORDERED, refused[order.id], at=now, actor=actor)
    else:
        await _fulfil(session, [(order, parts)], now)
        # Before routing (PLACED, BACKORDERED) the order becomes ROUTED; later states stay as they are.
        unrouted = order.status in (OrderStatus.PLACED, OrderStatus.BACKORDERED)
        status = OrderStatus.ROUTED if unrouted else OrderStatus(order.status)
        event = _routed(order, parts, EventType.ORDER_REROUTED, actor, now, status=status)
        decision = history.entry(
            order.id, DecisionKind.REROUTED, explaining.decided(order, parts, now), at=now, actor=actor
        )
    await append_events(session, [event])
    await history.keep(session, [decision])
    return order


async def _at_pickup(
    session: AsyncSession, pickups: list[Order], demands: dict[uuid.UUID, dict[str, int]]
) -> list[tuple[Order, list[Part]]]:
    """Pickup orders were reserved at their pickup location when placed: their one fulfilment is there."""
    if not pickups:
        return []
    at = {o.id: cast(uuid.UUID, o.pickup_location_id) for o in pickups}
    codes = dict((await session.execute(select(Location.id, Location.code).where(Location.id.in_(at.values())))).all())
    return [(o, [(at[o.id], codes[at[o.id]], demands[o.id])]) for o in pickups]


async def _allocate(
    session: AsyncSession,
    orders: list[Order],
    demands: dict[uuid.UUID, dict[str, int]],
    weights: dict[str, int],
    exclude: frozenset[uuid.UUID],
    now: datetime,
) -> tuple[dict[uuid.UUID, list[Part] | None], dict[uuid.UUID, dict[str, Any]]]:
    """Plan the orders' demand one after the other (each against the stock the ones before it left) and
    reserve it; per order its parts, or None when no plan serves it (and then why not: the second
    mapping). The plans go on the orders."""
    if not orders:
        return {}, {}
    profiles = {}
    for channel_id in {o.channel_id for o in orders}:
        profiles[channel_id] = await profile_of_channel(session, channel_id=channel_id)
    skus = sorted({sku for o in orders for sku in demands[o.id]})
    claimed = await earmarks.claims(session, channels=profiles, skus=skus)
    in_force = await strategies.in_force(session, channel_ids=profiles, skus=skus, at=now)
    for _ in range(ATTEMPTS):
        everyone = await candidates(session, skus, now)
        network = [c for c in everyone if c.id not in exclude]
        marks = [replace(mark, slack=dict(mark.slack)) for mark in claimed.earmarks]  # spent as orders are planned
        allocated: dict[uuid.UUID, list[Part] | None] = {}
        refused: dict[uuid.UUID, dict[str, Any]] = {}
        reserve: Counter[tuple[str, uuid.UUID]] = Counter()
        channels: Counter[tuple[uuid.UUID, str]] = Counter()
        for order in orders:
            channel_code, profile = profiles[order.channel_id]
            wanted = explaining.wanted(order, demands[order.id], weights)
            feeding = claimed.feeding.get(order.channel_id)
            offered = network if feeding is None else [c for c in network if c.id in feeding]
            offered = within_earmarks(offered, marks, order.channel_id)
            applied = in_force.apply(
                order.channel_id, explaining.facts_of(in_force, order, demands[order.id], weights), profile, offered
            )
            profile, offered = applied.profile, applied.candidates
            decision = scoring.route(wanted, offered, profile, alternatives=ALTERNATIVES)
            if decision.chosen is None:
                allocated[order.id] = None
                unfed = frozenset(c.id for c in everyone if feeding is not None and c.id not in feeding)
                refused[order.id] = history.backorder(  # what it was offered, and the locations it may not use
                    wanted,
                    offered + [c for c in everyone if c.id in exclude | unfed],
                    profile,
                    profile_name=channel_code,
                    at=now,
                    destination=explaining.destination(order),
                    excluded=exclude,
                    outside_pool=unfed,
                    strategy=applied.explained(),
                )
                continue
            network = scoring.after(network, decision.chosen)
            spend(marks, order.channel_id, {a.location.id: a.lines for a in decision.chosen.allocations})
            parts = [
                (cast(uuid.UUID, a.location.id), a.location.code, dict(a.lines)) for a in decision.chosen.allocations
            ]
            for location_id, _, lines in parts:
                reserve.update({(sku, location_id): quantity for sku, quantity in lines.items()})
                channels.update({(order.channel_id, sku): quantity for sku, quantity in lines.items()})
            order.routing = explaining.explained(
                decision,
                profile_name=channel_code,
                at=now,
                destination=explaining.destination(order),
                strategy=applied.explained(),
            )
            explaining.follow(order, applied)
            allocated[order.id] = parts
        if await ledger.route(session, units=reserve, channels=channels, at=now):
            return allocated, refused
    raise RoutingConflict(f"the stock of {', '.join(skus)} kept changing while routing")


async def _weights(session: AsyncSession, skus: set[str]) -> dict[str, int]:
    """Grams per unit of each sku."""
    rows = await (await connection_of(session)).execute(
        select(Product.sku, Product.weight_grams).where(Product.sku.in_(skus))
    )
    return {sku: grams or 0 for sku, grams in rows}


async def _fulfil(session: AsyncSession, routed: list[tuple[Order, list[Part]]], now: datetime) -> None:
    """One ASSIGNED fulfilment per part of each order, with its lines and the date it should be delivered
    (or ready for pickup); the order is expected by the latest. The first time, the order is promised the
    latest part's date as from the day it was placed (the date deliveryOptions showed for this plan)."""
    fulfilments, lines = [], []
    located = {location_id for _, parts in routed for location_id, _, _ in parts}
    days = await calendars.of_locations(session, ids=located, at=now)
    for order, parts in routed:
        dates = _expected(order, now, days)
        if order.promised_date is None:  # first routed: promised by this plan, as from the day it was placed
            promised = _expected(order, order.created_at, days)
            order.promised_date = max(promised(location_id) for location_id, _, _ in parts)
        for location_id, _, part in parts:
            fulfilment_id = uuid.uuid4()
            expected = dates(location_id)
            fulfilments.append(
                {
                    "id": fulfilment_id,
                    "order_id": order.id,
                    "location_id": location_id,
                    "method": order.delivery_method,
                    "status": FulfilmentStatus.ASSIGNED,
                    "expected_date": expected,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            order.expected_date = max(expected, order.expected_date or expected)
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


def _expected(order: Order, now: datetime, days: Mapping[uuid.UUID, Calendar]) -> Callable[[uuid.UUID], date]:
    """When a part routed now should reach the customer, by its location and the location's calendar: a
    pickup when the store has it ready (its cut-off, its open days), a delivery from the location's next
    open day by the road (as the routing decision measured it) and the order's service; the rules
    deliveryOptions offers dates by."""
    if order.delivery_method == FulfilmentMethod.PICKUP:
        return lambda location_id: days[location_id].ready_by(now)
    chosen = (order.routing or {}).get("chosen") or {}
    km = {a["locationId"]: a.get("distanceKm") for a in chosen.get("allocations", [])}
    service = delivery.service_named(order.service)

    def dated(location_id: uuid.UUID) -> date:
        road = km.get(str(location_id))
        start = days[location_id].work_starts(now)
        return delivery.estimated_delivery(start, scoring.OTHER_REGION_KM if road is None else road, service)

    return dated


def _routed(
    order: Order,
    parts: list[Part],
    event: str,
    actor: str,
    now: datetime,
    status: OrderStatus = OrderStatus.ROUTED,
) -> Event:
    """Set the order's status; its event."""
    order.status, order.updated_at = status, now
    fulfilments = [{"location": code, "lines": lines} for _, code, lines in parts]
    return _event(order, event, actor, now, {"number": order.number, "fulfilments": fulfilments})


def _backordered(order: Order, demand: dict[str, int], actor: str, now: datetime) -> Event:
    """The order waits for stock; its event."""
    order.status, order.updated_at = OrderStatus.BACKORDERED, now
    return _event(order, EventType.ORDER_BACKORDERED, actor, now, {"number": order.number, "lines": demand})


def _event(order: Order, type: str, actor: str, at: datetime, data: dict[str, Any]) -> Event:
    return {"order_id": order.id, "transfer_id": None, "type": type, "actor": actor, "at": at, "data": data}
