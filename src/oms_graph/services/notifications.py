"""Customer messages for order events: one per (event, medium), rendered in the channel's language, logged
with what became of it. The notification.send actor sends them after commit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import insert_for
from oms_graph.db.models import Channel, Fulfilment, Location, Notification, Order, OrderEvent
from oms_graph.domain import notifications as rules
from oms_graph.domain.notifications import NotificationStatus


async def prepare(session: AsyncSession, *, event_id: int) -> Notification | None:
    """The message an event gives its customer, written PENDING the first time (later calls get the same
    row); None when the event tells the customer nothing or there is no way to reach them."""
    event = await session.get(OrderEvent, event_id)
    if event is None or not rules.notified(event.type):
        return None
    order = await session.get_one(Order, event.order_id)
    reach = rules.medium_for(order.customer)
    if reach is None:
        return None
    medium, recipient = reach
    language = await session.scalar(select(Channel.language).where(Channel.id == order.channel_id)) or "en"
    message = rules.render(event.type, language, await _values(session, order, event))
    stmt = insert_for(session, Notification.__table__).values(
        id=uuid.uuid4(),
        order_id=order.id,
        event_id=event.id,
        template=event.type,
        medium=medium.value,
        recipient=recipient,
        subject=message.subject,
        body=message.body,
        status=NotificationStatus.PENDING,
        created_at=utcnow(),
    )
    await session.execute(stmt.on_conflict_do_nothing())
    return await session.scalar(
        select(Notification).where(Notification.event_id == event.id, Notification.medium == medium.value)
    )


async def finished(
    session: AsyncSession, *, notification_id: uuid.UUID, status: NotificationStatus, error: str | None = None
) -> None:
    found = await session.get_one(Notification, notification_id)
    found.status, found.error = status, (error or None) and error[:500]
    if status is NotificationStatus.SENT:
        found.sent_at = utcnow()


async def _values(session: AsyncSession, order: Order, event: OrderEvent) -> dict[str, Any]:
    values: dict[str, Any] = {
        "number": order.number,
        "name": order.customer.get("name") or "",
        "currency": order.currency,
        "amount": event.data.get("amount"),
        "total": (event.data.get("after") or {}).get("total"),  # an edited order's new total
        "tracking": event.data.get("trackingNumber"),
        "expires": event.data.get("expiresAt", "")[:16].replace("T", " "),
        "ready_by": (event.data.get("readyBy") or "")[:16].replace("T", " "),
    }
    fulfilment_id = event.data.get("fulfilment")
    if fulfilment_id:  # the pickup code is never in an event: it is read here, for the customer only
        found = (
            await session.execute(
                select(Fulfilment.pickup_code, Location.name)
                .join(Location, Location.id == Fulfilment.location_id)
                .where(Fulfilment.id == uuid.UUID(fulfilment_id))
            )
        ).first()
        if found is not None:
            values["pickup_code"], values["location"] = found
    return values
