"""Outgoing webhooks: endpoints other systems registered, and each event's delivery to each of them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, PortableJSON, created_at, updated_at, uuid_pk


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = uuid_pk()
    url: Mapped[str] = mapped_column(String(2000))
    # Event types it wants (ORDER_PLACED, FULFILMENT_SHIPPED, …); empty: every event.
    event_types: Mapped[list[str]] = mapped_column(PortableJSON)
    secret: Mapped[str] = mapped_column(String(1000))  # sealed (adapters/sealing.py), never in clear
    active: Mapped[bool] = mapped_column(default=True)
    # Deliveries failed in a row; at the limit the endpoint is switched off (active false, disabled_at).
    failures: Mapped[int] = mapped_column(default=0)
    disabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class WebhookDelivery(Base):
    """One event to one endpoint: made once (unique), tried until delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    event_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    response_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at()
    delivered_at: Mapped[datetime | None]


class AvailabilityCursor(Base):
    """Where an endpoint's AVAILABILITY_CHANGED deliveries stand: changes after this mark are still to go."""

    __tablename__ = "availability_cursors"

    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id"), primary_key=True)
    level_mark: Mapped[datetime]
    position: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))


class AvailabilitySent(Base):
    """The figure last delivered to an endpoint per channel and sku: only a different one is sent again."""

    __tablename__ = "availability_sent"

    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id"), primary_key=True)
    channel_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    figure: Mapped[int]
