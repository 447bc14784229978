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
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, cast

from sqlalchemy import Table, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.config import get_settings
from oms_graph.db.base import utcnow
from oms_graph.db.dialect import byte_order, insert_rows
from oms_graph.db.models import (
    Fulfilment,
    FulfilmentLine,
    Location,
    Order,
    OrderLine,
    Product,
    Shipment,
    StockLevel,
    StockMovement,
)
from oms_graph.domain import fulfilment as rules
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.fulfilment import (
    COLLECTED_REASON,
    SHIPPED_REASON,
    Action,
    FulfilmentStatus,
    RejectionReason,
    ShipmentStatus,
)
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus
from oms_graph.domain.payments import Handover
from oms_graph.services.fulfilment.allocation import shipment_moved, unallocated
from oms_graph.services.orders.lifecycle import close_cancelled
from oms_graph.services.outbox import append_event
from oms_graph.services.payments import transactions as payments
from oms_graph.services.routing.plan import reroute

MAX_PARCELS = 50
SWEEP_BATCH = 200  # fulfilments one scheduled sweep looks at
# Who acts when a schedule does (accept timeouts, pickup expiry).
SCHEDULE = Principal(key_id=uuid.UUID(int=0), name="schedule", role=Role.ADMIN)
movement_table = cast(Table, StockMovement.__table__)


class PickedLineFields(Protocol):
    sku: str
    quantity: int


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


async def accept(session: AsyncSession, *, fulfilment_id: uuid.UUID, principal: Principal) -> Fulfilment:
    """The location takes the work."""
    work = await _for_work(session, fulfilment_id, principal)
    await _done(session, work, _move(work, Action.ACCEPT), principal)
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
    work = await _for_work(session, fulfilment_id, principal)
    target = _move(work, Action.REJECT)
    if note is not None and len(note) > 500:
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["note"], "at most 500 characters")
    work.fulfilment.rejection_reason, work.fulfilment.note = reason.value, (note or "").strip() or None
    missing = await _units(session, work.fulfilment)
    await _give_back(session, work, missing, gone=rules.STOCK_GONE.get(reason), actor=principal.name)
    work.fulfilment.status = target.value
    await _cancel_pickup_units(session, work, missing, principal)
    await _done(session, work, target, principal, data={"reason": reason.value})
    await _reroute_delivery_units(session, work, missing, principal)
    return work.fulfilment


async def pick(
    session: AsyncSession, *, fulfilment_id: uuid.UUID, lines: Sequence[PickedLineFields], principal: Principal
) -> Fulfilment:
    """What was picked of each line; what was not is a short pick: off the location's onHand, routed
    elsewhere. Nothing picked at all rejects the fulfilment as OUT_OF_STOCK."""
    work = await _for_work(session, fulfilment_id, principal)
    target = _move(work, Action.PICK)
    ordered = {line.sku: line for line in await _lines(session, work.fulfilment)}
    errors = ErrorList()
    picked: dict[str, int] = {}
    given = {line.sku for line in lines}
    for i, line in enumerate(lines):
        if line.sku not in ordered:
            errors.add(ErrorCode.INVALID_INPUT, ["lines", i, "sku"], f"{line.sku} is not in this fulfilment")
        elif line.sku in picked:
            errors.add(ErrorCode.INVALID_INPUT, ["lines", i, "sku"], f"{line.sku} is given twice")
        elif not 0 <= line.quantity <= ordered[line.sku].quantity:
            errors.add(
                ErrorCode.INVALID_INPUT,
                ["lines", i, "quantity"],
                f"between 0 and {ordered[line.sku].quantity} units of {line.sku} can be picked",
            )
        else:
            picked[line.sku] = line.quantity
    for sku in sorted(set(ordered) - given):
        errors.add(ErrorCode.INVALID_INPUT, ["lines"], f"say how many units of {sku} were picked (0 if none)")
    errors.raise_if_any()
    short = {sku: ordered[sku].quantity - n for sku, n in picked.items() if n < ordered[sku].quantity}
    for sku, n in picked.items():
        ordered[sku].quantity_picked = n
    await _give_back(session, work, short, gone=rules.SHORT_PICK, actor=principal.name)
    if not any(picked.values()):
        work.fulfilment.rejection_reason = RejectionReason.OUT_OF_STOCK.value
        target = FulfilmentStatus.REJECTED
    work.fulfilment.status = target.value
    await _cancel_pickup_units(session, work, short, principal)
    await _done(session, work, target, principal, data={"picked": picked, "short": short})
    await _reroute_delivery_units(session, work, short, principal)
    return work.fulfilment


