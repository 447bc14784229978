"""Customer messages' texts (ADMIN): set per event, language and channel (or every channel), previewed from
a real order, and test-sent through the real sender before customers get them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.adapters.notifications import sender_for
from oms_graph.api.context import Info
from oms_graph.api.errors import UserError, command, reading
from oms_graph.api.node import decode_id
from oms_graph.api.permissions import roles
from oms_graph.db import models
from oms_graph.domain.errors import ErrorCode
from oms_graph.domain.notifications import Medium, Message
from oms_graph.domain.placement import is_email
from oms_graph.services import message_templates, notifications


@strawberry.type(description="A customer message's text set up as data.")
class MessageTemplate:
    event: str
    language: str
    channel: str | None = strawberry.field(description="The channel it is for; null: every channel.")
    subject: str
    body: str
    updated_at: datetime
    updated_by: str | None

    @classmethod
    def from_model(cls, m: models.MessageTemplate) -> MessageTemplate:
        channel = None if m.scope == message_templates.EVERY_CHANNEL else m.scope
        return cls(
            event=m.event_type,
            language=m.language,
            channel=channel,
            subject=m.subject,
            body=m.body,
            updated_at=m.updated_at,
            updated_by=m.updated_by,
        )


@strawberry.input(
    description="A message's text: `{placeholder}` for the event's values (money written as the language "
    "writes it), `{units|one=item|other=items}` for the word a number takes in the language."
)
class MessageTemplateInput:
    event: str = strawberry.field(description="The event the customer hears of, e.g. ORDER_PLACED.")
    language: str = strawberry.field(description="e.g. en, de, ru.")
    channel: str | None = strawberry.field(default=None, description="A channel's code; null: every channel.")
    subject: str
    body: str


@strawberry.input
class MessagePreviewInput:
    order_id: strawberry.ID = strawberry.field(description="The order whose values fill it.")
    event: str
    language: str | None = strawberry.field(default=None, description="Default: the order's channel's.")
    subject: str | None = strawberry.field(
        default=None, description="A draft: with body, instead of the text in force."
    )
    body: str | None = None


@strawberry.input
class TestMessageInput(MessagePreviewInput):
    to: str = strawberry.field(description="An email address, or a phone number for a text message.")


@strawberry.type
class RenderedMessage:
    subject: str
    body: str


@strawberry.type
class MessageTemplatePayload:
    template: MessageTemplate | None
    errors: list[UserError]


@strawberry.type
class TestMessagePayload:
    sent: bool
    message: RenderedMessage | None
    errors: list[UserError]


@strawberry.type
class MessageTemplateQuery:
    @strawberry.field(extensions=roles(), description="The message texts set up as data.")
    async def message_templates(self, info: Info) -> list[MessageTemplate]:
        async with reading(info) as session:
            return [MessageTemplate.from_model(t) for t in await message_templates.list_templates(session)]

    @strawberry.field(extensions=roles(), description="An event's message as an order's customer would get it.")
    async def message_preview(self, info: Info, input: MessagePreviewInput) -> RenderedMessage:
        async with reading(info) as session:
            message = await _preview(session, input)
        return RenderedMessage(subject=message.subject, body=message.body)


@strawberry.type
class MessageTemplateMutation:
    @strawberry.mutation(extensions=roles(), description="Set the text of an event's message in a language.")
    async def save_message_template(self, info: Info, input: MessageTemplateInput) -> MessageTemplatePayload:
        actor = info.context.actor

        async def save(session: AsyncSession) -> MessageTemplate:
            return MessageTemplate.from_model(await message_templates.save_template(session, fields=input, actor=actor))

        done, errors = await command(info, save)
        return MessageTemplatePayload(template=done, errors=errors)

    @strawberry.mutation(extensions=roles(), description="Drop a text set up as data: the next one down stands.")
    async def remove_message_template(
        self, info: Info, event: str, language: str, channel: str | None = None
    ) -> MessageTemplatePayload:
        async def remove(session: AsyncSession) -> None:
            await message_templates.remove_template(session, event=event, language=language, channel=channel)

        _, errors = await command(info, remove)
        return MessageTemplatePayload(template=None, errors=errors)

    @strawberry.mutation(
        extensions=roles(), description="Send an event's message, filled from an order, to an address of yours."
    )
    async def send_test_message(self, info: Info, input: TestMessageInput) -> TestMessagePayload:
        medium = Medium.EMAIL if "@" in input.to else Medium.SMS
        sender = sender_for(medium, info.context.settings)
        problem = _recipient_problem(input.to, medium, configured=sender is not None)
        if problem is not None or sender is None:
            refused = UserError(code=ErrorCode.INVALID_INPUT, field=["input", "to"], message=problem or "")
            return TestMessagePayload(sent=False, message=None, errors=[refused])
        message, errors = await command(info, lambda session: _preview(session, input))  # reads only
        if message is None:
            return TestMessagePayload(sent=False, message=None, errors=errors)
        rendered = RenderedMessage(subject=message.subject, body=message.body)
        try:
            await sender.send(recipient=input.to, subject=message.subject, body=message.body)
        except Exception as problem:
            failed = UserError(code=ErrorCode.INVALID_INPUT, field=["input", "to"], message=f"not sent: {problem}")
            return TestMessagePayload(sent=False, message=rendered, errors=[failed])
        return TestMessagePayload(sent=True, message=rendered, errors=[])


def _recipient_problem(to: str, medium: Medium, *, configured: bool) -> str | None:
    if medium is Medium.EMAIL and not is_email(to):
        return f"{to!r} is not an email address"
    if not to.strip() or len(to) > 320:
        return "give an email address or a phone number"
    return None if configured else f"no sender is configured for {medium}"


async def _preview(session: AsyncSession, input: MessagePreviewInput) -> Message:
    decoded = decode_id(str(input.order_id))
    order_id = decoded[1] if decoded is not None and decoded[0] == "Order" else None
    draft = (input.subject, input.body) if input.subject is not None or input.body is not None else None
    return await notifications.preview(
        session,
        order_id=order_id,
        event_type=input.event,
        language=input.language,
        draft=(draft[0] or "", draft[1] or "") if draft else None,
    )
