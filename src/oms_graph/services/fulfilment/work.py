"""Fulfilment work, the steps every transition shares: the fulfilment and its order locked in the order
every writer uses, the move checked against the state machine, its units given back or taken out of the
location through the stock ledger, and the order's status set from its fulfilments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import (
    Fulfilment,
    FulfilmentLine,
    Location,
    Order,
    OrderLine,
)
from oms_graph.domain import fulfilment as rules
from oms_graph.domain.access import Principal
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.events import EventType
from oms_graph.domain.fulfilment import (
    Action,
    FulfilmentStatus,
)
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus
from oms_graph.domain.payments import Handover
from oms_graph.services.fulfilment.allocation import standing, unallocated
from oms_graph.services.orders.backorders import requeue_backorders
from oms_graph.services.orders.lifecycle import close_cancelled
from oms_graph.services.orders.locking import lock_order_of
from oms_graph.services.outbox import append_event
from oms_graph.services.payments import transactions as payments
from oms_graph.services.routing.plan import reroute
from oms_graph.services.stock import ledger
from oms_graph.services.transfers import ship_to_store as pickups


@dataclass
class Work:
    """A fulfilment locked for change, with its order (locked too) and its location's code."""

    fulfilment: Fulfilment
    order: Order
    location_code: str

    @property
    def status(self) -> FulfilmentStatus:
        return FulfilmentStatus(self.fulfilment.status)

    @property
    def method(self) -> FulfilmentMethod:
        return FulfilmentMethod(self.fulfilment.method)


async def for_work(session: AsyncSession, fulfilment_id: uuid.UUID, principal: Principal) -> Work:
    """The fulfilment and its order, locked in the order every writer uses (order, then fulfilment)."""
    order = await lock_order_of(session, fulfilment_id=fulfilment_id)
    found = (await session.execute(_LOCK_FULFILMENT, {"b_fulfilment": fulfilment_id})).first() if order else None
    if order is None or found is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such fulfilment")
    fulfilment, code = found
    if not principal.may_use_location(code):  # the transaction ends unchanged: its locks go with it
        raise DomainError.one(ErrorCode.PERMISSION_DENIED, ["id"], "a STORE key works its own location's fulfilments")
    return Work(fulfilment, order, code)


# After its order (lock_order_of), the fulfilment with its location's code.
_LOCK_FULFILMENT = (
    select(Fulfilment, Location.code)
    .join(Location, Location.id == Fulfilment.location_id)
    .where(Fulfilment.id == bindparam("b_fulfilment"))
    .with_for_update(of=Fulfilment)
)


_LINES = (
    select(FulfilmentLine).where(FulfilmentLine.fulfilment_id == bindparam("b_fulfilment")).order_by(FulfilmentLine.sku)
)
# An order's lines of some skus, in line order.
_LINES_OF_SKUS = (
    select(OrderLine)
    .where(OrderLine.order_id == bindparam("b_order"), OrderLine.sku.in_(bindparam("b_skus", expanding=True)))
    .order_by(OrderLine.line_no)
)


def move(work: Work, action: Action) -> FulfilmentStatus:
    target = rules.next_status(action, work.status, work.method)
    if target is None:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            ["id"],
            f"a {work.method.value} fulfilment in {work.status.value} cannot {action.value}",
        )
    return target


async def lines(session: AsyncSession, fulfilment: Fulfilment) -> list[FulfilmentLine]:
    rows = await session.scalars(_LINES, {"b_fulfilment": fulfilment.id})
    return list(rows)


async def units(session: AsyncSession, fulfilment: Fulfilment) -> dict[str, int]:
    """The units the fulfilment holds per sku: what was picked once picked, else what was assigned."""
    held: dict[str, int] = {}
    for line in await lines(session, fulfilment):
        n = line.quantity if line.quantity_picked is None else line.quantity_picked
        if n:
            held[line.sku] = held.get(line.sku, 0) + n
    return held


async def give_back(session: AsyncSession, work: Work, units: dict[str, int], *, gone: str | None, actor: str) -> None:
    """Release the units' reservation at the location (a delivery's were routed from the promise, which
    they rejoin); with `gone` (a ledger reason) they also leave its onHand, as far as it has them."""
    now = utcnow()
    await ledger.release(
        session,
        units={(sku, work.fulfilment.location_id): n for sku, n in units.items()},
        routed=work.method is FulfilmentMethod.DELIVERY,
        at=now,
        write_off=ledger.Movement(gone, actor, now) if gone else None,
        channel_id=work.order.channel_id,
    )
    if not gone:  # the units are on the shelf and free: backorders of them may be served now
        await requeue_backorders(session, skus=units, actor=actor)


async def leave(session: AsyncSession, work: Work, units: dict[str, int], *, reason: str, actor: str) -> Decimal:
    """The units leave the location (onHand and reserved) and, for a delivery, the sku's promise; what
    they are worth at the order's prices."""
    short = await ledger.consume(
        session,
        location_id=work.fulfilment.location_id,
        units=units,
        movement=ledger.Movement(reason, actor, utcnow()),
        channel_id=work.order.channel_id if work.method is FulfilmentMethod.DELIVERY else None,
    )
    if short is not None:
        raise DomainError.one(
            ErrorCode.INSUFFICIENT_STOCK,
            ["id"],
            f"{work.location_code} has fewer than {units[short]} units of {short} on hand: correct its count first",
        )
    return await count_shipped(session, work.order.id, units)