async def pack(
    session: AsyncSession, *, fulfilment_id: uuid.UUID, weights_grams: Sequence[int], principal: Principal
) -> Fulfilment:
    """The parcels are packed: a shipment with the order's carrier is booked in the background."""
    work = await _for_work(session, fulfilment_id, principal)
    target = _move(work, Action.PACK)
    errors = ErrorList()
    if not 0 < len(weights_grams) <= MAX_PARCELS:
        errors.add(ErrorCode.INVALID_INPUT, ["parcels"], f"1 to {MAX_PARCELS} parcels")
    for i, grams in enumerate(weights_grams):
        if grams <= 0:
            errors.add(ErrorCode.INVALID_INPUT, ["parcels", i, "weightGrams"], "must be positive")
    errors.raise_if_any()
    carrier = work.order.carrier or get_settings().default_carrier
    now = utcnow()
    shipment = Shipment(
        id=uuid.uuid4(),
        fulfilment_id=work.fulfilment.id,
        carrier=carrier,
        service=work.order.service,
        status=ShipmentStatus.BOOKING.value,
        parcels=len(weights_grams),
        weights_grams=list(weights_grams),
        created_at=now,
        updated_at=now,
    )
    session.add(shipment)
    await _done(session, work, target, principal)
    await append_event(
        session,
        order_id=work.order.id,
        type="SHIPMENT_BOOKING",
        actor=principal.name,
        at=now,
        data={"shipment": str(shipment.id), "fulfilment": str(work.fulfilment.id), "carrier": carrier},
    )
    return work.fulfilment


async def ship(session: AsyncSession, *, fulfilment_id: uuid.UUID, principal: Principal) -> Fulfilment:
    """The parcels go to the driver: the units leave the location (onHand, reserved) and the promise."""
    work = await _for_work(session, fulfilment_id, principal)
    target = _move(work, Action.SHIP)
    shipment = await session.scalar(
        select(Shipment).where(Shipment.fulfilment_id == work.fulfilment.id).with_for_update()
    )
    if shipment is None or shipment.status != ShipmentStatus.BOOKED.value:
        state = shipment.status if shipment is not None else "missing"
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION, ["id"], f"the shipment is {state}; parcels are handed over once it is BOOKED"
        )
    units = await _units(session, work.fulfilment)
    work.fulfilment.value = await _leave(session, work, units, reason=SHIPPED_REASON, actor=principal.name)
    await _done(session, work, target, principal, data={"trackingNumber": shipment.tracking_number})
    await shipment_moved(session, shipment, work.order.id, ShipmentStatus.IN_TRANSIT, principal.name)
    await _handed_over(session, work, Handover.SHIPPED, principal)
    return work.fulfilment


async def deliver(session: AsyncSession, *, fulfilment_id: uuid.UUID, principal: Principal) -> Fulfilment:
    """The carrier delivered the parcels (from its tracking webhook)."""
    work = await _for_work(session, fulfilment_id, principal)
    await _done(session, work, _move(work, Action.DELIVER), principal)
    await _handed_over(session, work, Handover.DELIVERED, principal)
    return work.fulfilment


async def mark_ready_for_pickup(session: AsyncSession, *, fulfilment_id: uuid.UUID, principal: Principal) -> Fulfilment:
    """The parcel waits at the store: the customer gets a pickup code, valid for OMS_PICKUP_DAYS."""
    work = await _for_work(session, fulfilment_id, principal)
    target = _move(work, Action.READY_FOR_PICKUP)
    now = utcnow()
    fulfilment = work.fulfilment
    fulfilment.pickup_code = rules.pickup_code()
    fulfilment.pickup_ready_at = now
    fulfilment.pickup_expires_at = now + timedelta(days=get_settings().pickup_days)
    await _done(session, work, target, principal, data={"expiresAt": fulfilment.pickup_expires_at.isoformat()})
    return fulfilment


