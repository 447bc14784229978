"""Fulfilments: the part of an order one location fulfils, and its lines."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, column_property, mapped_column

from oms_graph.db.base import Base, Choice, PortableJSON, created_at, updated_at, uuid_pk
from oms_graph.db.models.orders import Money
from oms_graph.domain.fulfilment import FulfilmentStatus, RejectionReason, ShipmentStatus
from oms_graph.domain.orders import FulfilmentMethod


class Fulfilment(Base):
    __tablename__ = "fulfilments"
    __table_args__ = (
        Index("ix_fulfilments_location_status", "location_id", "status"),
        Index("ix_fulfilments_location_created", "location_id", "created_at"),
        Index("ix_fulfilments_status_created", "status", "created_at"),  # assignments not accepted in time
        Index("ix_fulfilments_status_pickup_expires", "status", "pickup_expires_at"),  # pickups to expire
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"))
    method: Mapped[FulfilmentMethod] = mapped_column(Choice(FulfilmentMethod, 16))
    status: Mapped[FulfilmentStatus] = mapped_column(Choice(FulfilmentStatus, 24))
    rejection_reason: Mapped[RejectionReason | None] = mapped_column(Choice(RejectionReason, 16))
    note: Mapped[str | None] = mapped_column(String(500))
    # Click & collect: the code the customer shows, and when the parcel is ready and until when.
    pickup_code: Mapped[str | None] = mapped_column(String(12))
    pickup_ready_at: Mapped[datetime | None]
    pickup_expires_at: Mapped[datetime | None]
    # When its part should be delivered (or ready for pickup), as routing planned it.
    expected_date: Mapped[date | None] = mapped_column(Date)
    # What the units that left (shipped, collected) are worth: the capture for them.
    value: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Shipment(Base):
    """A delivery fulfilment's parcels with a carrier: booked in the background after packing."""

    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint("parcels > 0", name="parcels_positive"),
        UniqueConstraint("carrier", "tracking_number", name="uq_shipments_carrier_tracking_number"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    fulfilment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fulfilments.id"), unique=True)
    carrier: Mapped[str] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[ShipmentStatus] = mapped_column(Choice(ShipmentStatus, 16))
    parcels: Mapped[int]
    weights_grams: Mapped[list[int]] = mapped_column(PortableJSON)
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(500))
    label_pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # the carrier's own label
    waybill_pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # the carrier's waybill
    # whether it has one, loaded with the row (the PDF itself is not)
    has_waybill: Mapped[bool] = column_property(waybill_pdf.column.is_not(None))  # type: ignore[attr-defined]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class FulfilmentLine(Base):
    __tablename__ = "fulfilment_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    fulfilment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fulfilments.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    quantity_picked: Mapped[int | None]
