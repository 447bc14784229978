"""Shipments: booked with their carrier in the background after packing, never twice.

The booking actor reads what to book (`booking_request`), calls the carrier outside any transaction
with the shipment's id as idempotency key, and records the answer (`booked`) only while the shipment
is still BOOKING; a cancelled or already booked shipment is left alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.carriers import Booking, Parcel, ShipmentRequest
from oms_graph.db.base import utcnow
from oms_graph.db.models import Fulfilment, Location, Order, Shipment
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.fulfilment import ShipmentStatus
from oms_graph.services import fulfilment_work
from oms_graph.services.orders import append_event

SYSTEM = "system"


@dataclass(frozen=True)
class ToBook:
    carrier: str
    request: ShipmentRequest


async def booking_request(session: AsyncSession, *, shipment_id: uuid.UUID) -> ToBook | None:
    """What to ask the carrier for a BOOKING shipment; None for any other (nothing to do)."""
    row = (
        await session.execute(
            select(Shipment, Order.delivery_address, Order.customer, Location)
            .join(Fulfilment, Fulfilment.id == Shipment.fulfilment_id)
            .join(Order, Order.id == Fulfilment.order_id)
            .join(Location, Location.id == Fulfilment.location_id)
            .where(Shipment.id == shipment_id)
        )
    ).first()
    if row is None or row.Shipment.status != ShipmentStatus.BOOKING.value:
        return None
    shipment, address, customer, location = row
    sender = {"name": location.name, "code": location.code, "region": location.region}
    recipient = {**(address or {}), "name": (address or {}).get("name") or (customer or {}).get("name")}
    request = ShipmentRequest(
        key=str(shipment.id),
        service=shipment.service,
        sender=sender,
        recipient=recipient,
        parcels=tuple(Parcel(grams) for grams in shipment.weights_grams),
    )
    return ToBook(shipment.carrier, request)


async def booked(session: AsyncSession, *, shipment_id: uuid.UUID, booking: Booking) -> Shipment | None:
    """Record the carrier's booking (BOOKED, tracking number) if the shipment still waits for it."""
    found = await _locked(session, shipment_id)
    if found is None or found[0].status != ShipmentStatus.BOOKING.value:
        return found[0] if found else None
    shipment, order_id = found
    now = utcnow()
    shipment.status, shipment.tracking_number, shipment.updated_at = (
        ShipmentStatus.BOOKED.value,
        booking.tracking_number,
        now,
    )
    shipment.service = booking.service or shipment.service
    await append_event(
        session,
        order_id=order_id,
        type="SHIPMENT_BOOKED",
        actor=SYSTEM,
        at=now,
        data={"shipment": str(shipment.id), "carrier": shipment.carrier, "trackingNumber": booking.tracking_number},
    )
    return shipment


async def booking_failed(session: AsyncSession, *, shipment_id: uuid.UUID, error: str) -> Shipment | None:
    """The carrier would not book it (after the last retry, or refused outright): FAILED, with an event."""
    found = await _locked(session, shipment_id)
    if found is None or found[0].status != ShipmentStatus.BOOKING.value:
        return found[0] if found else None
    shipment, order_id = found
    now = utcnow()
    shipment.status, shipment.error, shipment.updated_at = ShipmentStatus.FAILED.value, error[:500], now
    await append_event(
        session,
        order_id=order_id,
        type="SHIPMENT_FAILED",
        actor=SYSTEM,
        at=now,
        data={"shipment": str(shipment.id), "carrier": shipment.carrier, "error": error[:500]},
    )
    return shipment


TRACKED = frozenset({ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED, ShipmentStatus.FAILED})


async def tracking_update(
    session: AsyncSession, *, carrier: str, tracking_number: str, status: ShipmentStatus
) -> Shipment:
    """A carrier's news about a parcel. IN_TRANSIT on a booked shipment is the handover (as shipFulfilment);
    DELIVERED delivers the fulfilment; FAILED marks the delivery failed. Repeats change nothing."""
    shipment_id = await session.scalar(
        select(Shipment.id).where(Shipment.carrier == carrier, Shipment.tracking_number == tracking_number)
    )
    found = await _locked(session, shipment_id) if shipment_id is not None else None
    if found is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["trackingNumber"], f"no {carrier} shipment {tracking_number!r}")
    shipment, order_id = found
    current = ShipmentStatus(shipment.status)
    if status is current:
        return shipment
    carrier_key = Principal(key_id=uuid.UUID(int=0), name=f"carrier:{carrier}", role=Role.ADMIN)
    if status in (ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED) and current is ShipmentStatus.BOOKED:
        await fulfilment_work.ship(session, fulfilment_id=shipment.fulfilment_id, principal=carrier_key)
        current = ShipmentStatus(shipment.status)
    if status is ShipmentStatus.DELIVERED and current is ShipmentStatus.IN_TRANSIT:
        shipment.status, shipment.updated_at = ShipmentStatus.DELIVERED.value, utcnow()
        await fulfilment_work.deliver(session, fulfilment_id=shipment.fulfilment_id, principal=carrier_key)
    elif status is ShipmentStatus.FAILED and current in (ShipmentStatus.BOOKED, ShipmentStatus.IN_TRANSIT):
        now = utcnow()
        shipment.status, shipment.error, shipment.updated_at = status.value, "the carrier could not deliver", now
        await append_event(
            session,
            order_id=order_id,
            type="SHIPMENT_FAILED",
            actor=carrier_key.name,
            at=now,
            data={"shipment": str(shipment.id), "carrier": carrier, "trackingNumber": tracking_number},
        )
    elif ShipmentStatus(shipment.status) is not status:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            ["status"],
            f"shipment {tracking_number} is {current.value}, not {status.value}",
        )
    return shipment


async def _locked(session: AsyncSession, shipment_id: uuid.UUID) -> tuple[Shipment, uuid.UUID] | None:
    """The shipment, with its order locked first (the lock order of every order change)."""
    order_id = await session.scalar(
        select(Fulfilment.order_id)
        .join(Shipment, Shipment.fulfilment_id == Fulfilment.id)
        .where(Shipment.id == shipment_id)
    )
    if order_id is None:
        return None
    await session.execute(select(Order.id).where(Order.id == order_id).with_for_update())
    shipment = await session.scalar(select(Shipment).where(Shipment.id == shipment_id).with_for_update())
    assert shipment is not None
    return shipment, order_id