async def collect(
    session: AsyncSession, *, fulfilment_id: uuid.UUID, pickup_code: str, principal: Principal
) -> Fulfilment:
    """The customer shows the pickup code and takes the parcel: the units leave the store."""
    work = await _for_work(session, fulfilment_id, principal)
    target = _move(work, Action.COLLECT)
    expected = work.fulfilment.pickup_code
    if not expected or not secrets.compare_digest(pickup_code.strip().encode(), expected.encode()):
        raise DomainError.one(ErrorCode.PICKUP_CODE_MISMATCH, ["pickupCode"], "that is not this parcel's pickup code")
    units = await _units(session, work.fulfilment)
    work.fulfilment.value = await _leave(session, work, units, reason=COLLECTED_REASON, actor=principal.name)
    await _done(session, work, target, principal)
    await _handed_over(session, work, Handover.COLLECTED, principal)
    return work.fulfilment


async def stale_assignments(session: AsyncSession, *, now: datetime, accept_within: timedelta) -> list[uuid.UUID]:
    """Fulfilments assigned longer than `accept_within` ago and still not accepted, oldest first."""
    rows = await session.scalars(
        select(Fulfilment.id)
        .where(Fulfilment.status == FulfilmentStatus.ASSIGNED.value, Fulfilment.created_at < now - accept_within)
        .order_by(Fulfilment.created_at)
        .limit(SWEEP_BATCH)
    )
    return list(rows)


async def reassign_if_stale(
    session: AsyncSession, *, fulfilment_id: uuid.UUID, now: datetime, accept_within: timedelta
) -> Fulfilment | None:
    """A location that did not accept in time loses the work: rejected (NO_CAPACITY) and routed elsewhere."""
    work = await _for_work(session, fulfilment_id, SCHEDULE)
    if work.status is not FulfilmentStatus.ASSIGNED or work.fulfilment.created_at >= now - accept_within:
        return None  # accepted (or moved on) meanwhile
    minutes = int(accept_within.total_seconds() // 60)
    note = f"not accepted within {minutes} minutes"
    return await reject(
        session, fulfilment_id=fulfilment_id, reason=RejectionReason.NO_CAPACITY, note=note, principal=SCHEDULE
    )


async def expired_pickups(session: AsyncSession, *, now: datetime) -> list[uuid.UUID]:
    """Click & collect parcels whose pickup time is over, the longest waiting first."""
    rows = await session.scalars(
        select(Fulfilment.id)
        .where(Fulfilment.status == FulfilmentStatus.READY_FOR_PICKUP.value, Fulfilment.pickup_expires_at < now)
        .order_by(Fulfilment.pickup_expires_at)
        .limit(SWEEP_BATCH)
    )
    return list(rows)


async def expire_pickup(session: AsyncSession, *, fulfilment_id: uuid.UUID, now: datetime) -> Fulfilment | None:
    """An uncollected parcel goes back to the shelf: the fulfilment is CANCELLED, its reservation released
    (the units stay on hand), and its units cancelled from the order (the whole order when none are left)."""
    work = await _for_work(session, fulfilment_id, SCHEDULE)
    expires = work.fulfilment.pickup_expires_at
    if work.status is not FulfilmentStatus.READY_FOR_PICKUP or expires is None or expires >= now:
        return None  # collected meanwhile, or not due
    target = _move(work, Action.CANCEL)
    units = await _units(session, work.fulfilment)
    await _give_back(session, work, units, gone=None, actor=SCHEDULE.name)
    work.fulfilment.status = target.value
    await _cancel_pickup_units(session, work, units, SCHEDULE)
    await _done(session, work, target, SCHEDULE, data={"reason": f"not collected by {expires.isoformat()}"})
    return work.fulfilment


# ---------------------------------------------------------------------------------------------- helpers


async def _for_work(session: AsyncSession, fulfilment_id: uuid.UUID, principal: Principal) -> Work:
    """The fulfilment and its order, locked in the order every writer uses (order, then fulfilment)."""
    found = (
        await session.execute(
            select(Fulfilment.order_id, Location.code)
            .join(Location, Location.id == Fulfilment.location_id)
            .where(Fulfilment.id == fulfilment_id)
        )
    ).first()
    if found is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such fulfilment")
    if not principal.may_use_location(found.code):
        raise DomainError.one(ErrorCode.PERMISSION_DENIED, ["id"], "a STORE key works its own location's fulfilments")
    order = await session.scalar(select(Order).where(Order.id == found.order_id).with_for_update())
    fulfilment = await session.scalar(select(Fulfilment).where(Fulfilment.id == fulfilment_id).with_for_update())
    assert order is not None and fulfilment is not None
    return Work(fulfilment, order, found.code)


def _move(work: Work, action: Action) -> FulfilmentStatus:
    target = rules.next_status(action, work.status, work.method)
    if target is None:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            ["id"],
            f"a {work.method.value} fulfilment in {work.status.value} cannot {action.value}",
        )
    return target


