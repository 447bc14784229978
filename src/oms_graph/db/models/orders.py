"""Orders, their lines, and their event log (the outbox)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, Choice, PortableJSON, created_at, updated_at, utcnow, uuid_pk
from oms_graph.domain.events import EventType
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus, PaymentMethod, PaymentStatus

Money = Numeric(18, 4)
WAITING = text("future_units IS NOT NULL")  # an order with units promised against inbound supply


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("channel_id", "idempotency_key", name="uq_orders_channel_idempotency_key"),
        UniqueConstraint("channel_id", "external_id", name="uq_orders_channel_external_id"),
        Index("ix_orders_channel_created", "channel_id", "created_at"),
        # Orders placed in a range, and how long they took to leave (analytics reads the index alone).
        Index("ix_orders_created_fulfilled", "created_at", "fulfilled_at"),
        Index("ix_orders_status_seq", "status", "seq"),  # the orders waiting for routing, oldest first
        # the orders with units promised against inbound supply, oldest first (a few among many)
        Index("ix_orders_awaiting_supply", "seq", postgresql_where=WAITING, sqlite_where=WAITING),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # From a sequence (PostgreSQL) or max + 1 (SQLite, one writer); `number` is the channel prefix and it.
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[OrderStatus] = mapped_column(Choice(OrderStatus, 24))
    hold_reason: Mapped[str | None] = mapped_column(String(500))
    customer: Mapped[dict[str, Any]]
    customer_email: Mapped[str | None] = mapped_column(String(320), index=True)
    delivery_method: Mapped[FulfilmentMethod] = mapped_column(Choice(FulfilmentMethod, 16))
    delivery_address: Mapped[dict[str, Any] | None]
    pickup_location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("locations.id"), index=True)
    carrier: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(64))
    delivery_price: Mapped[Decimal] = mapped_column(Money)
    payment_method: Mapped[PaymentMethod] = mapped_column(Choice(PaymentMethod, 24))
    payment_provider: Mapped[str | None] = mapped_column(String(64))
    payment_reference: Mapped[str | None] = mapped_column(String(200))
    payment_status: Mapped[PaymentStatus] = mapped_column(Choice(PaymentStatus, 24))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    origin_location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("locations.id"), index=True)
    note: Mapped[str | None] = mapped_column(String(1000))
    # A pickup order's units, per sku, that come to its store by transfer: promised network-wide until
    # routing plans the transfer (then the transfer holds them); empty when the store holds them all.
    transfer_units: Mapped[dict[str, Any] | None]
    # A delivery order's units, per sku, promised against inbound supply (AWAITING_SUPPLY until they are
    # on a shelf), and when that supply is due.
    future_units: Mapped[dict[str, Any] | None]
    supply_due_at: Mapped[datetime | None]
    # A delivery whose address came without coordinates: where it was found, how precisely and by what
    # (domain.geocoding.Geocode.stored); routing ranks locations from there.
    geocode: Mapped[dict[str, Any] | None]
    # The version of its channel's routing strategy that first routed it (None: no strategy, the profile).
    strategy_version: Mapped[int | None]
    # The date the customer was promised (delivered, or ready for pickup): set once, when it is first known
    # (placement against supply, else the first routing); and the date it is expected now (each routing).
    promised_date: Mapped[date | None] = mapped_column(Date)
    expected_date: Mapped[date | None] = mapped_column(Date)
    # The promise sweep: whether it may miss its date now, and every cause it was flagged for (each once).
    at_risk: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    risk_causes: Mapped[list[str] | None] = mapped_column(PortableJSON)
    # Each edit of its lines, delivery or price makes the next version (editOrder's expectedVersion).
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    # The routing decision: the chosen plan, its factors and the alternatives it beat (order.routing).
    routing: Mapped[dict[str, Any] | None]
    # When its last unit left (shipped or collected): the end of its fulfilment time.
    fulfilled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "quantity_cancelled >= 0 AND quantity_shipped >= 0 AND quantity_returned >= 0", name="counts_non_negative"
        ),
        Index("ix_order_lines_order_line_no", "order_id", "line_no", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"))
    line_no: Mapped[int]
    sku: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    quantity_cancelled: Mapped[int] = mapped_column(default=0)
    quantity_shipped: Mapped[int] = mapped_column(default=0)
    quantity_returned: Mapped[int] = mapped_column(default=0)


class OrderEvent(Base):
    """Appended in the same transaction as the change it describes; ids grow, so they order the outbox."""

    __tablename__ = "order_events"
    __table_args__ = (
        Index("ix_order_events_order_id", "order_id", "id"),
        Index("ix_order_events_relayed_at", "relayed_at", "id"),
        Index("ix_order_events_position", "position", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    # An order's event; a transfer's event has the transfer, and the order too when it serves one.
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"))
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("transfers.id"), index=True)
    type: Mapped[EventType] = mapped_column(Choice(EventType, 64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]]
    # Set by the outbox relay once the event was handed to the background actors.
    relayed_at: Mapped[datetime | None]
    # The event's place in the one stream subscribers read, given after commit by the sequencer (one at
    # a time, so positions grow in the order events became visible, with no gap a reader could skip).
    position: Mapped[int | None] = mapped_column(BigInteger)
