"""Returns: units of an order coming back, received at a location with RETURNS."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, Choice, created_at, updated_at, uuid_pk
from oms_graph.db.models.orders import Money
from oms_graph.domain.returns import ReturnStatus


class Return(Base):
    __tablename__ = "returns"
    __table_args__ = (
        CheckConstraint("refund_amount >= 0", name="refund_non_negative"),
        Index("ix_returns_created_at", "created_at"),  # return reasons over a range
        UniqueConstraint("order_id", "external_id", name="uq_returns_order_external"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    number: Mapped[str] = mapped_column(String(48), unique=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[ReturnStatus] = mapped_column(Choice(ReturnStatus, 16))
    # The channel it was started in (may differ from the order's) and the location that received it.
    channel_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("channels.id"))
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("locations.id"), index=True)
    refund_amount: Mapped[Decimal] = mapped_column(Money, default=0)
    requested_by: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(100))  # a marketplace's own id of the return
    # An exchange: the replacement order it asked for, and the part of the returned units' value that pays for
    # it (kept back from the refund when they are received).
    exchange_order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), index=True, unique=True)
    exchange_credit: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = created_at()
    received_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = updated_at()


class ReturnLine(Base):
    __tablename__ = "return_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("quantity_received >= 0 AND quantity_received <= quantity", name="received_within_quantity"),
        CheckConstraint("quantity_damaged >= 0 AND quantity_damaged <= quantity_received", name="damaged_within"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    return_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("returns.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(500))
    quantity_received: Mapped[int] = mapped_column(default=0)
    # Of the received units, those written off; the rest went back on the shelf.
    quantity_damaged: Mapped[int] = mapped_column(default=0)
