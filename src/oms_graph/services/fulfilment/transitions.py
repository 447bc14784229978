"""Fulfilment work at a location: accept, reject, pick, pack, ship, hand out; what it does to stock and order.

Every command locks the order, then the fulfilment, checks the move against the state machine
(`domain.fulfilment.MOVES`; anything else is INVALID_TRANSITION with nothing written), changes stock by
conditional SQL in (sku, location) order, appends an event and sets the order's status from its
fulfilments. Missing units (a rejection, a short pick) are released where they were and routed again,
never to the same location.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import (
    Fulfilment,
    Shipment,
)
from oms_graph.domain import fulfilment as rules
from oms_graph.domain.access import Principal
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.events import EventType
from oms_graph.domain.fulfilment import (
    COLLECTED_REASON,
    SHIPPED_REASON,
    Action,
    FulfilmentStatus,
    RejectionReason,
    ShipmentStatus,
)
from oms_graph.domain.orders import FulfilmentMethod
from oms_graph.domain.payments import Handover
from oms_graph.services.fulfilment import work as steps
from oms_graph.services.fulfilment.allocation import shipment_moved
from oms_graph.services.outbox import append_event
from oms_graph.services.stock import ledger

MAX_PARCELS = 50


class PickedLineFields(Protocol):
    sku: str
    quantity: int


async def accept(session: AsyncSession, *, fulfilment_id: uuid.UUID, principal: Principal) -> Fulfilment:
    """The location takes the work."""
    work = await steps.for_work(session, fulfilment_id, principal)
    await steps.done(session, work, steps.move(work, Action.ACCEPT), principal)
    return work.fulfilment


async def reject(
    session: AsyncSession,
    *,
    fulfilment_id: uuid.UUID,
    reason: RejectionReason,
    note: str | None,
    principal: Principal,
) -> Fulfilment:
    """The location cannot do it: its units are released there (and, when they are not there or not
    sellable, taken off its onHand) and routed elsewhere."""
    work = await steps.for_work(session, fulfilment_id, principal)
    target = steps.move(work, Action.REJECT)
    if note is not None and len(note) > 500:
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["note"], "at most 500 characters")
    work.fulfilment.rejection_reason, work.fulfilment.note = reason, (note or "").strip() or None
    missing = await steps.units(session, work.fulfilment)
    if work.method is FulfilmentMethod.PICKUP:  # a rescue by transfer locks them: before any stock level
        await ledger.lock_products(session, skus=missing)
    await steps.give_back(session, work, missing, gone=rules.STOCK_GONE.get(reason), actor=principal.name)
    work.fulfilment.status = target
    if reason in rules.STOCK_GONE:
        missing = await steps.rescue_pickup_units(session, work, missing, principal)
    await steps.cancel_pickup_units(session, work, missing, principal)
    await steps.done(session, work, target, principal, data={"reason": reason.value})
    await steps.reroute_delivery_units(session, work, missing, principal)
    return work.fulfilment


async def pick(
    session: AsyncSession, *, fulfilment_id: uuid.UUID, lines: Sequence[PickedLineFields], principal: Principal
) -> Fulfilment:
    """What was picked of each line; what was not is a short pick: off the location's onHand, routed
    elsewhere (a pickup's: brought to its store by transfer where the channel allows it, else cancelled).
    Nothing picked at all rejects the fulfilment as OUT_OF_STOCK."""
    work = await steps.for_work(session, fulfilment_id, principal)
    target = steps.move(work, Action.PICK)
    ordered = {line.sku: line for line in await steps.lines(session, work.fulfilment)}
    picked = rules.picked_units({sku: line.quantity for sku, line in ordered.items()}, lines, holder="fulfilment")
    short = {sku: ordered[sku].quantity - n for sku, n in picked.items() if n < ordered[sku].quantity}
    for sku, n in picked.items():
        ordered[sku].quantity_picked = n
    if short and work.method is FulfilmentMethod.PICKUP:  # a rescue by transfer locks them: before any level
        await ledger.lock_products(session, skus=short)
    await steps.give_back(session, work, short, gone=rules.SHORT_PICK, actor=principal.name)
    if not any(picked.values()):
        work.fulfilment.rejection_reason = RejectionReason.OUT_OF_STOCK
        target = FulfilmentStatus.REJECTED
    work.fulfilment.status = target
    missing = await steps.rescue_pickup_units(session, work, short, principal)
    await steps.cancel_pickup_units(session, work, missing, principal)
    await steps.done(session, work, target, principal, data={"picked": picked, "short": short})
    await steps.reroute_delivery_units(session, work, short, principal)
    return work.fulfilment


async def pack(
    session: AsyncSession,
    *,
    fulfilment_id: uuid.UUID,
    weights_grams: Sequence[int],
    principal: Principal,
    default_carrier: str,
) -> Fulfilment:
    """The parcels are packed: a shipment with the order's carrier (else `default_carrier`) is booked in the
    background."""
    work = await steps.for_work(session, fulfilment_id, principal)
    target = steps.move(work, Action.PACK)
    errors = ErrorList()
    if not 0 < len(weights_grams) <= MAX_PARCELS:
        errors.add(ErrorCode.INVALID_INPUT, ["parcels"], f"1 to {MAX_PARCELS} parcels")
    for i, grams in enumerate(weights_grams):
        if grams <= 0:
            errors.add(ErrorCode.INVALID_INPUT, ["parcels", i, "weightGrams"], "must be positive")
    errors.raise_if_any()
    carrier = work.order.carrier or default_carrier
    now = utcnow()
    shipment = Shipment(
        id=uuid.uuid4(),
        fulfilment_id=work.fulfilment.id,
        carrier=carrier,
        service=work.order.service,
        status=ShipmentStatus.BOOKING,
        parcels=len(weights_grams),
        weights_grams=list(weights_grams),
        created_at=now,
        updated_at=now,
    )
    session.add(shipment)
    await steps.done(session, work, target, principal)
    await append_event(
        session,
        order_id=work.order.id,
        type=EventType.SHIPMENT_BOOKING,
        actor=principal.name,
        at=now,
        data={"shipment": str(shipment.id), "fulfilment": str(work.fulfilment.id), "carrier": carrier},
    )
    return work.fulfilment


_SHIPMENT_LOCKED = select(Shipment).where(Shipment.fulfilment_id == bindparam("b_fulfilment")).with_for_update()


async def ship(session: AsyncSession, *, fulfilment_id: uuid.UUID, principal: Principal) -> Fulfilment:
    """The parcels go to the driver: the units leave the location (onHand, reserved) and the promise."""
    work = await steps.for_work(session, fulfilment_id, principal)
    target = steps.move(work, Action.SHIP)
    shipment = await session.scalar(_SHIPMENT_LOCKED, {"b_fulfilment": work.fulfilment.id})
    if shipment is None or shipment.status != ShipmentStatus.BOOKED:
        state = shipment.status if shipment is not None else "missing"
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION, ["id"], f"the shipment is {state}; parcels are handed over once it is BOOKED"
        )
    units = await steps.units(session, work.fulfilment)
    work.fulfilment.value = await steps.leave(session, work, units, reason=SHIPPED_REASON, actor=principal.name)
    await steps.done(session, work, target, principal, data={"trackingNumber": shipment.tracking_number})
    await shipment_moved(session, shipment, work.order.id, ShipmentStatus.IN_TRANSIT, principal.name)
    await steps.handed_over(session, work, Handover.SHIPPED, principal)
    return work.fulfilment


async def deliver(session: AsyncSession, *, fulfilment_id: uuid.UUID, principal: Principal) -> Fulfilment:
    """The carrier delivered the parcels (from its tracking webhook)."""
    work = await steps.for_work(session, fulfilment_id, principal)
    await steps.done(session, work, steps.move(work, Action.DELIVER), principal)
    await steps.handed_over(session, work, Handover.DELIVERED, principal)
    return work.fulfilment


async def mark_ready_for_pickup(
    session: AsyncSession, *, fulfilment_id: uuid.UUID, principal: Principal, pickup_days: int
) -> Fulfilment:
    """The parcel waits at the store: the customer gets a pickup code, valid for `pickup_days`."""
    work = await steps.for_work(session, fulfilment_id, principal)
    target = steps.move(work, Action.READY_FOR_PICKUP)
    now = utcnow()
    fulfilment = work.fulfilment
    fulfilment.pickup_code = rules.pickup_code()
    fulfilment.pickup_ready_at = now
    fulfilment.pickup_expires_at = now + timedelta(days=pickup_days)
    await steps.done(session, work, target, principal, data={"expiresAt": fulfilment.pickup_expires_at.isoformat()})
    return fulfilment


async def collect(
    session: AsyncSession, *, fulfilment_id: uuid.UUID, pickup_code: str, principal: Principal
) -> Fulfilment:
    """The customer shows the pickup code and takes the parcel: the units leave the store."""
    work = await steps.for_work(session, fulfilment_id, principal)
    target = steps.move(work, Action.COLLECT)
    expected = work.fulfilment.pickup_code
    if not expected or not secrets.compare_digest(pickup_code.strip().encode(), expected.encode()):
        raise DomainError.one(ErrorCode.PICKUP_CODE_MISMATCH, ["pickupCode"], "that is not this parcel's pickup code")
    units = await steps.units(session, work.fulfilment)
    work.fulfilment.value = await steps.leave(session, work, units, reason=COLLECTED_REASON, actor=principal.name)
    await steps.done(session, work, target, principal)
    await steps.handed_over(session, work, Handover.COLLECTED, principal)
    return work.fulfilment
