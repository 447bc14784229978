"""Editing an order after placement: lines added, changed or swapped, another address, delivery method or
pickup store, another delivery price. One transaction: the stock the edit gives up and takes goes through
the same rules as placement (refused whole when a line cannot be had), the routing is done again where the
change needs it, the payment difference is asked of the provider in the background, and ORDER_EDITED keeps
the order's lines and totals before and after."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import Fulfilment, Location, Order, OrderLine
from oms_graph.domain import edits as rules
from oms_graph.domain.access import Principal
from oms_graph.domain.edits import Change, ChangeKind
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList, UserError
from oms_graph.domain.events import EventType
from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.domain.geocoding import Geocode
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus, PaymentMethod
from oms_graph.domain.payments import EDIT_SOURCE
from oms_graph.domain.placement import address_payload
from oms_graph.domain.supply import routable
from oms_graph.services import geocoding
from oms_graph.services.fulfilment.allocation import release_fulfilments, unallocated
from oms_graph.services.fulfilment.work import set_order_status
from oms_graph.services.orders import edit_checks as checks
from oms_graph.services.orders.free_units import announce_cancelled, free_units, give_up
from oms_graph.services.orders.locking import for_change
from oms_graph.services.orders.promising import Wanted, take_stock
from oms_graph.services.outbox import append_event
from oms_graph.services.payments import transactions as payments
from oms_graph.services.stock import ledger, pools

EDITED = "the order was edited"


@dataclass
class Edited:
    """What an edit did (or, previewed, would do)."""

    order: Order
    before: dict[str, Any]  # lines, subtotal, delivery price, total, delivery
    after: dict[str, Any]
    payment: tuple[str, Decimal] | None  # the call asked of the provider: kind and amount
    taken: dict[str, int]  # units per sku taken from stock (promised, or reserved at the pickup store)
    released: dict[str, int]  # units per sku given back
    cancelled_at: list[str] = field(default_factory=list)  # the locations whose fulfilments were cancelled
    rerouted: bool = False  # the order goes to routing again


async def edit_order(
    session: AsyncSession,
    *,
    order_id: uuid.UUID,
    expected_version: int,
    changes: Sequence[Change],
    reason: str | None,
    principal: Principal,
    geocode: Geocode | None = None,
) -> Edited:
    """Apply every change or none (ORDER_CHANGED when the order is not at `expected_version`). `geocode`:
    where a new delivery address without coordinates is, located before the transaction."""
    errors = ErrorList()
    rules.check_changes(changes, errors)
    if reason is not None and len(reason) > 500:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "reason"], "at most 500 characters")
    errors.raise_if_any()
    order = await for_change(session, order_id, principal)
    if order.version != expected_version:
        raise DomainError.one(
            ErrorCode.ORDER_CHANGED,
            ["input", "expectedVersion"],
            f"order {order.number} is at version {order.version}, not {expected_version}: read it again",
        )
    status, method = OrderStatus(order.status), FulfilmentMethod(order.delivery_method)
    checks.may_edit(order, status, principal)
    for change in changes:
        if (why := rules.refusal(status, method, change.kind)) is not None:
            errors.add(ErrorCode.EDIT_NOT_ALLOWED, ["input", "changes", change.at], why)
    errors.raise_if_any()

    rows = list(
        await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.line_no))
    )
    lines = [rules.Line(r.id, r.sku, r.quantity, r.unit_price, r.quantity_cancelled) for r in rows]
    new_lines = rules.edited_lines(lines, changes, errors)
    by_kind = {c.kind: c for c in changes}
    price = by_kind.get(ChangeKind.CHANGE_DELIVERY_PRICE)
    delivery_price = order.delivery_price if price is None or price.price is None else price.price
    names = await checks.product_names(session, order, new_lines, changes, errors)
    moved = by_kind.get(ChangeKind.CHANGE_METHOD)
    pickup = await checks.new_pickup(session, order, moved, errors) if moved is not None else None
    errors.raise_if_any()

    before = _state(order, lines)
    now = utcnow()
    old, new = rules.demand(lines), rules.demand(new_lines)
    more, fewer = rules.difference(old, new)
    elsewhere = moved is not None and (
        moved.method != method or (pickup is not None and pickup.id != order.pickup_location_id)
    )
    # a delivery given another address, by itself or as a method change that keeps it a delivery
    readdressed = ChangeKind.CHANGE_ADDRESS in by_kind or (moved is not None and not elsewhere and pickup is None)
    if status not in rules.OPEN and method is FulfilmentMethod.PICKUP and more:
        raise DomainError.one(
            ErrorCode.EDIT_NOT_ALLOWED, ["input", "changes"], "its store is preparing the pickup: it takes no new units"
        )
    fulfilments = await _fulfilments(session, order.id)
    routed = any(s not in (FulfilmentStatus.CANCELLED, FulfilmentStatus.REJECTED) for _, s in fulfilments)
    # Routing is done again when the order was routed (nothing worked on yet) and where it goes, or what it
    # takes, changed: a pickup store holds its units itself, so any new unit there means the lot again.
    again = status in rules.OPEN and routed and bool(more or readdressed or elsewhere)
    whole = elsewhere or (again and method is FulfilmentMethod.PICKUP)  # give everything up, take it all anew
    if more or fewer or elsewhere or again:
        await ledger.lock_products(session, skus=sorted(set(old) | set(new)))
    if again and not whole:  # a delivery: its fulfilments' units go back to the promise, to be routed anew
        await release_fulfilments(session, order_id=order.id, channel_id=order.channel_id, now=now, actor=EDITED)
        await _announce_cancelled(session, order, fulfilments, principal, now)
    give, take = (old, new) if whole else (fewer, more)
    if give:
        untouched = await free_units(session, order_id=order.id)
        free = untouched.free
        short = {sku: n for sku, n in give.items() if n > free.get(sku, 0)}
        if short:
            raise DomainError(
                [
                    UserError(
                        ErrorCode.EDIT_NOT_ALLOWED,
                        ("input", "changes"),
                        f"{free.get(sku, 0)} units of {sku} can go: a location works on the others",
                    )
                    for sku in sorted(short)
                ]
            )
        await give_up(
            session, order=order, untouched=untouched, units=give, reason=EDITED, principal=principal, now=now
        )
    if moved is not None:
        region = await checks.default_region(session, order) if moved.address is not None else None
        _move(order, moved, pickup, geocode, region)
    elif readdressed:
        address = by_kind[ChangeKind.CHANGE_ADDRESS].address
        order.delivery_address = address_payload(address) if address is not None else None
        order.geocode = geocoding.kept(
            address, default_region=await checks.default_region(session, order), geocode=geocode
        )
    if take:
        await _take(session, order, take, _first_change(changes, take), pickup, now)
    await _write_lines(session, order, rows, new_lines, names)
    order.delivery_price = delivery_price
    order.subtotal = rules.subtotal(new_lines)
    order.total = order.subtotal + delivery_price
    order.version += 1
    order.updated_at = now
    after = _state(order, new_lines)
    rerouted = await _next_status(session, order, status, again or whole, bool(take))
    cancelled_at = await _cancelled_since(session, order.id, fulfilments)
    payment = rules.payment_call(PaymentMethod(order.payment_method), after["total"] - before["total"])
    if payment is not None:
        kind, amount = payment
        source = f"{EDIT_SOURCE}{order.id}:{order.version}"
        await payments.request_payment(
            session, order=order, kind=kind, amount=amount, source=source, actor=principal.name
        )
    await append_event(
        session,
        order_id=order.id,
        type=EventType.ORDER_EDITED,
        actor=principal.name,
        at=now,
        data={
            "number": order.number,
            "version": order.version,
            "reason": (reason or "").strip() or None,
            "changes": [c.kind.value for c in changes],
            "before": _printable(before),
            "after": _printable(after),
            "payment": None if payment is None else {"kind": payment[0].value, "amount": str(payment[1])},
            "taken": take,
            "released": give,
            "rerouted": rerouted,
            "currency": order.currency,
        },
    )
    if rerouted:
        await append_event(
            session,
            order_id=order.id,
            type=EventType.ORDER_REQUEUED,
            actor=principal.name,
            at=now,
            data={"number": order.number, "reason": EDITED},
        )
    paid = None if payment is None else (payment[0].value, payment[1])
    return Edited(order, before, after, paid, take, give, cancelled_at, rerouted)


def _move(order: Order, moved: Change, pickup: Location | None, geocode: Geocode | None, region: str | None) -> None:
    """Delivery to pickup, pickup to delivery, or another pickup store: where the order goes now."""
    order.delivery_method = moved.method or FulfilmentMethod.DELIVERY
    order.pickup_location_id = pickup.id if pickup is not None else None
    order.delivery_address = address_payload(moved.address) if moved.address is not None else None
    order.geocode = None
    if moved.address is not None and order.delivery_method == FulfilmentMethod.DELIVERY:
        order.geocode = geocoding.kept(moved.address, default_region=region, geocode=geocode)
    order.expected_date = None  # routing dates it anew


def _first_change(changes: Sequence[Change], units: dict[str, int]) -> dict[str, int]:
    """For each sku taken, the change that asks for it (errors point there)."""
    first: dict[str, int] = {}
    for change in changes:
        if change.sku in units:
            first.setdefault(change.sku, change.at)
    fallback = changes[0].at if changes else 0
    return {sku: first.get(sku, fallback) for sku in units}


async def _take(
    session: AsyncSession,
    order: Order,
    units: dict[str, int],
    first: dict[str, int],
    pickup: Location | None,
    now: Any,
) -> None:
    """Promise (a delivery) or reserve at the pickup store (a pickup) what the edit adds, as placement does;
    INSUFFICIENT_STOCK pointing at the change that asked, and the whole edit is rolled back."""
    if order.delivery_method == FulfilmentMethod.PICKUP and pickup is None:
        pickup = await session.get_one(Location, order.pickup_location_id)
    if order.delivery_method != FulfilmentMethod.PICKUP:
        pickup = None
    wanted = Wanted(units, first, pickup, now, order.channel_id, await pools.pool_of(session, order.channel_id))
    try:
        taken = await take_stock(session, wanted)
    except DomainError as error:
        raise DomainError([_as_change(e) for e in error.errors]) from None
    if taken.by_transfer:
        merged = dict(order.transfer_units or {})
        for sku, n in taken.by_transfer.items():
            merged[sku] = int(merged.get(sku, 0)) + n
        order.transfer_units = merged
    if taken.awaiting is not None:
        merged = dict(order.future_units or {})
        for sku, n in taken.awaiting.units.items():
            merged[sku] = int(merged.get(sku, 0)) + int(n)
        order.future_units = merged
        due = taken.awaiting.due_at
        order.supply_due_at = due if order.supply_due_at is None else max(order.supply_due_at, due)


def _as_change(error: UserError) -> UserError:
    """A placement error's ["input", "lines", i, ...] as the edit's ["input", "changes", i, ...]."""
    path = error.field
    if path is not None and path[:2] == ("input", "lines"):
        path = ("input", "changes", *path[2:])
    return UserError(error.code, path, error.message)


async def _write_lines(
    session: AsyncSession, order: Order, rows: list[OrderLine], lines: list[rules.Line], names: dict[str, str]
) -> None:
    """The order's lines as edited: rows kept are updated, rows gone deleted, new ones numbered on."""
    kept = {line.key: line for line in lines if line.key is not None}
    gone = [row.id for row in rows if row.id not in kept]
    if gone:
        await session.execute(delete(OrderLine).where(OrderLine.id.in_(gone)))
    for row in rows:
        if row.id in kept and kept[row.id].quantity != row.quantity:
            row.quantity = kept[row.id].quantity
    number = max((row.line_no for row in rows), default=0)
    for line in lines:
        if line.key is None:
            number += 1
            session.add(
                OrderLine(
                    id=uuid.uuid4(),
                    order_id=order.id,
                    line_no=number,
                    sku=line.sku,
                    name=names[line.sku],
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    quantity_cancelled=0,
                    quantity_shipped=0,
                    quantity_returned=0,
                )
            )
    await session.flush()


