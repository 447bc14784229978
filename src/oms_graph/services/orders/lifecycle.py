"""Order lifecycle before routing (cancel, hold, release), the event log, and reading orders in scope."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import Channel, Fulfilment, Location, Order, OrderLine
from oms_graph.domain import orders as rules
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus
from oms_graph.services.fulfilment.allocation import release_fulfilments, unallocated
from oms_graph.services.outbox import append_event
from oms_graph.services.payments import transactions as payments
from oms_graph.services.stock import ledger


@dataclass(frozen=True)
class OrderFilter:
    channel: str | None = None
    statuses: Sequence[OrderStatus] | None = None
    customer_email: str | None = None
    location_code: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    has_next: bool
    total_count: int


async def cancel_order(session: AsyncSession, *, order_id: uuid.UUID, reason: str, principal: Principal) -> Order:
    """Cancel before anything left a location: release the promise or reservation, void the payment."""
    order = await for_change(session, order_id, principal)
    status = _transition(order, rules.CANCELLABLE, "cancelled", reason)
    # What no fulfilment holds is still a promise (delivery) or the pickup reservation; read it first.
    unheld = await unallocated(session, order_id=order.id)
    lines = list(await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)))
    for line in lines:
        line.quantity_cancelled = line.quantity
    now = utcnow()
    await ledger.lock_products(session, skus={line.sku for line in lines})
    routed = await release_fulfilments(session, order_id=order.id, now=now, actor=principal.name)
    if order.delivery_method == FulfilmentMethod.DELIVERY.value:
        # Every live delivery unit is in the promise, routed (now released) or not.
        await ledger.release_promise(session, units=Counter(unheld) + Counter(routed))
    elif status in rules.UNROUTED:  # reserved at the pickup location when placed
        pickup = cast(uuid.UUID, order.pickup_location_id)
        await ledger.release(session, units={(sku, pickup): n for sku, n in unheld.items()}, routed=False, at=now)
    await close_cancelled(session, order=order, reason=reason.strip(), actor=principal.name, now=now)
    return order


async def close_cancelled(session: AsyncSession, *, order: Order, reason: str, actor: str, now: datetime) -> None:
    """Nothing is left of the order: it is CANCELLED, and its payment voided (or what was taken refunded)."""
    was = order.status
    order.status, order.hold_reason, order.updated_at = OrderStatus.CANCELLED.value, None, now
    await append_event(
        session,
        order_id=order.id,
        type="ORDER_CANCELLED",
        actor=actor,
        at=now,
        data={"number": order.number, "reason": reason, "from": was},
    )
    await payments.settle_cancelled(session, order=order, actor=actor)


async def hold_order(session: AsyncSession, *, order_id: uuid.UUID, reason: str, principal: Principal) -> Order:
    """Stop an order from being routed; it keeps its promise."""
    order = await for_change(session, order_id, principal)
    _transition(order, rules.HOLDABLE, "held", reason)
    order.status, order.hold_reason, order.updated_at = OrderStatus.ON_HOLD.value, reason.strip(), utcnow()
    await append_event(
        session,
        order_id=order.id,
        type="ORDER_HELD",
        actor=principal.name,
        data={"number": order.number, "reason": reason.strip()},
    )
    return order


async def release_order(session: AsyncSession, *, order_id: uuid.UUID, principal: Principal) -> Order:
    """Let a held (or unconfirmed) order go on to routing."""
    order = await for_change(session, order_id, principal)
    if order.status != OrderStatus.ON_HOLD.value:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION, ["id"], f"order {order.number} is {order.status}, not ON_HOLD"
        )
    held_for = order.hold_reason
    order.status, order.hold_reason, order.updated_at = OrderStatus.PLACED.value, None, utcnow()
    await append_event(
        session,
        order_id=order.id,
        type="ORDER_RELEASED",
        actor=principal.name,
        data={"number": order.number, "heldFor": held_for},
    )
    return order


async def requeue_backorders(session: AsyncSession, *, skus: Iterable[str], actor: str | None) -> int:
    """Stock arrived: backordered orders of these skus go back to PLACED for routing, oldest first.

    Orders another transaction is changing are skipped (SKIP LOCKED), which also keeps a stock sync
    from waiting on, or deadlocking with, a cancellation."""
    wanted = sorted(set(skus))
    if not wanted:
        return 0
    backordered = (
        await session.execute(
            select(Order.id, Order.number)
            .where(
                Order.status == OrderStatus.BACKORDERED.value,
                Order.id.in_(select(OrderLine.order_id).where(OrderLine.sku.in_(wanted))),
            )
            .order_by(Order.seq)
            .with_for_update(skip_locked=True)
        )
    ).all()
    now = utcnow()
    for order_id, number in backordered:
        await session.execute(
            update(Order).where(Order.id == order_id).values(status=OrderStatus.PLACED.value, updated_at=now)
        )
        await append_event(
            session,
            order_id=order_id,
            type="ORDER_REQUEUED",
            actor=actor,
            at=now,
            data={"number": number, "skus": wanted},
        )
    return len(backordered)


async def get_order(
    session: AsyncSession, *, principal: Principal, order_id: uuid.UUID | None = None, number: str | None = None
) -> Order | None:
    """One order by id or number, or None when there is none the caller may see."""
    if order_id is None and number is None:
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["id"], "give an id or a number")
    stmt = select(Order).where(Order.id == order_id if order_id is not None else Order.number == number)
    scope = visible_to(principal)
    if scope is not None:
        stmt = stmt.where(scope)
    return await session.scalar(stmt)


async def list_orders(
    session: AsyncSession, *, principal: Principal, filter: OrderFilter, first: int, after: int | None
) -> OrderPage:
    """A page of orders, newest first, within the caller's scope and the filter, and how many match."""
    conditions = await _conditions(session, principal, filter)
    total = await session.scalar(select(func.count()).select_from(Order).where(*conditions))
    stmt = select(Order).where(*conditions).order_by(Order.seq.desc()).limit(first + 1)
    if after is not None:
        stmt = stmt.where(Order.seq < after)
    orders = list(await session.scalars(stmt))
    return OrderPage(orders=orders[:first], has_next=len(orders) > first, total_count=int(total or 0))


