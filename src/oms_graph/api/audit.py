"""The audit trail (ADMIN): who changed what, when, and the values before and after, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from oms_graph.api.context import Info
from oms_graph.api.errors import check, reading
from oms_graph.api.pagination import PageInfo, check_page_size, decode_cursor, encode_cursor, page_info
from oms_graph.api.permissions import roles
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.services import audit


@strawberry.type(description="One change: who made it, when, to what, and its values before and after.")
class AuditEntry:
    id: strawberry.ID
    at: datetime
    actor: str = strawberry.field(description="The name of the API key that made it, 'cli', or 'system'.")
    action: str = strawberry.field(description="CREATED, UPDATED or DELETED.")
    entity: str = strawberry.field(
        description="Channel, Location, Product, StockLevel, StockImport, RoutingProfile, AvailabilityPool, ApiKey "
        "or WebhookEndpoint."
    )
    key: str = strawberry.field(description="Which one: its code, sku@location, or id.")
    before: JSON | None = strawberry.field(description="Its values before; null when it was created.")
    after: JSON | None = strawberry.field(description="Its values after; null when it was deleted.")


@strawberry.type
class AuditEntryEdge:
    node: AuditEntry
    cursor: str


@strawberry.type
class AuditEntryConnection:
    edges: list[AuditEntryEdge]
    page_info: PageInfo


@strawberry.input
class AuditFilter:
    entity: str | None = None
    key: str | None = None
    actor: str | None = None
    since: datetime | None = None


@strawberry.type
class AuditQuery:
    @strawberry.field(extensions=roles(), description="The audit trail, newest first.")
    async def audit_log(
        self, info: Info, first: int = 50, after: str | None = None, filter: AuditFilter | None = None
    ) -> AuditEntryConnection:
        check_page_size(first)
        key = decode_cursor(after, 1)
        check(
            key is None or isinstance(key[0], int),
            lambda: DomainError.one(ErrorCode.INVALID_INPUT, ["after"], "not a cursor from this API"),
        )
        wanted = filter or AuditFilter()
        where = audit.Filter(entity=wanted.entity, key=wanted.key, actor=wanted.actor, since=wanted.since)
        async with reading(info) as session:
            rows = await audit.entries(session, first=first + 1, before_id=int(key[0]) if key else None, where=where)
        edges = [
            AuditEntryEdge(
                node=AuditEntry(
                    id=strawberry.ID(str(r.id)),
                    at=r.at,
                    actor=r.actor,
                    action=r.action,
                    entity=r.entity,
                    key=r.key,
                    before=cast(JSON, r.before),
                    after=cast(JSON, r.after),
                ),
                cursor=encode_cursor([r.id]),
            )
            for r in rows[:first]
        ]
        return AuditEntryConnection(
            edges=edges, page_info=page_info([e.cursor for e in edges], has_next=len(rows) > first, after=after)
        )
