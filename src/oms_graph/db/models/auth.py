"""API keys: only a hash of the secret is stored."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, Choice, created_at, utcnow, uuid_pk
from oms_graph.domain.access import Role


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Choice(Role, 20))
    channel_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("channels.id"))
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("locations.id"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at()
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]  # written at most once a minute per key (`services.auth.KeyRing`)
    created_by: Mapped[str | None] = mapped_column(String(200))  # a key's name, or "cli"
    note: Mapped[str | None] = mapped_column(String(500))
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id"))  # rotated to that key
    # When revoked_at or expires_at last changed: every API process looks here each second (`KeyRing.watch`).
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (Index("ix_api_keys_changed_at", "changed_at"),)