async def _next_status(session: AsyncSession, order: Order, status: OrderStatus, released: bool, took: bool) -> bool:
    """Where the edited order stands; whether it goes to routing (ORDER_REQUEUED)."""
    if status is OrderStatus.ON_HOLD:
        return False  # routed when released
    if status in rules.OPEN and (released or status is not OrderStatus.ROUTED):
        waits = order.future_units and not routable(await unallocated(session, order_id=order.id), order.future_units)
        order.status = OrderStatus.AWAITING_SUPPLY if waits else OrderStatus.PLACED
        return not waits
    # routed, some of it worked on: what it holds decides; new units are routed beside
    await set_order_status(session, order)
    return took


async def _fulfilments(session: AsyncSession, order_id: uuid.UUID) -> list[tuple[uuid.UUID, FulfilmentStatus]]:
    rows = await session.execute(select(Fulfilment.id, Fulfilment.status).where(Fulfilment.order_id == order_id))
    return [(i, FulfilmentStatus(s)) for i, s in rows]


async def _cancelled_since(
    session: AsyncSession, order_id: uuid.UUID, before: list[tuple[uuid.UUID, FulfilmentStatus]]
) -> list[str]:
    """The locations whose fulfilments of the order the edit cancelled."""
    await session.flush()
    live = [i for i, s in before if s not in (FulfilmentStatus.CANCELLED, FulfilmentStatus.REJECTED)]
    if not live:
        return []
    rows = await session.execute(
        select(Location.code)
        .join(Fulfilment, Fulfilment.location_id == Location.id)
        .where(Fulfilment.id.in_(live), Fulfilment.status == FulfilmentStatus.CANCELLED)
        .order_by(Location.code)
    )
    return list(rows.scalars())


