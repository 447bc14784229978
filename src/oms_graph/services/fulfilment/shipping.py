"""Shipments: booked with their carrier in the background after packing, never twice.

The booking actor reads what to book (`booking_request`), calls the carrier outside any transaction
with the shipment's id as idempotency key, and records the answer (`booked`) only while the shipment
is still BOOKING; a cancelled or already booked shipment is left alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.adapters.carriers import Booking, Parcel, ShipmentRequest, documents
from oms_graph.db.models import Fulfilment, FulfilmentLine, Location, Order, OrderLine, Shipment
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.fulfilment import FulfilmentStatus, ShipmentStatus
from oms_graph.services.fulfilment import transitions as fulfilment_work
from oms_graph.services.fulfilment.allocation import shipment_moved
from oms_graph.services.orders.locking import lock_order_of_shipment
from oms_graph.services.returns import lifecycle as returns

SYSTEM = "system"


@dataclass(frozen=True)
class ToBook:
    carrier: str
    request: ShipmentRequest


# A shipment with what its booking needs: the order's address and customer, the location it leaves.
_TO_BOOK = (
    select(Shipment, Order.delivery_address, Order.customer, Order.external_id, Location)
    .join(Fulfilment, Fulfilment.id == Shipment.fulfilment_id)
    .join(Order, Order.id == Fulfilment.order_id)
    .join(Location, Location.id == Fulfilment.location_id)
    .where(Shipment.id == bindparam("b_shipment"))
)
_SHIPMENT_LOCKED = select(Shipment).where(Shipment.id == bindparam("b_shipment")).with_for_update()


async def booking_request(session: AsyncSession, *, shipment_id: uuid.UUID) -> ToBook | None:
    """What to ask the carrier for a BOOKING shipment; None for any other (nothing to do)."""
    row = (await session.execute(_TO_BOOK, {"b_shipment": shipment_id})).first()
    if row is None or row.Shipment.status != ShipmentStatus.BOOKING:
        return None
    shipment, address, customer, reference, location = row
    sender = {"name": location.name, "code": location.code, "region": location.region}
    recipient = {
        **(address or {}),
        "name": (address or {}).get("name") or (customer or {}).get("name"),
        "phone": (customer or {}).get("phone"),
        "email": (customer or {}).get("email"),
    }
    request = ShipmentRequest(
        key=str(shipment.id),
        service=shipment.service,
        sender=sender,
        recipient=recipient,
        parcels=tuple(Parcel(grams) for grams in shipment.weights_grams),
        reference=reference,
    )
    return ToBook(shipment.carrier, request)


async def to_cancel(session: AsyncSession, *, shipment_id: uuid.UUID) -> tuple[str, str] | None:
    """(carrier, tracking number) of a cancelled shipment the carrier had booked; None otherwise."""
    row = (
        await session.execute(
            select(Shipment.carrier, Shipment.tracking_number, Shipment.status).where(Shipment.id == shipment_id)
        )
    ).first()
    if row is None or row.status != ShipmentStatus.CANCELLED or row.tracking_number is None:
        return None
    return row.carrier, row.tracking_number


async def order_of(session: AsyncSession, *, shipment_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(
        select(Fulfilment.order_id)
        .join(Shipment, Shipment.fulfilment_id == Fulfilment.id)
        .where(Shipment.id == shipment_id)
    )


async def booked(session: AsyncSession, *, shipment_id: uuid.UUID, booking: Booking) -> Shipment | None:
    """Record the carrier's booking (BOOKED, tracking number) if the shipment still waits for it."""
    found = await _locked(session, shipment_id)
    if found is None or found[0].status != ShipmentStatus.BOOKING:
        return found[0] if found else None
    shipment, order_id = found
    shipment.tracking_number = booking.tracking_number
    shipment.service = booking.service or shipment.service
    shipment.label_pdf, shipment.waybill_pdf = booking.label, booking.waybill
    await shipment_moved(session, shipment, order_id, ShipmentStatus.BOOKED, SYSTEM)
    return shipment


