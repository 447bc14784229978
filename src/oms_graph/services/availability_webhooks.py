"""AVAILABILITY_CHANGED webhooks: every few seconds, each active endpoint that asked for AVAILABILITY_CHANGED
(by name: an endpoint of every event type gets order events only) is sent, per channel, the figures that
changed since its last delivery, many skus in one POST, signed as every webhook is (X-OMS-Event-Id,
X-OMS-Timestamp, X-OMS-Signature).

Each endpoint has a cursor (where it stands in stock changes and order events) and the figures it was last
sent. A delivery that fails is tried again at the next look: its cursor moves on only once all its channels'
deliveries went through, and a figure it already has is not sent again. A new endpoint starts from now.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.adapters.sealing import unseal
from oms_graph.adapters.signing import sign
from oms_graph.db.base import utcnow
from oms_graph.db.dialect import insert_for
from oms_graph.db.models import AvailabilityCursor, AvailabilitySent, Channel, WebhookEndpoint
from oms_graph.services.stock.availability import channel_figures, moved_since
from oms_graph.services.webhooks import EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, Delivery

AVAILABILITY_CHANGED = "AVAILABILITY_CHANGED"


@dataclass(frozen=True)
class ChannelChange:
    channel_id: uuid.UUID
    items: dict[str, int]  # sku: figure as sent to the channel
    delivery: Delivery


@dataclass(frozen=True)
class Due:
    """An endpoint's deliveries to make, and the cursor it moves to once they all went through."""

    endpoint_id: uuid.UUID
    changes: list[ChannelChange]
    level_mark: datetime
    position: int


async def due(session: AsyncSession) -> list[Due]:
    """Per endpoint that wants AVAILABILITY_CHANGED, what changed since its cursor (a new endpoint: its
    cursor is made at now, and nothing is due)."""
    endpoints = [
        e
        for e in await session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)))
        if AVAILABILITY_CHANGED in (e.event_types or [])
    ]
    if not endpoints:
        return []
    cursors = {
        c.endpoint_id: c
        for c in await session.scalars(
            select(AvailabilityCursor).where(AvailabilityCursor.endpoint_id.in_([e.id for e in endpoints]))
        )
    }
    channels = list(await session.scalars(select(Channel).order_by(Channel.code)))
    found = []
    for endpoint in endpoints:
        cursor = cursors.get(endpoint.id)
        if cursor is None:  # from now on; what moved just before (looked at again next time) is where it starts
            start = await moved_since(session, level_mark=utcnow(), position=None)
            session.add(
                AvailabilityCursor(endpoint_id=endpoint.id, level_mark=start.level_mark, position=start.position)
            )
            for channel in channels if start.skus else []:
                figures = await channel_figures(session, channel_id=channel.id, skus=sorted(start.skus))
                await _record_sent(session, endpoint.id, channel.id, figures)
            continue
        moved = await moved_since(session, level_mark=cursor.level_mark, position=cursor.position)
        changes = []
        for channel in channels if moved.skus else []:
            now = await channel_figures(session, channel_id=channel.id, skus=sorted(moved.skus))
            sent = dict(
                (
                    await session.execute(
                        select(AvailabilitySent.sku, AvailabilitySent.figure).where(
                            AvailabilitySent.endpoint_id == endpoint.id,
                            AvailabilitySent.channel_id == channel.id,
                            AvailabilitySent.sku.in_(sorted(now)),
                        )
                    )
                ).all()
            )
            items = {sku: n for sku, n in sorted(now.items()) if sent.get(sku) != n}
            if items:
                changes.append(ChannelChange(channel.id, items, _delivery(endpoint, channel.code, items)))
        found.append(Due(endpoint.id, changes, moved.level_mark, moved.position))
    return found


def _delivery(endpoint: WebhookEndpoint, channel: str, items: dict[str, int]) -> Delivery:
    event_id = uuid.uuid4()
    body = json.dumps(
        {
            "id": str(event_id),
            "type": AVAILABILITY_CHANGED,
            "channel": channel,
            "at": utcnow().isoformat(),
            "items": [{"sku": sku, "availableToPromise": n} for sku, n in items.items()],
        },
        separators=(",", ":"),
    ).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        EVENT_HEADER: str(event_id),
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign(unseal(endpoint.secret), stamp.encode() + b"." + body),
    }
    return Delivery(id=event_id, url=endpoint.url, body=body, headers=headers)


async def delivered(session: AsyncSession, *, due: Due, done: list[ChannelChange]) -> None:
    """Record what reached the endpoint; once every change of `due` did, its cursor moves on."""
    for change in done:
        await _record_sent(session, due.endpoint_id, change.channel_id, change.items)
    if len(done) == len(due.changes):
        cursor = await session.get_one(AvailabilityCursor, due.endpoint_id, with_for_update=True)
        cursor.level_mark, cursor.position = due.level_mark, due.position


async def _record_sent(
    session: AsyncSession, endpoint_id: uuid.UUID, channel_id: uuid.UUID, items: dict[str, int]
) -> None:
    """The figures the endpoint has of the channel now."""
    if not items:
        return
    rows = [{"endpoint_id": endpoint_id, "channel_id": channel_id, "sku": sku, "figure": n} for sku, n in items.items()]
    stmt = insert_for(session, AvailabilitySent.__table__).values(rows)
    keys = ["endpoint_id", "channel_id", "sku"]
    await session.execute(stmt.on_conflict_do_update(index_elements=keys, set_={"figure": stmt.excluded.figure}))
