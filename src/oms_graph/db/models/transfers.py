"""Transfers: stock sent from one location to another, their lines, and how long the road between two
locations takes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, Choice, created_at, updated_at, uuid_pk
from oms_graph.domain.fulfilment import RejectionReason
from oms_graph.domain.transfers import TransferStatus


class Transfer(Base):
    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("from_location_id <> to_location_id", name="two_locations"),
        Index("ix_transfers_from_status", "from_location_id", "status"),
        Index("ix_transfers_to_status", "to_location_id", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    from_location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"))
    status: Mapped[TransferStatus] = mapped_column(Choice(TransferStatus, 24))
    reason: Mapped[str] = mapped_column(String(200))
    # Ship-to-store: the pickup order whose units it brings, and the pickup fulfilment that waits for them.
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)
    fulfilment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("fulfilments.id"), index=True)
    rejection_reason: Mapped[RejectionReason | None] = mapped_column(Choice(RejectionReason, 16))
    note: Mapped[str | None] = mapped_column(String(500))
    # When it should be on the destination's shelf (the transit time of the pair, from its request).
    expected_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class TransferLine(Base):
    """A sku's units: asked for, picked (what ships), received sellable and damaged (the rest never came)."""

    __tablename__ = "transfer_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "quantity_picked IS NULL OR quantity_picked BETWEEN 0 AND quantity", name="picked_within_quantity"
        ),
        CheckConstraint(
            "(quantity_received IS NULL) = (quantity_damaged IS NULL) AND "
            "(quantity_received IS NULL OR quantity_received >= 0 AND quantity_damaged >= 0)",
            name="receipt_non_negative",
        ),
        Index("ix_transfer_lines_transfer_sku", "transfer_id", "sku", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfers.id"))
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    quantity: Mapped[int]
    quantity_picked: Mapped[int | None]
    quantity_received: Mapped[int | None]
    quantity_damaged: Mapped[int | None]


class TransitTime(Base):
    """How long a transfer from one location to another takes (request to shelf), where it is known; other
    pairs take `domain.transfers.default_transit` of their distance."""

    __tablename__ = "transit_times"
    __table_args__ = (CheckConstraint("hours > 0", name="hours_positive"),)

    from_location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    to_location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    hours: Mapped[int]
    updated_at: Mapped[datetime] = updated_at()
