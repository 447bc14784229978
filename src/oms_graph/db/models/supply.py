"""Inbound supply: purchase orders and advance shipping notices, per location and sku, due on a date."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, Choice, created_at, updated_at, uuid_pk
from oms_graph.domain.supply import SupplyKind, SupplyStatus


class InboundSupply(Base):
    """Units of a sku due at a location: `quantity` expected in all, `quantity_received` arrived (onHand
    there); the rest is still to come while OPEN."""

    __tablename__ = "inbound_supply"
    __table_args__ = (
        CheckConstraint("quantity >= 0 AND quantity_received >= 0", name="quantities_non_negative"),
        CheckConstraint("quantity_received <= quantity", name="received_within_quantity"),
        Index("ix_inbound_supply_sku_status_expected", "sku", "status", "expected_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[SupplyKind] = mapped_column(Choice(SupplyKind, 32))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"), index=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    quantity: Mapped[int]
    quantity_received: Mapped[int] = mapped_column(default=0, server_default="0")
    expected_at: Mapped[datetime]
    status: Mapped[SupplyStatus] = mapped_column(Choice(SupplyStatus, 16))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