def visible_to(principal: Principal) -> ColumnElement[bool] | None:
    """The orders a key may read: its channel's (STOREFRONT); those it originated, hands out or has a
    fulfilment of (STORE)."""
    if principal.role is Role.STOREFRONT:
        return Order.channel_id == principal.channel_id
    if principal.role is Role.STORE:
        fulfilled_here = select(Fulfilment.order_id).where(Fulfilment.location_id == principal.location_id)
        return or_(
            Order.origin_location_id == principal.location_id,
            Order.pickup_location_id == principal.location_id,
            Order.id.in_(fulfilled_here),
        )
    return None


async def _conditions(session: AsyncSession, principal: Principal, filter: OrderFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    scope = visible_to(principal)
    if scope is not None:
        conditions.append(scope)
    if filter.channel is not None:
        channel_id = await session.scalar(select(Channel.id).where(Channel.code == filter.channel))
        if channel_id is None:
            raise DomainError.one(
                ErrorCode.UNKNOWN_CHANNEL, ["filter", "channel"], f"no channel with code {filter.channel!r}"
            )
        conditions.append(Order.channel_id == channel_id)
    if filter.location_code is not None:
        location_id = await session.scalar(select(Location.id).where(Location.code == filter.location_code))
        if location_id is None:
            raise DomainError.one(
                ErrorCode.UNKNOWN_LOCATION,
                ["filter", "locationCode"],
                f"no location with code {filter.location_code!r}",
            )
        conditions.append(or_(Order.origin_location_id == location_id, Order.pickup_location_id == location_id))
    if filter.statuses:
        conditions.append(Order.status.in_([s.value for s in filter.statuses]))
    if filter.customer_email is not None:
        conditions.append(Order.customer_email == filter.customer_email)
    if filter.created_after is not None:
        conditions.append(Order.created_at >= filter.created_after)
    if filter.created_before is not None:
        conditions.append(Order.created_at < filter.created_before)
    return conditions


def _transition(order: Order, allowed: frozenset[OrderStatus], done: str, reason: str) -> OrderStatus:
    """The order's status, when it may be `done` (cancelled, held) with a reason; raise otherwise."""
    if not reason.strip():
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["reason"], f"say why the order is {done}")
    status = OrderStatus(order.status)
    if status not in allowed:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION, ["id"], f"order {order.number} is {status.value}; it cannot be {done}"
        )
    return status


async def for_change(session: AsyncSession, order_id: uuid.UUID, principal: Principal) -> Order:
    """The order, locked for this transaction, if the caller may see it."""
    stmt = select(Order).where(Order.id == order_id).with_for_update()
    scope = visible_to(principal)
    if scope is not None:
        stmt = stmt.where(scope)
    order = await session.scalar(stmt)
    if order is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such order")
    return order
