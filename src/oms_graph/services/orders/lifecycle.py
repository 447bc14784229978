"""An order's life before routing: cancel, hold, release."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import Order, OrderLine
from oms_graph.domain import orders as rules
from oms_graph.domain.access import Principal
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.events import EventType
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus
from oms_graph.domain.supply import routable
from oms_graph.services.fulfilment.allocation import release_fulfilments, unallocated
from oms_graph.services.orders.backorders import requeue_backorders
from oms_graph.services.orders.locking import for_change
from oms_graph.services.outbox import append_event
from oms_graph.services.payments import transactions as payments
from oms_graph.services.stock import ledger


async def cancel_order(session: AsyncSession, *, order_id: uuid.UUID, reason: str, principal: Principal) -> Order:
    """Cancel before anything left a location: release the promise or reservation, void the payment."""
    order = await for_change(session, order_id, principal)
    _transition(order, rules.CANCELLABLE, "cancelled", reason)
    await cancel_locked(session, order=order, reason=reason, actor=principal.name)
    return order


async def cancel_locked(session: AsyncSession, *, order: Order, reason: str, actor: str) -> None:
    """Cancel an order the caller locked and found CANCELLABLE."""
    status = OrderStatus(order.status)
    # What no fulfilment holds is still a promise (delivery) or the pickup reservation; read it first.
    unheld = await unallocated(session, order_id=order.id)
    lines = list(await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)))
    for line in lines:
        line.quantity_cancelled = line.quantity
    now = utcnow()
    await ledger.lock_products(session, skus={line.sku for line in lines})
    released = await release_fulfilments(session, order_id=order.id, channel_id=order.channel_id, now=now, actor=actor)
    freed = set(released.skus)
    if order.delivery_method == FulfilmentMethod.DELIVERY:
        # Every live delivery unit is in the promise, routed (now released) or not; or promised against supply.
        future = {sku: int(n) for sku, n in (order.future_units or {}).items()}
        units = Counter(unheld) + Counter(released.delivered) - Counter(future)
        await ledger.release_promise(session, channel_id=order.channel_id, units=units)
        await ledger.release_future(session, units=future)
        order.future_units = None
    elif status in rules.UNROUTED:  # reserved at the pickup location when placed (ship-to-store: promised)
        by_transfer = {sku: min(int(n), unheld.get(sku, 0)) for sku, n in (order.transfer_units or {}).items()}
        await ledger.release_promise(session, channel_id=order.channel_id, units=by_transfer)
        order.transfer_units = None  # nothing more is to come by transfer
        at_store = {sku: n - by_transfer.get(sku, 0) for sku, n in unheld.items()}
        pickup = cast(uuid.UUID, order.pickup_location_id)
        await ledger.release(session, units={(sku, pickup): n for sku, n in at_store.items()}, routed=False, at=now)
        freed |= {sku for sku, n in at_store.items() if n}
    await close_cancelled(session, order=order, reason=reason.strip(), actor=actor, now=now)
    # Units given back on a shelf may serve backorders (a promise given up frees no shelf's units).
    await requeue_backorders(session, skus=freed, actor=actor)


async def close_cancelled(session: AsyncSession, *, order: Order, reason: str, actor: str, now: datetime) -> None:
    """Nothing is left of the order: it is CANCELLED, and its payment voided (or what was taken refunded)."""
    was = order.status
    order.status, order.hold_reason, order.updated_at = OrderStatus.CANCELLED, None, now
    await append_event(
        session,
        order_id=order.id,
        type=EventType.ORDER_CANCELLED,
        actor=actor,
        at=now,
        data={"number": order.number, "reason": reason, "from": was},
    )
    await payments.settle_cancelled(session, order=order, actor=actor)


async def hold_order(session: AsyncSession, *, order_id: uuid.UUID, reason: str, principal: Principal) -> Order:
    """Stop an order from being routed; it keeps its promise."""
    order = await for_change(session, order_id, principal)
    _transition(order, rules.HOLDABLE, "held", reason)
    order.status, order.hold_reason, order.updated_at = OrderStatus.ON_HOLD, reason.strip(), utcnow()
    await append_event(
        session,
        order_id=order.id,
        type=EventType.ORDER_HELD,
        actor=principal.name,
        data={"number": order.number, "reason": reason.strip()},
    )
    return order


async def release_order(session: AsyncSession, *, order_id: uuid.UUID, principal: Principal) -> Order:
    """Let a held (or unconfirmed) order go on to routing."""
    order = await for_change(session, order_id, principal)
    if order.status != OrderStatus.ON_HOLD:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION, ["id"], f"order {order.number} is {order.status}, not ON_HOLD"
        )
    await release_locked(session, order=order, actor=principal.name)
    return order


async def release_locked(session: AsyncSession, *, order: Order, actor: str) -> None:
    """Release an ON_HOLD order the caller locked."""
    held_for = order.hold_reason
    # placed against supply: it waits for it, unless (split) some of it can be routed now
    waits = OrderStatus.PLACED
    if order.future_units and not routable(await unallocated(session, order_id=order.id), order.future_units):
        waits = OrderStatus.AWAITING_SUPPLY
    order.status, order.hold_reason, order.updated_at = waits, None, utcnow()
    await append_event(
        session,
        order_id=order.id,
        type=EventType.ORDER_RELEASED,
        actor=actor,
        data={"number": order.number, "heldFor": held_for},
    )


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
