"""The audit trail: every change to master data, stock counts and adjustments, routing profiles, pools,
API keys and webhook endpoints is recorded with who made it, when, and the values before and after, in the
change's own transaction (a change that rolls back leaves no entry). Order-driven stock movements are not
here: the ledger (stock_movements) has them.

Who: the name `acting` put on the transaction (the API puts the caller's key name, the command line "cli");
"system" when nobody did.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import insert_rows
from oms_graph.db.models import AuditEntry

ACTOR = "oms.actor"
SYSTEM = "system"
_log = cast(Table, AuditEntry.__table__)


def acting(session: AsyncSession, name: str) -> None:
    """Who the transaction's changes are made by."""
    session.info[ACTOR] = name


@dataclass(frozen=True)
class Change:
    entity: str
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def action(self) -> str:
        return "CREATED" if self.before is None else "DELETED" if self.after is None else "UPDATED"


def plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as JSON holds them (ids and decimals as text, times in ISO 8601, enums by value)."""
    return {name: _plain(value) for name, value in values.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in (sorted(value) if isinstance(value, set | frozenset) else value)]
    if isinstance(value, dict):
        return plain(value)
    return value


def changed(entity: str, key: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> Change | None:
    """The change from `before` to `after` (None: absent), or None when nothing changed."""
    was = plain(before) if before is not None else None
    now = plain(after) if after is not None else None
    return None if was == now else Change(entity, key, was, now)


async def record(session: AsyncSession, changes: Iterable[Change | None]) -> int:
    """Write the changes (None: nothing changed) as entries of the trail; how many."""
    at = utcnow()
    actor = str(session.info.get(ACTOR) or SYSTEM)
    rows = [
        {
            "at": at,
            "actor": actor,
            "action": c.action,
            "entity": c.entity,
            "key": c.key,
            "before": c.before,
            "after": c.after,
        }
        for c in changes
        if c is not None
    ]
    await insert_rows(session, _log, rows)
    return len(rows)


@dataclass(frozen=True)
class Filter:
    entity: str | None = None
    key: str | None = None
    actor: str | None = None
    since: datetime | None = None


async def entries(session: AsyncSession, *, first: int, before_id: int | None, where: Filter) -> Sequence[AuditEntry]:
    """Up to `first` entries, newest first, older than `before_id` when given."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(first)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if where.entity is not None:
        query = query.where(AuditEntry.entity == where.entity)
    if where.key is not None:
        query = query.where(AuditEntry.key == where.key)
    if where.actor is not None:
        query = query.where(AuditEntry.actor == where.actor)
    if where.since is not None:
        query = query.where(AuditEntry.at >= where.since)
    return list(await session.scalars(query))


async def forget_older_than(session: AsyncSession, *, days: int) -> int:
    """Retention: entries older than `days` go; how many (0 days keeps everything)."""
    if days <= 0:
        return 0
    result = await session.execute(delete(AuditEntry).where(AuditEntry.at < utcnow() - timedelta(days=days)))
    return int(getattr(result, "rowcount", 0) or 0)