async def _lines(session: AsyncSession, fulfilment: Fulfilment) -> list[FulfilmentLine]:
    rows = await session.scalars(
        select(FulfilmentLine).where(FulfilmentLine.fulfilment_id == fulfilment.id).order_by(FulfilmentLine.sku)
    )
    return list(rows)


async def _units(session: AsyncSession, fulfilment: Fulfilment) -> dict[str, int]:
    """The units the fulfilment holds per sku: what was picked once picked, else what was assigned."""
    held: dict[str, int] = {}
    for line in await _lines(session, fulfilment):
        n = line.quantity if line.quantity_picked is None else line.quantity_picked
        if n:
            held[line.sku] = held.get(line.sku, 0) + n
    return held


async def _give_back(session: AsyncSession, work: Work, units: dict[str, int], *, gone: str | None, actor: str) -> None:
    """Release the units' reservation at the location (a delivery's were routed from the promise, which
    they rejoin); with `gone` (a ledger reason) they also leave its onHand, as far as it has them."""
    routed = work.method is FulfilmentMethod.DELIVERY
    level = cast(Table, StockLevel.__table__).c
    now = utcnow()
    movements = []
    for sku, n in sorted(units.items()):
        taken = case((level.on_hand >= n, n), else_=level.on_hand) if gone else 0
        row = (
            await session.execute(
                update(StockLevel)
                .where(StockLevel.sku == sku, StockLevel.location_id == work.fulfilment.location_id)
                .values(
                    reserved=StockLevel.reserved - n,
                    routed=StockLevel.routed - (n if routed else 0),
                    on_hand=StockLevel.on_hand - taken,
                    updated_at=now,
                )
                .returning(StockLevel.on_hand, StockLevel.safety_stock)
            )
        ).one()
        if gone:
            movements.append(_movement(sku, work, -min(n, row.on_hand + n), row, gone, actor, now))
    await insert_rows(session, movement_table, [m for m in movements if m["delta"]])


async def _leave(session: AsyncSession, work: Work, units: dict[str, int], *, reason: str, actor: str) -> Decimal:
    """The units leave the location (onHand and reserved) and, for a delivery, the sku's promise; what
    they are worth at the order's prices."""
    routed = work.method is FulfilmentMethod.DELIVERY
    now = utcnow()
    if routed:  # the lock order of placement and cancel: product rows first
        await session.execute(
            select(Product.sku)
            .where(Product.sku.in_(units))
            .order_by(byte_order(session, Product.sku))
            .with_for_update()
        )
    movements, value = [], Decimal(0)
    for sku, n in sorted(units.items()):
        row = (
            await session.execute(
                update(StockLevel)
                .where(
                    StockLevel.sku == sku,
                    StockLevel.location_id == work.fulfilment.location_id,
                    StockLevel.on_hand >= n,  # a recount may have found fewer than were reserved
                    StockLevel.reserved >= n,
                )
                .values(
                    on_hand=StockLevel.on_hand - n,
                    reserved=StockLevel.reserved - n,
                    routed=StockLevel.routed - (n if routed else 0),
                    updated_at=now,
                )
                .returning(StockLevel.on_hand, StockLevel.safety_stock)
            )
        ).first()
        if row is None:
            raise DomainError.one(
                ErrorCode.INSUFFICIENT_STOCK,
                ["id"],
                f"{work.location_code} has fewer than {n} units of {sku} on hand: correct its count first",
            )
        movements.append(_movement(sku, work, -n, row, reason, actor, now))
        if routed:
            await session.execute(
                update(Product)
                .where(Product.sku == sku)
                .values(promised=Product.promised - n, updated_at=Product.updated_at)
            )
        value += await _count_shipped(session, work.order.id, sku, n)
    await insert_rows(session, movement_table, movements)
    return value


