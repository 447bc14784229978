"""Outgoing webhooks: endpoints (ADMIN), and each event's delivery to every endpoint that wants it.

A delivery is a POST of the event as JSON with three headers: `X-OMS-Event-Id` (to de-duplicate: an
event may arrive more than once), `X-OMS-Timestamp` (unix seconds) and `X-OMS-Signature`
(`sha256=` HMAC-SHA256 with the endpoint's secret over `<timestamp>.<body>`). The webhook.dispatch actor
delivers after commit and retries with backoff; an endpoint failing OMS_WEBHOOK_FAILURE_LIMIT deliveries
in a row is switched off.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.adapters.signing import sign
from oms_graph.db.base import utcnow
from oms_graph.db.dialect import insert_for
from oms_graph.db.models import Order, OrderEvent, WebhookDelivery, WebhookEndpoint
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList

EVENT_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "X-OMS-Event-Id", "X-OMS-Timestamp", "X-OMS-Signature"
PENDING, DELIVERED, FAILED = "PENDING", "DELIVERED", "FAILED"


class EndpointFields(Protocol):
    url: str
    secret: str | None
    active: bool | None

    @property
    def event_types(self) -> Sequence[str] | None: ...


@dataclass(frozen=True)
class Delivery:
    """A delivery to make: where, and the signed request."""

    id: uuid.UUID
    url: str
    body: bytes
    headers: dict[str, str]


async def save_endpoint(
    session: AsyncSession, *, endpoint_id: uuid.UUID | None, fields: EndpointFields
) -> WebhookEndpoint:
    """Register an endpoint (a secret is required) or change one; switching it on clears its failures."""
    errors = ErrorList()
    if not fields.url.startswith(("https://", "http://")) or len(fields.url) > 2000:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "url"], "an http(s) URL of at most 2000 characters")
    if fields.secret is not None and not 16 <= len(fields.secret) <= 200:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "secret"], "16 to 200 characters")
    if endpoint_id is None and fields.secret is None:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "secret"], "a new endpoint needs a secret")
    for i, kind in enumerate(fields.event_types or []):
        if not kind or len(kind) > 64 or kind != kind.upper():
            errors.add(ErrorCode.INVALID_INPUT, ["input", "eventTypes", i], "an event type such as ORDER_PLACED")
    errors.raise_if_any()
    now = utcnow()
    if endpoint_id is None:
        endpoint = WebhookEndpoint(id=uuid.uuid4(), failures=0, created_at=now, secret=fields.secret)
        session.add(endpoint)
    else:
        found = await session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
        if found is None:
            raise DomainError.one(ErrorCode.NOT_FOUND, ["input", "id"], "no such webhook endpoint")
        endpoint = found
        if fields.secret is not None:
            endpoint.secret = fields.secret
    endpoint.url, endpoint.event_types = fields.url, sorted(set(fields.event_types or []))
    active = True if fields.active is None else fields.active
    if active and not endpoint.active:
        endpoint.failures, endpoint.disabled_at = 0, None
    endpoint.active, endpoint.updated_at = active, now
    return endpoint


async def remove_endpoint(session: AsyncSession, *, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """Switch an endpoint off for good (its delivery log stays)."""
    found = await session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
    if found is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such webhook endpoint")
    found.active, found.disabled_at, found.updated_at = False, utcnow(), utcnow()
    return found


async def list_endpoints(session: AsyncSession) -> list[WebhookEndpoint]:
    """Every endpoint, oldest first."""
    return list(await session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.created_at)))


async def latest_deliveries(session: AsyncSession, *, endpoint_id: uuid.UUID, limit: int) -> list[WebhookDelivery]:
    """An endpoint's latest deliveries, newest first."""
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.event_id.desc())
        .limit(limit)
    )
    return list(rows)


async def any_active(session: AsyncSession) -> bool:
    return await session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.active.is_(True)).limit(1)) is not None


async def deliveries(session: AsyncSession, *, event_id: int) -> list[Delivery]:
    """The event's deliveries still to make: one per active endpoint that wants it (made once)."""
    found = (
        await session.execute(
            select(OrderEvent, Order.number)
            .join(Order, Order.id == OrderEvent.order_id)
            .where(OrderEvent.id == event_id)
        )
    ).first()
    if found is None:
        return []
    event, number = found
    endpoints = [
        e
        for e in await session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)))
        if not e.event_types or event.type in e.event_types
    ]
    if endpoints:
        stmt = insert_for(session, WebhookDelivery.__table__).values(
            [
                {
                    "id": uuid.uuid4(),
                    "endpoint_id": e.id,
                    "event_id": event.id,
                    "status": PENDING,
                    "attempts": 0,
                    "created_at": utcnow(),
                }  # fmt: skip
                for e in endpoints
            ]
        )
        await session.execute(stmt.on_conflict_do_nothing())
    body = json.dumps(
        {
            "id": str(event.id),
            "type": event.type,
            "orderId": str(event.order_id),
            "orderNumber": number,
            "at": event.at.isoformat(),
            "actor": event.actor,
            "data": event.data,
        },
        separators=(",", ":"),
    ).encode()
    rows = await session.execute(
        select(WebhookDelivery.id, WebhookEndpoint.url, WebhookEndpoint.secret)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.event_id == event.id,
            WebhookDelivery.status == PENDING,
            WebhookEndpoint.active.is_(True),
        )
    )
    stamp = str(int(time.time()))
    return [
        Delivery(
            id=delivery_id,
            url=url,
            body=body,
            headers={
                "Content-Type": "application/json",
                EVENT_HEADER: str(event.id),
                TIMESTAMP_HEADER: stamp,
                SIGNATURE_HEADER: sign(secret, stamp.encode() + b"." + body),
            },
        )
        for delivery_id, url, secret in rows
    ]


async def attempted(
    session: AsyncSession,
    *,
    delivery_id: uuid.UUID,
    code: int | None,
    error: str | None,
    failure_limit: int,
    final: bool = False,
) -> None:
    """Log an attempt: delivered (a 2xx), or failed (counted against the endpoint, switched off after
    `failure_limit` failures in a row; `final`: given up)."""
    delivery = await session.get_one(WebhookDelivery, delivery_id, with_for_update=True)
    endpoint = await session.get_one(WebhookEndpoint, delivery.endpoint_id, with_for_update=True)
    delivery.attempts += 1
    delivery.response_code, delivery.error = code, error and error[:500]
    if error is None:
        delivery.status, delivery.delivered_at, endpoint.failures = DELIVERED, utcnow(), 0
        return
    endpoint.failures += 1
    if endpoint.failures >= failure_limit and endpoint.active:
        endpoint.active, endpoint.disabled_at = False, utcnow()
    if final or not endpoint.active:
        delivery.status = FAILED


async def give_up(session: AsyncSession, *, event_id: int, error: str, failure_limit: int) -> None:
    """The last retry failed: the event's deliveries still pending are FAILED."""
    pending = await session.scalars(
        select(WebhookDelivery.id).where(WebhookDelivery.event_id == event_id, WebhookDelivery.status == PENDING)
    )
    for delivery_id in list(pending):
        await attempted(
            session, delivery_id=delivery_id, code=None, error=error, failure_limit=failure_limit, final=True
        )
