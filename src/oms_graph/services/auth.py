"""API keys: create, list, revoke and rotate them, and find the principal behind a presented key."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.engine import Database
from oms_graph.db.models import ApiKey, Channel, Location
from oms_graph.domain.access import SCOPE_OF_ROLE, KeyStatus, Principal, Role, key_status
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.services import audit

log = logging.getLogger(__name__)
KEY_PREFIX = "oms_"
MAX_NOTE = 500
DEFAULT_GRACE = timedelta(hours=24)  # how long a rotated key keeps working beside its successor
MAX_GRACE = timedelta(days=30)


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
    expires_at: datetime | None = None,
    note: str | None = None,
    created_by: str = "cli",
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
        errors.add(ErrorCode.INVALID_INPUT, ["channel"], "a STOREFRONT key needs a channel")
    if scope == "location" and location_code is None:
        errors.add(ErrorCode.INVALID_INPUT, ["location"], "a STORE key needs a location")
    if expires_at is not None and expires_at <= utcnow():
        errors.add(ErrorCode.INVALID_INPUT, ["expiresAt"], "the expiry must be in the future")
    if note is not None and len(note) > MAX_NOTE:
        errors.add(ErrorCode.INVALID_INPUT, ["note"], f"at most {MAX_NOTE} characters")
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
    now = utcnow()
    key = ApiKey(
        name=name.strip(),
        role=role.value,
        channel_id=channel_id,
        location_id=location_id,
        key_hash=hash_key(secret),
        prefix=secret[:12],
        created_at=now,
        changed_at=now,
        expires_at=expires_at,
        note=(note or "").strip() or None,
        created_by=created_by,
    )
    session.add(key)
    await session.flush()
    await audit.record(session, [audit.changed("ApiKey", str(key.id), None, _audited(key))])
    return key, secret


def _audited(key: ApiKey) -> dict[str, Any]:
    """What the audit trail shows of a key: never its secret nor its hash."""
    return {
        "name": key.name,
        "role": key.role,
        "channelId": key.channel_id,
        "locationId": key.location_id,
        "prefix": key.prefix,
        "expiresAt": key.expires_at,
        "revokedAt": key.revoked_at,
        "note": key.note,
        "replacedBy": key.replaced_by_id,
    }


@dataclass(frozen=True)
class KeyView:
    """A key as listed: never its secret, only the first characters that tell keys apart."""

    key: ApiKey
    channel_code: str | None
    location_code: str | None

    @property
    def status(self) -> KeyStatus:
        return key_status(revoked_at=self.key.revoked_at, expires_at=self.key.expires_at, now=utcnow())


async def list_api_keys(
    session: AsyncSession, *, include_ended: bool = True, ids: list[uuid.UUID] | None = None
) -> list[KeyView]:
    """Every key (or those of `ids`), oldest first; without `include_ended`, only the ones that still work."""
    query = (
        select(ApiKey, Channel.code, Location.code)
        .outerjoin(Channel, Channel.id == ApiKey.channel_id)
        .outerjoin(Location, Location.id == ApiKey.location_id)
        .order_by(ApiKey.created_at, ApiKey.id)
    )
    rows = await session.execute(query if ids is None else query.where(ApiKey.id.in_(ids)))
    views = [KeyView(key, channel, location) for key, channel, location in rows]
    return views if include_ended else [v for v in views if v.status is KeyStatus.ACTIVE]


async def _key_locked(session: AsyncSession, key_id: uuid.UUID) -> ApiKey:
    key = await session.scalar(select(ApiKey).where(ApiKey.id == key_id).with_for_update())
    if key is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], f"no API key with id {key_id}")
    return key


async def revoke_api_key(session: AsyncSession, *, key_id: uuid.UUID) -> ApiKey:
    """The key stops working in every API process within a second (`KeyRing.watch`), and the subscriptions
    opened with it end; revoking a revoked key changes nothing."""
    key = await _key_locked(session, key_id)
    if key.revoked_at is None:
        before = _audited(key)
        key.revoked_at = key.changed_at = utcnow()
        await audit.record(session, [audit.changed("ApiKey", str(key.id), before, _audited(key))])
    return key


async def rotate_api_key(
    session: AsyncSession,
    *,
    key_id: uuid.UUID,
    grace_seconds: int = int(DEFAULT_GRACE.total_seconds()),
    created_by: str = "cli",
) -> tuple[ApiKey, ApiKey, str]:
    """A new key with the old one's name, role, scope and note; the old key keeps working for `grace_seconds`, then
    expires (sooner when it was to expire sooner). (old, new, the new secret)."""
    if not 0 <= grace_seconds <= MAX_GRACE.total_seconds():
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["graceSeconds"], f"from 0 to {MAX_GRACE.days} days")
    grace = timedelta(seconds=grace_seconds)
    old = await _key_locked(session, key_id)
    now = utcnow()
    if key_status(revoked_at=old.revoked_at, expires_at=old.expires_at, now=now) is not KeyStatus.ACTIVE:
        raise DomainError.one(ErrorCode.INVALID_TRANSITION, ["id"], "only a key that still works can be rotated")
    if old.replaced_by_id is not None:
        raise DomainError.one(ErrorCode.INVALID_TRANSITION, ["id"], "this key was rotated already")
    new = ApiKey(
        name=old.name,
        role=old.role,
        channel_id=old.channel_id,
        location_id=old.location_id,
        expires_at=None,
        note=old.note,
        created_by=created_by,
        created_at=now,
        changed_at=now,
    )
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    new.key_hash, new.prefix = hash_key(secret), secret[:12]
    session.add(new)
    await session.flush()
    before = _audited(old)
    end = now + grace
    old.expires_at = end if old.expires_at is None else min(old.expires_at, end)
    old.replaced_by_id, old.changed_at = new.id, now
    await audit.record(
        session,
        [
            audit.changed("ApiKey", str(new.id), None, _audited(new)),
            audit.changed("ApiKey", str(old.id), before, _audited(old)),
        ],
    )
    return old, new, secret


async def revoke_api_keys(session: AsyncSession, *, name: str) -> int:
    """Revoke every live key of that name; how many were revoked."""
    keys = list(await session.scalars(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))))
    for key in keys:
        before = _audited(key)
        key.revoked_at = key.changed_at = utcnow()
        await audit.record(session, [audit.changed("ApiKey", str(key.id), before, _audited(key))])
    return len(keys)


Closer = Callable[[], Awaitable[None]]

_CHANGED = select(ApiKey.id, ApiKey.key_hash, ApiKey.revoked_at, ApiKey.expires_at, ApiKey.changed_at).where(
    ApiKey.changed_at > bindparam("b_since")
)
_KEYS = cast(Table, ApiKey.__table__)
_USED = update(_KEYS).where(_KEYS.c.id == bindparam("b_id")).values(last_used_at=bindparam("b_at"))


class KeyRing:
    """Finds the principal of a presented key, remembering answers for `ttl` seconds (one round trip spared
    per request), and keeps that memory true: `watch` looks each `poll` seconds for keys revoked, rotated or
    given another expiry, forgets them, and closes the WebSocket connections opened with a key that no
    longer works. It also writes when each key was last used, at most once per `used_every` seconds."""

    OVERLAP = timedelta(seconds=5)  # a change committed late with an earlier time is still seen

    def __init__(
        self,
        db: Database,
        *,
        ttl: float = 5.0,
        poll: float = 1.0,
        used_every: float = 60.0,
        max_entries: int = 10_000,
    ) -> None:
        self._db = db
        self._ttl = ttl
        self._poll = poll
        self._used_every = used_every
        self._max = max_entries
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._used: dict[uuid.UUID, datetime] = {}  # last uses not yet written
        self._written: dict[uuid.UUID, float] = {}  # when each key's last use was last written (monotonic)
        self._sockets: dict[uuid.UUID, dict[int, tuple[Principal, Closer]]] = {}
        self._since: datetime | None = None

    async def principal(self, secret: str) -> Principal | None:
        digest = hash_key(secret)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            found = hit[1]
        else:
            async with self._db.read() as session:
                found = await _principal_by_hash(session, digest)
            if len(self._cache) >= self._max:
                self._cache.clear()
            self._cache[digest] = (now + self._ttl, found)
        if found is None:
            return None
        at = utcnow()
        if not found.works_at(at):
            return None
        if now - self._written.get(found.key_id, -self._used_every) >= self._used_every:
            self._used[found.key_id] = at
        return found

    def hold(self, principal: Principal, close: Closer) -> Callable[[], None]:
        """Close a connection (by `close`) when its key stops working; the returned function forgets it."""
        token = id(close)
        self._sockets.setdefault(principal.key_id, {})[token] = (principal, close)

        def forget() -> None:
            held = self._sockets.get(principal.key_id)
            if held is not None:
                held.pop(token, None)
                if not held:
                    del self._sockets[principal.key_id]

        return forget

    async def watch(self) -> None:
        """Every `poll` seconds, `refresh`; a database away is tried again a second later."""
        while True:
            await asyncio.sleep(self._poll)
            try:
                await self.refresh()
            except Exception as error:  # the database is away, or a connection broke: next time
                log.warning("API keys not refreshed: %s", str(error).splitlines()[0] if str(error) else error)

    async def refresh(self) -> None:
        """Forget keys changed since the last look and close the connections of keys that no longer work;
        then write the last uses due."""
        since = self._since or utcnow()
        async with self._db.read() as session:
            changed = (await session.execute(_CHANGED, {"b_since": since - self.OVERLAP})).all()
        self._since = max([since, *(row.changed_at for row in changed)])
        ended: list[Closer] = []
        at = utcnow()
        for row in changed:
            self._cache.pop(row.key_hash, None)
            works = key_status(revoked_at=row.revoked_at, expires_at=row.expires_at, now=at) is KeyStatus.ACTIVE
            for principal, close in list(self._sockets.get(row.id, {}).values()):
                if works:  # another expiry: kept with the connection
                    self._replace(principal, close, row.expires_at)
                else:
                    ended.append(close)
        for held in self._sockets.values():  # expiries reached
            ended.extend(close for principal, close in held.values() if not principal.works_at(at))
        for close in ended:
            await _quietly(close)
        await self._write_uses()

    async def _write_uses(self) -> None:
        used, self._used = self._used, {}
        if not used:
            return
        try:
            async with self._db.write() as session:
                await session.execute(_USED, [{"b_id": key, "b_at": at} for key, at in used.items()])
        except Exception:
            self._used = used | self._used  # written next time
            raise
        now = time.monotonic()
        if len(self._written) > self._max:
            self._written.clear()
        self._written.update(dict.fromkeys(used, now))

    def _replace(self, principal: Principal, close: Closer, expires_at: datetime | None) -> None:
        held = self._sockets[principal.key_id]
        held[id(close)] = (replace(principal, expires_at=expires_at), close)


async def _quietly(close: Closer) -> None:
    try:
        await close()
    except Exception:  # the socket went on its own meanwhile
        log.debug("closing a connection of an ended key failed", exc_info=True)


_BY_HASH = (
    select(ApiKey, Channel.code, Location.code)
    .outerjoin(Channel, Channel.id == ApiKey.channel_id)
    .outerjoin(Location, Location.id == ApiKey.location_id)
    .where(ApiKey.key_hash == bindparam("b_hash"), ApiKey.revoked_at.is_(None))
)


async def _principal_by_hash(session: AsyncSession, digest: str) -> Principal | None:
    row: Any = (await session.execute(_BY_HASH, {"b_hash": digest})).first()
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
        expires_at=key.expires_at,
    )
