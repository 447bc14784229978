"""Connectors as data: saved by ADMIN with their secrets sealed, read back without them, opened only for the
adapter that calls out; every call through one is logged with its timing, and the last outcome is its health."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.adapters.sealing import seal, unseal
from oms_graph.db.base import utcnow
from oms_graph.db.engine import Database
from oms_graph.db.models import Channel, Connector, ConnectorCall
from oms_graph.domain.catalog import check_code
from oms_graph.domain.connectors import ConnectorKind, check_connector
from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.services import audit

log = logging.getLogger(__name__)


class ConnectorFields(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> ConnectorKind: ...
    @property
    def adapter(self) -> str: ...
    @property
    def settings(self) -> Mapping[str, Any]: ...
    @property
    def secrets(self) -> Mapping[str, str] | None: ...  # None or a name left out: the stored one is kept
    @property
    def enabled(self) -> bool: ...


@dataclass(frozen=True)
class Configured:
    """A connector ready for its adapter: the secrets opened (held in memory only, for the call)."""

    id: uuid.UUID
    name: str
    kind: ConnectorKind
    adapter: str
    settings: dict[str, Any]
    secrets: dict[str, str]


@dataclass(frozen=True)
class Call:
    """One call made through a connector, as the adapter's caller saw it."""

    operation: str
    ok: bool
    duration_ms: int
    at: datetime
    error: str | None = None


def secret_names(connector: Connector) -> list[str]:
    """The names of the secrets it holds (their values are never answered)."""
    return sorted(_opened(connector))


def _opened(connector: Connector) -> dict[str, str]:
    return dict(json.loads(unseal(connector.secrets))) if connector.secrets else {}


async def save_connector(session: AsyncSession, *, fields: ConnectorFields) -> Connector:
    """Create or update a connector by name; the whole input or nothing."""
    errors = ErrorList()
    check_code(errors, fields.name, ["input", "name"], what="name")
    found = await session.scalar(select(Connector).where(Connector.name == fields.name).with_for_update())
    kept = _opened(found) if found is not None and found.adapter == fields.adapter else {}
    given = dict(fields.secrets or {})
    for name, value in given.items():
        if not isinstance(value, str) or not value:
            errors.add(ErrorCode.INVALID_INPUT, ["input", "secrets", name], "a secret is a non-empty string")
    check_connector(
        errors,
        kind=fields.kind,
        adapter=fields.adapter,
        settings=fields.settings,
        secrets=given,
        kept_secrets=frozenset(kept),
    )
    channel = fields.settings.get("channel") if fields.kind is ConnectorKind.MARKETPLACE else None
    if isinstance(channel, str) and await session.scalar(select(Channel.id).where(Channel.code == channel)) is None:
        errors.add(ErrorCode.UNKNOWN_CHANNEL, ["input", "settings", "channel"], f"no channel with code {channel!r}")
    errors.raise_if_any()
    now = utcnow()
    merged = {**kept, **given}
    before = _audited(found) if found is not None else None
    if found is None:
        found = Connector(id=uuid.uuid4(), name=fields.name, created_at=now)
        session.add(found)
    found.kind, found.adapter, found.settings = fields.kind, fields.adapter, dict(fields.settings)
    found.secrets = seal(json.dumps(merged, sort_keys=True)) if merged else None
    found.enabled, found.updated_at = fields.enabled, now
    await session.flush()
    await audit.record(session, [audit.changed("Connector", found.name, before, _audited(found))])
    return found


def _audited(connector: Connector) -> dict[str, Any]:
    """What the audit trail keeps of a connector: the secrets by name only."""
    return {
        "kind": connector.kind,
        "adapter": connector.adapter,
        "settings": dict(connector.settings),
        "secrets": secret_names(connector),
        "enabled": connector.enabled,
    }


async def list_connectors(session: AsyncSession, *, kind: ConnectorKind | None = None) -> list[Connector]:
    stmt = select(Connector).order_by(Connector.name)
    if kind is not None:
        stmt = stmt.where(Connector.kind == kind)
    return list(await session.scalars(stmt))


async def configured(session: AsyncSession, *, name: str, kind: ConnectorKind) -> Configured | None:
    """The enabled connector of that name and kind, opened for its adapter; None when there is none."""
    found = await session.scalar(
        select(Connector).where(Connector.name == name, Connector.kind == kind, Connector.enabled.is_(True))
    )
    return None if found is None else opened(found)


async def enabled(session: AsyncSession, *, name: str, kind: ConnectorKind) -> bool:
    """Whether an enabled connector of that name and kind is set up (its secrets left sealed)."""
    stmt = select(Connector.id).where(Connector.name == name, Connector.kind == kind, Connector.enabled.is_(True))
    return await session.scalar(stmt) is not None


def opened(connector: Connector) -> Configured:
    """A connector read already, opened for its adapter."""
    return Configured(
        connector.id, connector.name, connector.kind, connector.adapter, dict(connector.settings), _opened(connector)
    )


async def record_call(session: AsyncSession, *, connector_id: uuid.UUID, call: Call) -> None:
    """Log the call, and keep the connector's last outcome (its health)."""
    session.add(
        ConnectorCall(
            id=uuid.uuid4(),
            connector_id=connector_id,
            operation=call.operation,
            ok=call.ok,
            duration_ms=call.duration_ms,
            error=call.error[:500] if call.error else None,
            at=call.at,
        )
    )
    connector = await session.get(Connector, connector_id, with_for_update=True)
    if connector is None:
        return
    if call.ok:
        connector.last_ok_at = call.at
    else:
        connector.last_error, connector.last_error_at = (call.error or "failed")[:500], call.at


async def recent_calls(session: AsyncSession, *, connector_id: uuid.UUID, first: int) -> list[ConnectorCall]:
    """The connector's calls, newest first."""
    stmt = (
        select(ConnectorCall)
        .where(ConnectorCall.connector_id == connector_id)
        .order_by(ConnectorCall.at.desc(), ConnectorCall.id)
        .limit(first)
    )
    return list(await session.scalars(stmt))


@asynccontextmanager
async def called(db: Database, connector: Configured | None, operation: str) -> AsyncIterator[None]:
    """Time the block's call through a connector; log it and record it on the connector, in its own
    transaction (none: a carrier or provider configured in the environment, only timed in the log). The
    block's exception goes on to the caller."""
    at, started = utcnow(), time.perf_counter()
    error: str | None = None
    try:
        yield
    except Exception as problem:
        error = f"{type(problem).__name__}: {problem}"
        raise
    finally:
        took = round((time.perf_counter() - started) * 1000)
        name = connector.name if connector is not None else "(environment)"
        log.info("connector %s %s: %s in %d ms", name, operation, error or "ok", took)
        if connector is not None:
            async with db.write() as session:
                call = Call(operation, ok=error is None, duration_ms=took, at=at, error=error)
                await record_call(session, connector_id=connector.id, call=call)
