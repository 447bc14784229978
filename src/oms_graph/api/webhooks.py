"""Outgoing webhook endpoints (ADMIN): register, change, switch off, and read their delivery log."""

from __future__ import annotations

from datetime import datetime

import strawberry

from oms_graph.api.context import Info
from oms_graph.api.errors import UserError, command, reading, user_errors
from oms_graph.api.node import decode_id, encode_id
from oms_graph.api.permissions import roles
from oms_graph.db import models
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.services import webhooks

DELIVERIES_SHOWN = 50


@strawberry.type
class WebhookDelivery:
    event_id: strawberry.ID
    status: str = strawberry.field(description="PENDING, DELIVERED or FAILED.")
    attempts: int
    response_code: int | None
    error: str | None
    created_at: datetime
    delivered_at: datetime | None


@strawberry.type(description="Where events are POSTed, signed with its secret (which is never shown).")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    event_types: list[str] = strawberry.field(description="The event types it gets; empty: every event.")
    active: bool
    failures: int = strawberry.field(description="Deliveries failed in a row.")
    disabled_at: datetime | None
    created_at: datetime
    row: strawberry.Private[models.WebhookEndpoint]

    @classmethod
    def from_model(cls, m: models.WebhookEndpoint) -> WebhookEndpoint:
        return cls(
            id=encode_id("WebhookEndpoint", m.id),
            url=m.url,
            event_types=list(m.event_types),
            active=m.active,
            failures=m.failures,
            disabled_at=m.disabled_at,
            created_at=m.created_at,
            row=m,
        )

    @strawberry.field(description=f"Its latest {DELIVERIES_SHOWN} deliveries, newest first.")
    async def deliveries(self, info: Info) -> list[WebhookDelivery]:
        async with reading(info) as session:
            rows = await webhooks.latest_deliveries(session, endpoint_id=self.row.id, limit=DELIVERIES_SHOWN)
            return [
                WebhookDelivery(
                    event_id=strawberry.ID(str(d.event_id)),
                    status=d.status,
                    attempts=d.attempts,
                    response_code=d.response_code,
                    error=d.error,
                    created_at=d.created_at,
                    delivered_at=d.delivered_at,
                )
                for d in rows
            ]


@strawberry.input
class WebhookEndpointInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="Given: change that endpoint.")
    url: str
    event_types: list[str] | None = None
    secret: str | None = strawberry.field(default=None, description="16 to 200 characters; required when new.")
    active: bool | None = None


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None
    errors: list[UserError]


@strawberry.type
class WebhookQuery:
    @strawberry.field(extensions=roles())
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        async with reading(info) as session:
            return [WebhookEndpoint.from_model(e) for e in await webhooks.list_endpoints(session)]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(extensions=roles(), description="Register an endpoint, or change one (with its id).")
    async def save_webhook_endpoint(self, info: Info, input: WebhookEndpointInput) -> WebhookEndpointPayload:
        endpoint_id = None
        if input.id is not None:
            decoded = decode_id(input.id)
            if decoded is None or decoded[0] != "WebhookEndpoint":
                error = DomainError.one(ErrorCode.NOT_FOUND, ["input", "id"], "no such webhook endpoint")
                return WebhookEndpointPayload(endpoint=None, errors=user_errors(error))
            endpoint_id = decoded[1]
        done, errors = await command(info, lambda s: webhooks.save_endpoint(s, endpoint_id=endpoint_id, fields=input))
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_model(done) if done else None, errors=errors)

    @strawberry.mutation(extensions=roles(), description="Switch an endpoint off; its delivery log stays.")
    async def delete_webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookEndpointPayload:
        decoded = decode_id(id)
        if decoded is None or decoded[0] != "WebhookEndpoint":
            error = DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such webhook endpoint")
            return WebhookEndpointPayload(endpoint=None, errors=user_errors(error))
        done, errors = await command(info, lambda s: webhooks.remove_endpoint(s, endpoint_id=decoded[1]))
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_model(done) if done else None, errors=errors)
