"""Senders of customer messages behind one small Protocol: email over SMTP, text messages over HTTP."""

from __future__ import annotations

from typing import Protocol

from oms_graph.config import Settings
from oms_graph.domain.notifications import Medium


class Sender(Protocol):
    async def send(self, *, recipient: str, subject: str, body: str) -> None: ...


def sender_for(medium: Medium, settings: Settings) -> Sender | None:
    """The configured sender of a medium, or None when there is none (the message is logged SKIPPED)."""
    if medium is Medium.EMAIL and settings.smtp_host:
        from oms_graph.adapters.notifications.email import SmtpSender

        return SmtpSender(settings)
    if medium is Medium.SMS and settings.sms_url:
        from oms_graph.adapters.notifications.sms import HttpSms

        return HttpSms(settings.sms_url)
    return None
