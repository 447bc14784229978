"""Customer messages for order events: one per (event, medium), rendered in the channel's language, logged
with what became of it. The notification.send actor sends them after commit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import insert_for
from oms_graph.db.models import Channel, Fulfilment, Location, Notification, Order, OrderEvent, OrderLine
from oms_graph.domain import notifications as rules
from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.domain.messages import check_template
from oms_graph.domain.notifications import NotificationStatus
from oms_graph.services import message_templates


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
    message = await render(session, order=order, event_type=event.type, event=event)
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


async def render(
    session: AsyncSession,
    *,
    order: Order,
    event_type: str,
    event: OrderEvent | None,
    language: str | None = None,
    texts: tuple[str, str] | None = None,
) -> rules.Message:
    """An event's message to the order's customer: in `language` (default: the channel's), from `texts` (a
    draft) or the text set up as data for the channel, else the built-in one. Without an event (a preview of
    one the order has not had), the order's own values fill it."""
    code, spoken = (
        await session.execute(select(Channel.code, Channel.language).where(Channel.id == order.channel_id))
    ).one()
    language = language or spoken or "en"
    texts = texts or await message_templates.texts_for(session, event=event_type, language=language, channel=code)
    return rules.render(event_type, language, await _values(session, order, event), texts=texts)


async def preview(
    session: AsyncSession,
    *,
    order_id: uuid.UUID | None,
    event_type: str,
    language: str | None,
    draft: tuple[str, str] | None,
) -> rules.Message:
    """An event's message as the order's customer would get it (from the order's latest event of that type,
    else from the order), in a language, from a draft text (checked as a saved one is) or the one in force."""
    errors = ErrorList()
    await message_templates.check_key(session, errors, event=event_type, channel=None)
    if draft is not None:
        check_template(errors, language=language or "en", subject=draft[0], body=draft[1], path=["input"])
    order = await session.get(Order, order_id) if order_id is not None else None
    if order is None:
        errors.add(ErrorCode.NOT_FOUND, ["input", "orderId"], "no such order")
    errors.raise_if_any()
    assert order is not None
    event = await session.scalar(
        select(OrderEvent)
        .where(OrderEvent.order_id == order.id, OrderEvent.type == event_type)
        .order_by(OrderEvent.id.desc())
        .limit(1)
    )
    return await render(session, order=order, event_type=event_type, event=event, language=language, texts=draft)


async def finished(
    session: AsyncSession, *, notification_id: uuid.UUID, status: NotificationStatus, error: str | None = None
) -> None:
    found = await session.get_one(Notification, notification_id)
    found.status, found.error = status, (error or None) and error[:500]
    if status is NotificationStatus.SENT:
        found.sent_at = utcnow()


async def _values(session: AsyncSession, order: Order, event: OrderEvent | None) -> dict[str, Any]:
    data: dict[str, Any] = (
        event.data if event is not None else {"amount": str(order.total), "after": {"total": str(order.total)}}
    )
    units = await session.scalar(
        select(func.coalesce(func.sum(OrderLine.quantity - OrderLine.quantity_cancelled), 0)).where(
            OrderLine.order_id == order.id
        )
    )
    values: dict[str, Any] = {
        "units": int(units or 0),
        "number": order.number,
        "name": order.customer.get("name") or "",
        "currency": order.currency,
        "amount": data.get("amount"),
        "total": (data.get("after") or {}).get("total") or order.total,  # an edited order's: its new total
        "tracking": data.get("trackingNumber"),
        "expires": data.get("expiresAt", "")[:16].replace("T", " "),
        "ready_by": (data.get("readyBy") or "")[:16].replace("T", " "),
    }
    fulfilment_id = data.get("fulfilment")
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
