"""Stock per (sku, location) and the ledger of every change to it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, utcnow


class StockLevel(Base):
    """Counters changed only by conditional SQL; CHECKs keep them non-negative."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_non_negative"),
        CheckConstraint("reserved >= 0", name="reserved_non_negative"),
        CheckConstraint("safety_stock >= 0", name="safety_stock_non_negative"),
        CheckConstraint("routed >= 0 AND routed <= reserved", name="routed_within_reserved"),
        CheckConstraint("in_transit >= 0", name="in_transit_non_negative"),
        Index("ix_stock_levels_location_sku", "location_id", "sku"),
        Index("ix_stock_levels_updated_at", "updated_at"),  # what stockChanged subscribers look at
    )

    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), primary_key=True)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    safety_stock: Mapped[int] = mapped_column(default=0)
    # The part of `reserved` that routing took from the sku's network promise (delivery orders routed
    # here); the rest of `reserved` is pickup orders. Routing moves units from the promise to a location
    # by raising `reserved` and `routed` together, which leaves availableToPromise as it was (see
    # Product.promised) and so never touches the product row every placement of the sku locks.
    routed: Mapped[int] = mapped_column(default=0, server_default="0")
    # Units shipped to this location by transfers and not yet received: not in onHand, never available, and
    # not touched by a count here (they are not on the shelf to count).
    in_transit: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the last count applied here was taken: an older count changes nothing (it is stale).
    counted_at: Mapped[datetime | None]


class StockMovement(Base):
    """Append-only ledger: one row per change of a stock level, in the same transaction."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        Index("ix_stock_movements_sku_location_at", "sku", "location_id", "at"),
        # A movement sent from outside with its id applies once per location and source.
        Index("ux_stock_movements_location_source_movement", "location_id", "source", "movement_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"))
    delta: Mapped[int]
    on_hand_after: Mapped[int]
    safety_stock_after: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    counted: Mapped[int | None]  # a count's counted figure (on_hand_after is what it came to)
    source: Mapped[str | None] = mapped_column(String(200))  # who sent a movement with an id
    movement_id: Mapped[str | None] = mapped_column(String(200))
