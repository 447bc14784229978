"""Roles, scopes and who may do what: pure rules, no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "ADMIN"
    INTEGRATION = "INTEGRATION"
    STOREFRONT = "STOREFRONT"
    STORE = "STORE"
    ANALYST = "ANALYST"


SCOPE_OF_ROLE = {Role.STOREFRONT: "channel", Role.STORE: "location"}


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

    def has_role(self, *roles: Role) -> bool:
        return self.role is Role.ADMIN or self.role in roles

    def may_use_channel(self, code: str) -> bool:
        return self.role is not Role.STOREFRONT or self.channel_code == code

    def may_use_location(self, code: str) -> bool:
        return self.role is not Role.STORE or self.location_code == code
