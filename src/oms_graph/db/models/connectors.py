"""Connectors set up as data, and the log of every call made through them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, Choice, PortableJSON, created_at, updated_at, uuid_pk
from oms_graph.domain.connectors import ConnectorKind


class Connector(Base):
    __tablename__ = "connectors"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(64), unique=True)  # what a shipment's carrier, a channel names
    kind: Mapped[ConnectorKind] = mapped_column(Choice(ConnectorKind, 16))
    adapter: Mapped[str] = mapped_column(String(32))
    settings: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    # The secrets as one sealed JSON object (adapters/sealing.py): never in clear, never answered.
    secrets: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    last_ok_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_error_at: Mapped[datetime | None]
    # Where a marketplace connector stands between polls (services/marketplaces.py): its cursors.
    state: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class ConnectorCall(Base):
    """One call to a connector's API: what, how it ended, how long it took. No body is kept."""

    __tablename__ = "connector_calls"
    __table_args__ = (Index("ix_connector_calls_connector_at", "connector_id", "at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    connector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("connectors.id"))
    operation: Mapped[str] = mapped_column(String(64))
    ok: Mapped[bool]
    duration_ms: Mapped[int]
    error: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime]
