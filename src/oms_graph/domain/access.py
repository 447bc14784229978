"""Roles, scopes and who may do what: pure rules, no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "ADMIN"
    INTEGRATION = "INTEGRATION"
    STOREFRONT = "STOREFRONT"
    STORE = "STORE"
    ANALYST = "ANALYST"


SCOPE_OF_ROLE = {Role.STOREFRONT: "channel", Role.STORE: "location"}


class KeyStatus(StrEnum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


def key_status(*, revoked_at: datetime | None, expires_at: datetime | None, now: datetime) -> KeyStatus:
    """A key works until it is revoked or its expiry (a rotated key's grace period ends at its expiry)."""
    if revoked_at is not None:
        return KeyStatus.REVOKED
    if expires_at is not None and expires_at <= now:
        return KeyStatus.EXPIRED
    return KeyStatus.ACTIVE


@dataclass(frozen=True)
class Principal:
    """The caller behind an API key."""

    key_id: uuid.UUID
    name: str
    role: Role
    channel_id: uuid.UUID | None = None
    channel_code: str | None = None
    location_id: uuid.UUID | None = None
    location_code: str | None = None
    expires_at: datetime | None = None  # the key stops working then

    def works_at(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at

    def has_role(self, *roles: Role) -> bool:
        return self.role is Role.ADMIN or self.role in roles

    def may_use_channel(self, code: str) -> bool:
        return self.role is not Role.STOREFRONT or self.channel_code == code

    def may_use_location(self, code: str) -> bool:
        return self.role is not Role.STORE or self.location_code == code
