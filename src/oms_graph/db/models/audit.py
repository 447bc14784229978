"""The audit trail: who changed master data, stock, routing, keys, webhooks or settings, and the values
before and after (services/audit.py writes it in the change's own transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, PortableJSON


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))  # a key's name, "cli", or "system"
    action: Mapped[str] = mapped_column(String(20))  # CREATED, UPDATED, DELETED
    entity: Mapped[str] = mapped_column(String(50))  # Channel, Location, Product, StockLevel, RoutingProfile, …
    key: Mapped[str] = mapped_column(String(300))  # the entity's code, sku@location, or id
    before: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_entity_key", "entity", "key"),
    )
