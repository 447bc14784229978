"""Cancelling some units of an order before they are worked on: the rest goes on as it was."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol, cast

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import Fulfilment, FulfilmentLine, Location, Order, OrderLine
from oms_graph.domain import orders as rules
from oms_graph.domain.access import Principal
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.events import EventType
from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus
from oms_graph.services.fulfilment.allocation import unallocated
from oms_graph.services.fulfilment.work import set_order_status
from oms_graph.services.orders.backorders import requeue_backorders
from oms_graph.services.orders.lifecycle import close_cancelled
from oms_graph.services.orders.locking import for_change
from oms_graph.services.outbox import append_event
from oms_graph.services.payments import transactions as payments
from oms_graph.services.stock import ledger

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
    waiting = await unallocated(session, order_id=order.id)
    assigned = await _assigned(session, order.id)
    ordered = set(await session.scalars(select(OrderLine.sku).where(OrderLine.order_id == order.id)))
    for i, line in enumerate(lines):
        free = waiting.get(line.sku, 0) + sum(n for _, _, sku, n in assigned if sku == line.sku)
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
    delivery = order.delivery_method == FulfilmentMethod.DELIVERY
    if delivery:  # every live delivery unit is in the promise, routed or not, or promised against supply
        await ledger.lock_products(session, skus=wanted)
        future = {sku: int(n) for sku, n in (order.future_units or {}).items()}
        from_supply = {sku: min(n, future.get(sku, 0)) for sku, n in wanted.items()}
        present = {sku: n - from_supply[sku] for sku, n in wanted.items()}
        await ledger.release_promise(session, channel_id=order.channel_id, units=present)
        await ledger.release_future(session, units=from_supply)
        if future:
            order.future_units = {sku: n - from_supply.get(sku, 0) for sku, n in future.items()}
            order.future_units = {sku: n for sku, n in order.future_units.items() if n} or None
    released: Counter[tuple[str, uuid.UUID]] = Counter()
    by_transfer = dict(order.transfer_units or {})  # an unrouted ship-to-store pickup's promised units
    if not delivery and by_transfer:
        await ledger.lock_products(session, skus=wanted)
    for sku, n in sorted(wanted.items()):
        from_promise = min(n, waiting.get(sku, 0))
        promised = min(from_promise, int(by_transfer.get(sku, 0))) if not delivery else 0
        if promised:  # the ones still to be brought go first: the store keeps what it holds
            await ledger.release_promise(session, channel_id=order.channel_id, units={sku: promised})
            by_transfer[sku] = int(by_transfer[sku]) - promised
        if not delivery and from_promise > promised:  # an unrouted pickup order holds a reservation at its store
            released[(sku, cast(uuid.UUID, order.pickup_location_id))] += from_promise - promised
        left = n - from_promise
        for fulfilment_id, location_id, line_sku, held in assigned:
            if line_sku != sku or not left:
                continue
            take = min(left, held)
            released[(sku, location_id)] += take
            await _shrink(session, fulfilment_id, sku, take, held)
            left -= take
    if order.transfer_units:
        order.transfer_units = {sku: n for sku, n in by_transfer.items() if n} or None
    await ledger.release(session, units=released, routed=delivery, at=now, channel_id=order.channel_id)
    freed = {sku for (sku, _), n in released.items() if n}  # on a shelf now: they may serve backorders
    await requeue_backorders(session, skus=freed, actor=principal.name)
    value = await _count_cancelled(session, order.id, wanted)
    await _drop_empty_fulfilments(session, order, principal, now)
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


async def _assigned(session: AsyncSession, order_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID, str, int]]:
    """(fulfilment, location, sku, units) of the order's fulfilments not yet accepted, newest first (the
    last assigned gives its units up first)."""
    rows = await session.execute(
        select(Fulfilment.id, Fulfilment.location_id, FulfilmentLine.sku, FulfilmentLine.quantity)
        .join(FulfilmentLine, FulfilmentLine.fulfilment_id == Fulfilment.id)
        .where(Fulfilment.order_id == order_id, Fulfilment.status == FulfilmentStatus.ASSIGNED)
        .order_by(Fulfilment.created_at.desc(), Fulfilment.id)
        .with_for_update(of=Fulfilment)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


async def _shrink(session: AsyncSession, fulfilment_id: uuid.UUID, sku: str, units: int, held: int) -> None:
    """Take units off a fulfilment's line of the sku (all of them: the line goes)."""
    key = (FulfilmentLine.fulfilment_id == fulfilment_id, FulfilmentLine.sku == sku)
    if units >= held:
        await session.execute(delete(FulfilmentLine).where(*key))
    else:
        await session.execute(update(FulfilmentLine).where(*key).values(quantity=FulfilmentLine.quantity - units))


async def _drop_empty_fulfilments(session: AsyncSession, order: Order, principal: Principal, now: datetime) -> None:
    """A fulfilment whose every unit was cancelled is CANCELLED: its location has nothing left to do."""
    await session.flush()
    empty = (
        await session.execute(
            select(Fulfilment, Location.code)
            .join(Location, Location.id == Fulfilment.location_id)
            .where(
                Fulfilment.order_id == order.id,
                Fulfilment.status == FulfilmentStatus.ASSIGNED,
                ~select(FulfilmentLine.id).where(FulfilmentLine.fulfilment_id == Fulfilment.id).exists(),
            )
        )
    ).all()
    for fulfilment, code in empty:
        fulfilment.status, fulfilment.updated_at = FulfilmentStatus.CANCELLED, now
        await append_event(
            session,
            order_id=order.id,
            type=EventType.FULFILMENT_CANCELLED,
            actor=principal.name,
            at=now,
            data={"fulfilment": str(fulfilment.id), "location": code, "reason": "its units were cancelled"},
        )


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