async def booking_failed(session: AsyncSession, *, shipment_id: uuid.UUID, error: str) -> Shipment | None:
    """The carrier would not book it (after the last retry, or refused outright): FAILED, with an event."""
    found = await _locked(session, shipment_id)
    if found is None or found[0].status != ShipmentStatus.BOOKING:
        return found[0] if found else None
    shipment, order_id = found
    shipment.error = error[:500]
    await shipment_moved(session, shipment, order_id, ShipmentStatus.FAILED, SYSTEM, data={"error": shipment.error})
    return shipment


TRACKED = frozenset({ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED, ShipmentStatus.FAILED})


async def on_the_way(session: AsyncSession, *, carrier: str, first: int) -> list[str]:
    """The tracking numbers of the carrier's shipments not yet delivered (booked or in transit), oldest first."""
    stmt = (
        select(Shipment.tracking_number)
        .where(
            Shipment.carrier == carrier,
            Shipment.tracking_number.is_not(None),
            Shipment.status.in_([ShipmentStatus.BOOKED.value, ShipmentStatus.IN_TRANSIT.value]),
        )
        .order_by(Shipment.created_at)
        .limit(first)
    )
    return [str(number) for number in await session.scalars(stmt)]


async def tracking_update(
    session: AsyncSession, *, carrier: str, tracking_number: str, status: ShipmentStatus
) -> Shipment:
    """A carrier's news about a parcel. IN_TRANSIT on a booked shipment is the handover (as shipFulfilment);
    DELIVERED delivers the fulfilment; FAILED marks the delivery failed, and after the handover opens a
    return of the parcel's units (it travels back). Repeats change nothing."""
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
        await fulfilment_work.deliver(session, fulfilment_id=shipment.fulfilment_id, principal=carrier_key)
        await shipment_moved(session, shipment, order_id, status, carrier_key.name)
    elif status is ShipmentStatus.FAILED and current in (ShipmentStatus.BOOKED, ShipmentStatus.IN_TRANSIT):
        shipment.error = "the carrier could not deliver"
        await shipment_moved(session, shipment, order_id, status, carrier_key.name, data={"error": shipment.error})
        if current is ShipmentStatus.IN_TRANSIT:  # handed over: the parcel comes back as a return
            order = await session.get_one(Order, order_id)
            await returns.return_to_sender(
                session, order=order, fulfilment_id=shipment.fulfilment_id, actor=carrier_key.name
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
    order_id = await lock_order_of_shipment(session, shipment_id=shipment_id)
    if order_id is None:
        return None
    shipment = await session.scalar(_SHIPMENT_LOCKED, {"b_shipment": shipment_id})
    assert shipment is not None
    return shipment, order_id


# ------------------------------------------------------------------------------------------ documents

DOCUMENT_ROLES = frozenset({Role.ADMIN, Role.INTEGRATION, Role.STORE})
HANDED_OVER = frozenset({ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED})


def _may_print(principal: Principal, location_code: str) -> None:
    if principal.role not in DOCUMENT_ROLES or not principal.may_use_location(location_code):
        raise DomainError.one(ErrorCode.PERMISSION_DENIED, ["id"], "shipping documents are for the location's keys")


def _address_of(address: dict[str, Any] | None, customer: dict[str, Any] | None) -> documents.Address:
    a = address or {}
    city = " ".join(p for p in (a.get("postalCode"), a.get("city")) if p)
    lines = tuple(p for p in (a.get("line1"), city, a.get("region"), a.get("country")) if p)
    return documents.Address(name=a.get("name") or (customer or {}).get("name") or "", lines=lines)


def location_address(location: Location) -> documents.Address:
    return documents.Address(name=location.name, lines=(location.code, location.region))


async def label_pdf(session: AsyncSession, *, shipment_id: uuid.UUID, principal: Principal) -> bytes:
    """A booked shipment's label; NOT_FOUND before it is booked (there is no tracking number yet)."""
    row = (
        await session.execute(
            select(Shipment, Order, Location)
            .join(Fulfilment, Fulfilment.id == Shipment.fulfilment_id)
            .join(Order, Order.id == Fulfilment.order_id)
            .join(Location, Location.id == Fulfilment.location_id)
            .where(Shipment.id == shipment_id)
        )
    ).first()
    if row is None or row.Shipment.tracking_number is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no booked shipment with this id")
    shipment, order, location = row
    _may_print(principal, location.code)
    issued = await session.scalar(select(Shipment.label_pdf).where(Shipment.id == shipment_id))
    if issued is not None:  # the carrier's own label (not loaded with the shipment: it is deferred)
        return bytes(issued)
    return documents.label(
        documents.LabelInfo(
            carrier=shipment.carrier,
            service=shipment.service,
            tracking_number=str(shipment.tracking_number),
            order_number=order.number,
            parcels=shipment.parcels,
            weight_grams=sum(shipment.weights_grams),
            sender=location_address(location),
            recipient=_address_of(order.delivery_address, order.customer),
        )
    )


async def waybill_pdf(session: AsyncSession, *, shipment_id: uuid.UUID, principal: Principal) -> bytes:
    """The waybill the carrier issued for a booked shipment; NOT_FOUND where it issued none."""
    row = (
        await session.execute(
            select(Shipment.waybill_pdf, Location.code)
            .join(Fulfilment, Fulfilment.id == Shipment.fulfilment_id)
            .join(Location, Location.id == Fulfilment.location_id)
            .where(Shipment.id == shipment_id)
        )
    ).first()
    if row is None or row.waybill_pdf is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no waybill for this shipment")
    _may_print(principal, row.code)
    return bytes(row.waybill_pdf)


async def packing_slip_pdf(session: AsyncSession, *, fulfilment_id: uuid.UUID, principal: Principal) -> bytes:
    row = (
        await session.execute(
            select(Fulfilment, Order, Location)
            .join(Order, Order.id == Fulfilment.order_id)
            .join(Location, Location.id == Fulfilment.location_id)
            .where(Fulfilment.id == fulfilment_id)
        )
    ).first()
    if row is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such fulfilment")
    fulfilment, order, location = row
    _may_print(principal, location.code)
    names = dict(
        (await session.execute(select(OrderLine.sku, OrderLine.name).where(OrderLine.order_id == order.id))).all()
    )
    lines = await session.scalars(
        select(FulfilmentLine).where(FulfilmentLine.fulfilment_id == fulfilment.id).order_by(FulfilmentLine.sku)
    )
    slip = [
        documents.SlipLine(
            line.sku, names.get(line.sku, ""), line.quantity if line.quantity_picked is None else line.quantity_picked
        )
        for line in lines
    ]
    recipient = _address_of(order.delivery_address, order.customer)
    return documents.packing_slip(order.number, f"{location.name} ({location.code})", recipient, slip)


async def manifest_pdf(
    session: AsyncSession, *, location_code: str, carrier: str, day: date, principal: Principal
) -> bytes:
    """The shipments a location handed to a carrier on a day (UTC), for the driver's signature."""
    _may_print(principal, location_code)
    location = await session.scalar(select(Location).where(Location.code == location_code))
    if location is None:
        raise DomainError.one(ErrorCode.UNKNOWN_LOCATION, ["locationCode"], f"no location with code {location_code!r}")
    start = datetime.combine(day, time(), tzinfo=UTC)
    rows = await session.execute(
        select(Shipment, Order.number)
        .join(Fulfilment, Fulfilment.id == Shipment.fulfilment_id)
        .join(Order, Order.id == Fulfilment.order_id)
        .where(
            Fulfilment.location_id == location.id,
            Shipment.carrier == carrier,
            Shipment.status.in_([s.value for s in HANDED_OVER]),
            Fulfilment.updated_at >= start,
            Fulfilment.updated_at < start + timedelta(days=1),
            Fulfilment.status.in_([FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED]),
        )
        .order_by(Shipment.tracking_number)
    )
    listed = [
        documents.ManifestRow(s.tracking_number or "", number, s.parcels, sum(s.weights_grams)) for s, number in rows
    ]
    return documents.manifest(f"{location.name} ({location.code})", carrier, day, listed)
