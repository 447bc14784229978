"""API keys: create them, and find the principal behind a presented key."""

from __future__ import annotations

import hashlib
import secrets
import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.engine import Database
from oms_graph.db.models import ApiKey, Channel, Location
from oms_graph.domain.access import SCOPE_OF_ROLE, Principal, Role
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList

KEY_PREFIX = "oms_"


def hash_key(secret: str) -> str:
    # Keys are 256 random bits, so a plain SHA-256 is enough: there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_api_key(
    session: AsyncSession,
    *,
    role: Role,
    name: str,
    channel_code: str | None = None,
    location_code: str | None = None,
) -> tuple[ApiKey, str]:
    """A new key for a role (and its scope); the secret is returned once and only its hash is stored."""
    errors = ErrorList()
    scope = SCOPE_OF_ROLE.get(role)
    if not name.strip():
        errors.add(ErrorCode.INVALID_INPUT, ["name"], "a key needs a name")
    if scope != "channel" and channel_code is not None:
        errors.add(ErrorCode.INVALID_INPUT, ["channel"], f"a {role.value} key has no channel")
    if scope != "location" and location_code is not None:
        errors.add(ErrorCode.INVALID_INPUT, ["location"], f"a {role.value} key has no location")
    if scope == "channel" and channel_code is None:
        errors.add(ErrorCode.INVALID_INPUT, ["channel"], "a STOREFRONT key needs --channel")
    if scope == "location" and location_code is None:
        errors.add(ErrorCode.INVALID_INPUT, ["location"], "a STORE key needs --location")
    errors.raise_if_any()
    channel_id = location_id = None
    if channel_code is not None:
        channel_id = await session.scalar(select(Channel.id).where(Channel.code == channel_code))
        if channel_id is None:
            raise DomainError.one(ErrorCode.UNKNOWN_CHANNEL, ["channel"], f"no channel with code {channel_code!r}")
    if location_code is not None:
        location_id = await session.scalar(select(Location.id).where(Location.code == location_code))
        if location_id is None:
            raise DomainError.one(ErrorCode.UNKNOWN_LOCATION, ["location"], f"no location with code {location_code!r}")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name.strip(),
        role=role.value,
        channel_id=channel_id,
        location_id=location_id,
        key_hash=hash_key(secret),
        prefix=secret[:12],
    )
    session.add(key)
    await session.flush()
    return key, secret


async def revoke_api_keys(session: AsyncSession, *, name: str) -> int:
    """Revoke every live key of that name; how many were revoked."""
    keys = list(await session.scalars(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))))
    for key in keys:
        key.revoked_at = utcnow()
    return len(keys)


class KeyRing:
    """Finds the principal of a presented key, remembering answers for a few seconds.

    The cache spares one round trip per request; a revoked key stops working within `ttl`.
    """

    def __init__(self, db: Database, *, ttl: float = 5.0, max_entries: int = 10_000) -> None:
        self._db = db
        self._ttl = ttl
        self._max = max_entries
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def principal(self, secret: str) -> Principal | None:
        digest = hash_key(secret)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        async with self._db.read() as session:
            found = await _principal_by_hash(session, digest)
        if len(self._cache) >= self._max:
            self._cache.clear()
        self._cache[digest] = (now + self._ttl, found)
        return found


async def _principal_by_hash(session: AsyncSession, digest: str) -> Principal | None:
    row = (
        await session.execute(
            select(ApiKey, Channel.code, Location.code)
            .outerjoin(Channel, Channel.id == ApiKey.channel_id)
            .outerjoin(Location, Location.id == ApiKey.location_id)
            .where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
        )
    ).first()
    if row is None:
        return None
    key, channel_code, location_code = row
    return Principal(
        key_id=key.id,
        name=key.name,
        role=Role(key.role),
        channel_id=key.channel_id,
        channel_code=channel_code,
        location_id=key.location_id,
        location_code=location_code,
    )
