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
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.adapters import sealing
from oms_graph.adapters.sealing import seal, unseal
from oms_graph.adapters.signing import sign
from oms_graph.db.base import utcnow
from oms_graph.db.dialect import connection_of, insert_rows, update_rows
from oms_graph.db.models import Order, OrderEvent, WebhookDelivery, WebhookEndpoint
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.services import audit

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


async def reseal_secrets(session: AsyncSession) -> int:
    """Seal every endpoint's secret with the current key (after a key rotation); how many were resealed."""
    ring = sealing.configured()
    endpoints = list(await session.scalars(select(WebhookEndpoint).with_for_update()))
    stale = [e for e in endpoints if not ring.sealed_with_current(e.secret)]
    for endpoint in stale:
        endpoint.secret = ring.seal(ring.open(endpoint.secret))
    return len(stale)


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
    before = None
    if endpoint_id is None:
        endpoint = WebhookEndpoint(id=uuid.uuid4(), failures=0, created_at=now, secret=seal(str(fields.secret)))
        session.add(endpoint)
    else:
        found = await session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
        if found is None:
            raise DomainError.one(ErrorCode.NOT_FOUND, ["input", "id"], "no such webhook endpoint")
        endpoint, before = found, _audited(found)
        if fields.secret is not None:
            endpoint.secret = seal(fields.secret)
    endpoint.url, endpoint.event_types = fields.url, sorted(set(fields.event_types or []))
    active = True if fields.active is None else fields.active
    if active and not endpoint.active:
        endpoint.failures, endpoint.disabled_at = 0, None
    endpoint.active, endpoint.updated_at = active, now
    after = _audited(endpoint) | ({"secretChanged": True} if before is not None and fields.secret is not None else {})
    await audit.record(session, [audit.changed("WebhookEndpoint", str(endpoint.id), before, after)])
    return endpoint


