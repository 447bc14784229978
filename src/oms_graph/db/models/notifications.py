"""Messages to customers: one per (event, medium), with what became of it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, Choice, created_at, uuid_pk
from oms_graph.domain.notifications import Medium, NotificationStatus


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("event_id", "medium", name="uq_notifications_event_medium"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    event_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    template: Mapped[str] = mapped_column(String(64))
    medium: Mapped[Medium] = mapped_column(Choice(Medium, 16))  # EMAIL, SMS
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[NotificationStatus] = mapped_column(Choice(NotificationStatus, 16))  # PENDING, SENT, FAILED
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at()
    sent_at: Mapped[datetime | None]


class MessageTemplate(Base):
    """A customer message's text set up as data (ADMIN), for an event in a language, for one channel or every
    channel (`scope` '*'); the built-in text stands where there is none."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("event_type", "language", "scope", name="uq_message_templates_key"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    event_type: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(64))  # a channel's code, or '*' for every channel
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(String(200))
