"""Cancelling some units of an order before they are worked on: the rest goes on as it was."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import Order, OrderLine
from oms_graph.domain import orders as rules
from oms_graph.domain.access import Principal
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.events import EventType
from oms_graph.domain.orders import OrderStatus
from oms_graph.services.fulfilment.work import set_order_status
from oms_graph.services.orders.free_units import free_units, give_up
from oms_graph.services.orders.lifecycle import close_cancelled
from oms_graph.services.orders.locking import for_change
from oms_graph.services.outbox import append_event
from oms_graph.services.payments import transactions as payments

# Units may be cancelled while nothing was done with them: still a promise (or the pickup reservation),
# or in a fulfilment its location has not accepted yet.
REDUCIBLE = rules.CANCELLABLE | {OrderStatus.PARTIALLY_SHIPPED}


class CancelLineFields(Protocol):
    sku: str
    quantity: int


async def cancel_lines(
    session: AsyncSession, *, order_id: uuid.UUID, lines: Sequence[CancelLineFields], reason: str, principal: Principal
) -> Order:
    """Cancel units of some skus: their promise or reservation is released and they are not captured. When
    no unit is left the order is CANCELLED (and its payment voided)."""
    errors = ErrorList()
    if not reason.strip() or len(reason) > 500:
        errors.add(ErrorCode.INVALID_INPUT, ["reason"], "say why, in at most 500 characters")
    if not 0 < len(lines) <= rules.MAX_LINES:
        errors.add(ErrorCode.INVALID_INPUT, ["lines"], f"1 to {rules.MAX_LINES} lines")
    wanted: dict[str, int] = {}
    for i, line in enumerate(lines):
        if line.quantity <= 0:
            errors.add(ErrorCode.INVALID_INPUT, ["lines", i, "quantity"], "must be positive")
        elif line.sku in wanted:
            errors.add(ErrorCode.INVALID_INPUT, ["lines", i, "sku"], f"{line.sku} is given twice")
        else:
            wanted[line.sku] = line.quantity
    errors.raise_if_any()
    order = await for_change(session, order_id, principal)
    if OrderStatus(order.status) not in REDUCIBLE:
        raise DomainError.one(ErrorCode.INVALID_TRANSITION, ["id"], f"order {order.number} is {order.status}")
    untouched = await free_units(session, order_id=order.id)
    free_of = untouched.free
    ordered = set(await session.scalars(select(OrderLine.sku).where(OrderLine.order_id == order.id)))
    for i, line in enumerate(lines):
        free = free_of.get(line.sku, 0)
        if line.sku not in ordered:
            errors.add(ErrorCode.UNKNOWN_SKU, ["lines", i, "sku"], f"order {order.number} has no {line.sku}")
        elif line.quantity > free:
            errors.add(
                ErrorCode.INVALID_TRANSITION,
                ["lines", i, "quantity"],
                f"{free} units of {line.sku} can be cancelled: the others are being worked on, shipped or cancelled",
            )
    errors.raise_if_any()

    now = utcnow()
    cancelled = "its units were cancelled"
    await give_up(
        session, order=order, untouched=untouched, units=wanted, reason=cancelled, principal=principal, now=now
    )
    value = await _count_cancelled(session, order.id, wanted)
    order.version += 1  # its lines changed: an edit read before this one is stale
    await append_event(
        session,
        order_id=order.id,
        type=EventType.ORDER_REDUCED,
        actor=principal.name,
        at=now,
        data={"lines": wanted, "reason": reason.strip(), "value": str(rules.in_minor_units(value, order.currency))},
    )
    await session.flush()
    if not await _units_left(session, order.id):  # nothing shipped, nothing left to ship
        await close_cancelled(session, order=order, reason=reason.strip(), actor=principal.name, now=now)
    elif order.status == OrderStatus.AWAITING_SUPPLY and not order.future_units:  # nothing more to wait for
        order.status = OrderStatus.PLACED
        await append_event(
            session,
            order_id=order.id,
            type=EventType.ORDER_REQUEUED,
            actor=principal.name,
            at=now,
            data={"number": order.number},
        )
    elif OrderStatus(order.status) not in rules.UNROUTED:  # an unrouted order stays as it is, only smaller
        await set_order_status(session, order)
        await payments.release_unused(session, order=order, actor=principal.name)  # the rest was handed over
    return order


async def _count_cancelled(session: AsyncSession, order_id: uuid.UUID, units: dict[str, int]) -> Decimal:
    """Spread cancelled units over the order's lines of each sku, in line order; what they were worth."""
    value = Decimal(0)
    left = dict(units)
    for line in await session.scalars(
        select(OrderLine).where(OrderLine.order_id == order_id, OrderLine.sku.in_(units)).order_by(OrderLine.line_no)
    ):
        take = min(left[line.sku], line.quantity - line.quantity_cancelled - line.quantity_shipped)
        line.quantity_cancelled += take
        value += take * line.unit_price
        left[line.sku] -= take
    return value


async def _units_left(session: AsyncSession, order_id: uuid.UUID) -> int:
    """Units not cancelled (shipped or still to ship)."""
    rows = await session.scalars(
        select(OrderLine.quantity - OrderLine.quantity_cancelled).where(OrderLine.order_id == order_id)
    )
    return sum(rows)