def _audited(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What the audit trail shows of an endpoint: never its secret, only that it was changed."""
    return {"url": endpoint.url, "eventTypes": list(endpoint.event_types), "active": endpoint.active}


async def remove_endpoint(session: AsyncSession, *, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """Switch an endpoint off for good (its delivery log stays)."""
    found = await session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
    if found is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such webhook endpoint")
    before = _audited(found)
    found.active, found.disabled_at, found.updated_at = False, utcnow(), utcnow()
    await audit.record(session, [audit.changed("WebhookEndpoint", str(found.id), before, _audited(found))])
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


@dataclass(frozen=True)
class EventDelivery:
    """An event's delivery to one endpoint, still to make."""

    endpoint_id: uuid.UUID
    request: Delivery


@dataclass(frozen=True)
class Attempt:
    """What one try of a delivery got: the answer's code, and an error unless it was a 2xx."""

    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    code: int | None
    error: str | None


_EVENT = cast(Table, OrderEvent.__table__)
_DELIVERY = cast(Table, WebhookDelivery.__table__)
_ENDPOINT = cast(Table, WebhookEndpoint.__table__)
# The dispatch's statements are built once (it runs for every batch of events); b_* are bound per call.
_EVENTS = (
    select(
        _EVENT.c.id,
        _EVENT.c.type,
        _EVENT.c.order_id,
        _EVENT.c.transfer_id,
        _EVENT.c.at,
        _EVENT.c.actor,
        _EVENT.c.data,
        Order.number,
    )
    .outerjoin(Order, Order.id == _EVENT.c.order_id)  # a transfer's own events have no order
    .where(_EVENT.c.id.in_(bindparam("b_events", expanding=True)))
    .order_by(_EVENT.c.id)
)
_ACTIVE_ENDPOINTS = (
    select(_ENDPOINT.c.id, _ENDPOINT.c.url, _ENDPOINT.c.secret, _ENDPOINT.c.event_types)
    .where(_ENDPOINT.c.active.is_(True))
    .order_by(_ENDPOINT.c.id)
)
# Both columns of the unique key, so the look stays an index look however many deliveries there are.
_PENDING = select(_DELIVERY.c.id, _DELIVERY.c.endpoint_id, _DELIVERY.c.event_id).where(
    _DELIVERY.c.endpoint_id.in_(bindparam("b_endpoints", expanding=True)),
    _DELIVERY.c.event_id.in_(bindparam("b_events", expanding=True)),
    _DELIVERY.c.status == PENDING,
)


async def deliveries(session: AsyncSession, *, event_ids: Sequence[int]) -> list[EventDelivery]:
    """The events' deliveries still to make, in event order: one per active endpoint that wants the event
    (made once: a second look finds the same rows, and none that was delivered)."""
    connection = await connection_of(session)
    events = (await connection.execute(_EVENTS, {"b_events": list(event_ids)})).all()
    endpoints = (await connection.execute(_ACTIVE_ENDPOINTS)).all()
    wanted = [(e, event) for event in events for e in endpoints if not e.event_types or event.type in e.event_types]
    if not wanted:
        return []
    now = utcnow()
    made = [
        dict(id=uuid.uuid4(), endpoint_id=e.id, event_id=event.id, status=PENDING, attempts=0, created_at=now)
        for e, event in wanted
    ]
    await insert_rows(session, _DELIVERY, made, skip_conflicts=True)
    pending = await connection.execute(
        _PENDING, {"b_endpoints": list({e.id for e, _ in wanted}), "b_events": list({event.id for _, event in wanted})}
    )
    ids = {(endpoint_id, event_id): delivery_id for delivery_id, endpoint_id, event_id in pending}
    stamp, bodies = str(int(time.time())), {event.id: _body(event) for event in events}
    return [
        EventDelivery(
            endpoint_id=e.id,
            request=Delivery(
                id=ids[(e.id, event.id)],
                url=e.url,
                body=bodies[event.id],
                headers={
                    "Content-Type": "application/json",
                    EVENT_HEADER: str(event.id),
                    TIMESTAMP_HEADER: stamp,
                    SIGNATURE_HEADER: sign(unseal(e.secret), stamp.encode() + b"." + bodies[event.id]),
                },
            ),
        )
        for e, event in wanted
        if (e.id, event.id) in ids
    ]


def _body(event: Any) -> bytes:
    fields = {
        "id": str(event.id),
        "type": event.type,
        "orderId": None if event.order_id is None else str(event.order_id),
        "orderNumber": event.number,
        "transferId": None if event.transfer_id is None else str(event.transfer_id),
        "at": event.at.isoformat(),
        "actor": event.actor,
        "data": event.data,
    }
    return json.dumps(fields, separators=(",", ":")).encode()


_CLEARED = (
    update(_ENDPOINT)
    .where(_ENDPOINT.c.id.in_(bindparam("b_endpoints", expanding=True)), _ENDPOINT.c.failures != 0)
    .values(failures=0)
)


async def attempted(
    session: AsyncSession, attempts: Sequence[Attempt], *, failure_limit: int, final: bool = False
) -> None:
    """Log attempts, in the order they were made: a 2xx is DELIVERED and clears the endpoint's failures; a
    failure counts against the endpoint, which is switched off after `failure_limit` in a row; a failed
    delivery is FAILED when `final` (given up) or when its endpoint is off, else it stays PENDING.
    Each delivery appears at most once (a batch tries each once)."""
    if not attempts:
        return
    now = utcnow()
    if all(attempt.error is None for attempt in attempts):  # all delivered: no failure to count, no lock
        await session.execute(_CLEARED, {"b_endpoints": sorted({a.endpoint_id for a in attempts})})
        await _log(session, [_logged(a, DELIVERED, now) for a in attempts])
        return
    endpoints = {
        row.id: row
        for row in await session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_({a.endpoint_id for a in attempts}))
            .order_by(WebhookEndpoint.id)
            .with_for_update()
        )
    }
    changes = []
    for attempt in attempts:
        endpoint = endpoints[attempt.endpoint_id]
        status = DELIVERED if attempt.error is None else PENDING
        if attempt.error is None:
            endpoint.failures = 0
        else:
            endpoint.failures += 1
            if endpoint.failures >= failure_limit and endpoint.active:
                endpoint.active, endpoint.disabled_at = False, now
            if final or not endpoint.active:
                status = FAILED
        changes.append(_logged(attempt, status, now))
    await _log(session, changes)


def _logged(attempt: Attempt, status: str, now: datetime) -> dict[str, Any]:
    """What one attempt sets on its delivery (whose attempts count up by one)."""
    return {
        "id": attempt.delivery_id,
        "response_code": attempt.code,
        "error": attempt.error and attempt.error[:500],
        "status": status,
        "delivered_at": now if status == DELIVERED else None,
    }


async def _log(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    """The attempts in one statement (each delivery is tried at most once per batch)."""
    await update_rows(session, _DELIVERY, changes, key=["id"], increment=["attempts"])


async def give_up(session: AsyncSession, *, event_ids: Sequence[int], error: str, failure_limit: int) -> None:
    """The last retry failed: the events' deliveries still pending are FAILED."""
    pending = await session.execute(
        select(WebhookDelivery.id, WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.endpoint_id.in_(select(WebhookEndpoint.id)),  # an index look, as in _PENDING
            WebhookDelivery.event_id.in_(event_ids),
            WebhookDelivery.status == PENDING,
        )
        .order_by(WebhookDelivery.event_id)
    )
    attempts = [Attempt(delivery_id, endpoint_id, None, error) for delivery_id, endpoint_id in pending]
    await attempted(session, attempts, failure_limit=failure_limit, final=True)