async def count_shipped(session: AsyncSession, order_id: uuid.UUID, units: dict[str, int]) -> Decimal:
    """Spread shipped units over the order's lines of each sku, in line order; what they are worth."""
    lines = await session.scalars(_LINES_OF_SKUS, {"b_order": order_id, "b_skus": list(units)})
    left, value = dict(units), Decimal(0)
    for line in lines:
        take = min(left[line.sku], line.quantity - line.quantity_cancelled - line.quantity_shipped)
        line.quantity_shipped += take
        value += take * line.unit_price
        left[line.sku] -= take
    return value


async def handed_over(session: AsyncSession, work: Work, handover: Handover, principal: Principal) -> None:
    """Goods reached the customer's side: their capture, and the void of what the authorisation holds
    beyond the captures when this handover ended the order."""
    await payments.capture_handover(
        session, order=work.order, fulfilment=work.fulfilment, handover=handover, actor=principal.name
    )
    await payments.release_unused(session, order=work.order, actor=principal.name)


async def reroute_delivery_units(
    session: AsyncSession, work: Work, units: dict[str, int], principal: Principal
) -> None:
    """A delivery's missing units go back to routing, never to this location."""
    if units and work.method is FulfilmentMethod.DELIVERY:
        await reroute(session, order_id=work.order.id, exclude=[work.fulfilment.location_id], actor=principal.name)
        await set_order_status(session, work.order)


async def rescue_pickup_units(
    session: AsyncSession, work: Work, units: dict[str, int], principal: Principal
) -> dict[str, int]:
    """A rejected pickup's missing units are brought to its store by transfer from where they are, when the
    channel allows transfers to pickups: a new pickup fulfilment waits for them. What nowhere has is
    returned (to cancel)."""
    if not units or work.method is not FulfilmentMethod.PICKUP:
        return units
    now = utcnow()
    store = work.fulfilment.location_id
    waiting = await pickups.open_pickup(session, order=work.order, store_id=store, units=units, at=now)
    missing = await pickups.rescue(
        session, order=work.order, fulfilment=waiting, units=units, exclude=[store], actor=principal.name, at=now
    )
    if missing == units:  # nothing comes: no pickup waits
        await session.execute(delete(FulfilmentLine).where(FulfilmentLine.fulfilment_id == waiting.id))
        await session.delete(waiting)
        await session.flush()
    elif missing:
        await pickups.shrink_pickup(session, fulfilment_id=waiting.id, units=missing)
    return missing


async def cancel_pickup_units(session: AsyncSession, work: Work, units: dict[str, int], principal: Principal) -> None:
    """A pickup order's missing units are cancelled: they were to be handed out here and nowhere else."""
    if units and work.method is FulfilmentMethod.PICKUP:
        await cancel_units(session, work.order, units, principal)


async def cancel_units(session: AsyncSession, order: Order, units: dict[str, int], principal: Principal) -> None:
    lines = await session.scalars(_LINES_OF_SKUS, {"b_order": order.id, "b_skus": list(units)})
    left = dict(units)
    for line in lines:
        take = min(left[line.sku], line.quantity - line.quantity_cancelled - line.quantity_shipped)
        line.quantity_cancelled += take
        left[line.sku] -= take
    now = utcnow()
    await append_event(
        session, order_id=order.id, type=EventType.ORDER_REDUCED, actor=principal.name, at=now, data={"lines": units}
    )
    await session.flush()  # unallocated reads through the connection
    if not await unallocated(session, order_id=order.id) and not await live_fulfilments(session, order.id):
        await close_cancelled(session, order=order, reason="nothing left to hand out", actor=principal.name, now=now)


async def live_fulfilments(session: AsyncSession, order_id: uuid.UUID) -> list[FulfilmentStatus]:
    rows = await session.scalars(select(Fulfilment.status).where(Fulfilment.order_id == order_id))
    return [FulfilmentStatus(s) for s in rows if FulfilmentStatus(s) not in rules.DROPPED]


async def set_order_status(session: AsyncSession, order: Order) -> None:
    """The order's status from its fulfilments (and any units still waiting for stock)."""
    current = OrderStatus(order.status)
    if current in (OrderStatus.CANCELLED, OrderStatus.COMPLETED):
        return
    now = await standing(session, order_id=order.id, future_units=order.future_units)
    status = rules.order_status(
        now.statuses, unallocated=now.waiting, awaiting_supply=now.awaiting_supply, current=current
    )
    if status is not current:
        order.status, order.updated_at = status, utcnow()
        if status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED) and order.fulfilled_at is None:
            order.fulfilled_at = order.updated_at


async def done(
    session: AsyncSession,
    work: Work,
    target: FulfilmentStatus,
    principal: Principal,
    data: dict[str, Any] | None = None,
) -> None:
    """Move the fulfilment, set the order's status, and append FULFILMENT_<STATUS>."""
    now = utcnow()
    work.fulfilment.status, work.fulfilment.updated_at = target, now
    await set_order_status(session, work.order)
    await append_event(
        session,
        order_id=work.order.id,
        type=EventType.fulfilment(target),
        actor=principal.name,
        at=now,
        data={
            "fulfilment": str(work.fulfilment.id),
            "location": work.location_code,
            "orderStatus": work.order.status,
            **(data or {}),
        },
    )
