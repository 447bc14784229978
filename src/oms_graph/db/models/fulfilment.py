"""Fulfilments: the part of an order one location fulfils, and its lines."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, created_at, updated_at, uuid_pk


class Fulfilment(Base):
    __tablename__ = "fulfilments"
    __table_args__ = (
        Index("ix_fulfilments_location_status", "location_id", "status"),
        Index("ix_fulfilments_location_created", "location_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"))
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))
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