async def _count_shipped(session: AsyncSession, order_id: uuid.UUID, sku: str, units: int) -> Decimal:
    """Spread shipped units over the order's lines of the sku, in line order; what they are worth."""
    lines = await session.scalars(
        select(OrderLine).where(OrderLine.order_id == order_id, OrderLine.sku == sku).order_by(OrderLine.line_no)
    )
    value = Decimal(0)
    for line in lines:
        take = min(units, line.quantity - line.quantity_cancelled - line.quantity_shipped)
        line.quantity_shipped += take
        value += take * line.unit_price
        units -= take
    return value


async def _handed_over(session: AsyncSession, work: Work, handover: Handover, principal: Principal) -> None:
    await payments.capture_handover(
        session, order=work.order, fulfilment=work.fulfilment, handover=handover, actor=principal.name
    )


def _movement(sku: str, work: Work, delta: int, row: Any, reason: str, actor: str, at: datetime) -> dict[str, Any]:
    return {
        "sku": sku,
        "location_id": work.fulfilment.location_id,
        "delta": delta,
        "on_hand_after": row.on_hand,
        "safety_stock_after": row.safety_stock,
        "reason": reason,
        "actor": actor,
        "at": at,
    }


async def _reroute_delivery_units(
    session: AsyncSession, work: Work, units: dict[str, int], principal: Principal
) -> None:
    """A delivery's missing units go back to routing, never to this location."""
    if units and work.method is FulfilmentMethod.DELIVERY:
        await reroute(session, order_id=work.order.id, exclude=[work.fulfilment.location_id], actor=principal.name)
        await set_order_status(session, work.order)


async def _cancel_pickup_units(session: AsyncSession, work: Work, units: dict[str, int], principal: Principal) -> None:
    """A pickup order's missing units are cancelled: they were to be handed out here and nowhere else."""
    if units and work.method is FulfilmentMethod.PICKUP:
        await _cancel_units(session, work.order, units, principal)


async def _cancel_units(session: AsyncSession, order: Order, units: dict[str, int], principal: Principal) -> None:
    lines = await session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id, OrderLine.sku.in_(units)).order_by(OrderLine.line_no)
    )
    left = dict(units)
    for line in lines:
        take = min(left[line.sku], line.quantity - line.quantity_cancelled - line.quantity_shipped)
        line.quantity_cancelled += take
        left[line.sku] -= take
    now = utcnow()
    await append_event(
        session, order_id=order.id, type="ORDER_REDUCED", actor=principal.name, at=now, data={"lines": units}
    )
    await session.flush()  # unallocated reads through the connection
    if not await unallocated(session, order_id=order.id) and not await _live_fulfilments(session, order.id):
        await close_cancelled(session, order=order, reason="nothing left to hand out", actor=principal.name, now=now)


async def _live_fulfilments(session: AsyncSession, order_id: uuid.UUID) -> list[FulfilmentStatus]:
    rows = await session.scalars(select(Fulfilment.status).where(Fulfilment.order_id == order_id))
    return [FulfilmentStatus(s) for s in rows if FulfilmentStatus(s) not in rules.DROPPED]


async def set_order_status(session: AsyncSession, order: Order) -> None:
    """The order's status from its fulfilments (and any units still waiting for stock)."""
    current = OrderStatus(order.status)
    if current in (OrderStatus.CANCELLED, OrderStatus.COMPLETED):
        return
    await session.flush()
    statuses = [
        FulfilmentStatus(s)
        for s in await session.scalars(select(Fulfilment.status).where(Fulfilment.order_id == order.id))
    ]
    waiting = bool(await unallocated(session, order_id=order.id))
    status = rules.order_status(statuses, unallocated=waiting, current=current)
    if status is not current:
        order.status, order.updated_at = status.value, utcnow()
        if status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED) and order.fulfilled_at is None:
            order.fulfilled_at = order.updated_at


async def _done(
    session: AsyncSession,
    work: Work,
    target: FulfilmentStatus,
    principal: Principal,
    data: dict[str, Any] | None = None,
) -> None:
    """Move the fulfilment, set the order's status, and append FULFILMENT_<STATUS>."""
    now = utcnow()
    work.fulfilment.status, work.fulfilment.updated_at = target.value, now
    await set_order_status(session, work.order)
    await append_event(
        session,
        order_id=work.order.id,
        type=f"FULFILMENT_{target.value}",
        actor=principal.name,
        at=now,
        data={
            "fulfilment": str(work.fulfilment.id),
            "location": work.location_code,
            "orderStatus": work.order.status,
            **(data or {}),
        },
    )