async def _announce_cancelled(
    session: AsyncSession,
    order: Order,
    before: list[tuple[uuid.UUID, FulfilmentStatus]],
    principal: Principal,
    now: Any,
) -> None:
    """FULFILMENT_CANCELLED for each fulfilment the edit took back to route the order again."""
    await session.flush()
    live = [i for i, s in before if s not in (FulfilmentStatus.CANCELLED, FulfilmentStatus.REJECTED)]
    rows = await session.execute(
        select(Fulfilment.id, Location.code)
        .join(Location, Location.id == Fulfilment.location_id)
        .where(Fulfilment.id.in_(live), Fulfilment.status == FulfilmentStatus.CANCELLED)
    )
    cancelled = [(i, code) for i, code in rows]
    await announce_cancelled(session, order=order, cancelled=cancelled, reason=EDITED, actor=principal.name, now=now)


def _state(order: Order, lines: list[rules.Line]) -> dict[str, Any]:
    return {
        "lines": [
            {"sku": line.sku, "quantity": line.live, "unitPrice": line.unit_price} for line in lines if line.live
        ],
        "subtotal": rules.subtotal(lines),
        "deliveryPrice": order.delivery_price,
        "total": rules.subtotal(lines) + order.delivery_price,
        "method": str(order.delivery_method),
        "pickupLocationId": None if order.pickup_location_id is None else str(order.pickup_location_id),
        "address": order.delivery_address,
    }


def _printable(state: dict[str, Any]) -> dict[str, Any]:
    """A state as event data: money as decimal strings."""
    return {
        **state,
        "lines": [{**line, "unitPrice": str(line["unitPrice"])} for line in state["lines"]],
        "subtotal": str(state["subtotal"]),
        "deliveryPrice": str(state["deliveryPrice"]),
        "total": str(state["total"]),
    }
