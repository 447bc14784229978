"""Customer messages' texts as data: an ADMIN sets the text of an event's message in a language, for one
channel or for every channel (audited); the message of an event takes the channel's text, else every
channel's, else the one oms-graph ships (domain/notifications.py)."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import Channel, MessageTemplate
from oms_graph.domain import notifications as rules
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.messages import check_template
from oms_graph.services import audit

EVERY_CHANNEL = "*"


class TemplateFields(Protocol):
    @property
    def event(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def channel(self) -> str | None: ...  # None: every channel
    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...


async def check_key(session: AsyncSession, errors: ErrorList, *, event: str, channel: str | None) -> None:
    """The event is one a customer hears about, and the channel (when given) exists."""
    if not rules.notified(event):
        told = ", ".join(sorted(rules.TEMPLATES))
        errors.add(ErrorCode.INVALID_INPUT, ["input", "event"], f"customers hear of no {event!r} ({told})")
    if channel is not None and await session.scalar(select(Channel.id).where(Channel.code == channel)) is None:
        errors.add(ErrorCode.UNKNOWN_CHANNEL, ["input", "channel"], f"no channel with code {channel!r}")


async def save_template(session: AsyncSession, *, fields: TemplateFields, actor: str | None) -> MessageTemplate:
    """Create or replace the text of an event's message in a language, for a channel or every channel."""
    errors = ErrorList()
    await check_key(session, errors, event=fields.event, channel=fields.channel)
    check_template(errors, language=fields.language, subject=fields.subject, body=fields.body, path=["input"])
    errors.raise_if_any()
    scope = fields.channel or EVERY_CHANNEL
    found = await session.scalar(_keyed(fields.event, fields.language, scope).with_for_update())
    before = _audited(found) if found is not None else None
    if found is None:
        found = MessageTemplate(id=uuid.uuid4(), event_type=fields.event, language=fields.language, scope=scope)
        session.add(found)
    found.subject, found.body, found.updated_at, found.updated_by = fields.subject, fields.body, utcnow(), actor
    await session.flush()
    await audit.record(session, [audit.changed("MessageTemplate", _key(found), before, _audited(found))])
    return found


async def remove_template(session: AsyncSession, *, event: str, language: str, channel: str | None) -> None:
    """Drop a text set up as data (the next one down stands again); NOT_FOUND when there is none."""
    found = await session.scalar(_keyed(event, language, channel or EVERY_CHANNEL).with_for_update())
    if found is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["input"], "no such message template")
    await audit.record(session, [audit.changed("MessageTemplate", _key(found), _audited(found), None)])
    await session.execute(delete(MessageTemplate).where(MessageTemplate.id == found.id))


async def list_templates(session: AsyncSession) -> list[MessageTemplate]:
    stmt = select(MessageTemplate).order_by(MessageTemplate.event_type, MessageTemplate.language, MessageTemplate.scope)
    return list(await session.scalars(stmt))


async def texts_for(session: AsyncSession, *, event: str, language: str, channel: str) -> tuple[str, str] | None:
    """The channel's text of the event's message in the language, else every channel's; None: the built-in."""
    found = (
        await session.execute(
            select(MessageTemplate.scope, MessageTemplate.subject, MessageTemplate.body).where(
                MessageTemplate.event_type == event,
                MessageTemplate.language == language,
                MessageTemplate.scope.in_([channel, EVERY_CHANNEL]),
            )
        )
    ).all()
    ranked = sorted(found, key=lambda row: row.scope == EVERY_CHANNEL)
    return (ranked[0].subject, ranked[0].body) if ranked else None


def _keyed(event: str, language: str, scope: str) -> Any:
    return select(MessageTemplate).where(
        MessageTemplate.event_type == event, MessageTemplate.language == language, MessageTemplate.scope == scope
    )


def _key(template: MessageTemplate) -> str:
    return f"{template.event_type}/{template.language}/{template.scope}"


def _audited(template: MessageTemplate) -> dict[str, Any]:
    return {"subject": template.subject, "body": template.body}
