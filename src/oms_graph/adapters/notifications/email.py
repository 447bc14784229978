"""Email over SMTP (aiosmtplib): OMS_SMTP_HOST, OMS_SMTP_PORT, OMS_SMTP_FROM, optional STARTTLS and login."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from oms_graph.config import Settings


class SmtpSender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, *, recipient: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.settings.smtp_from, recipient, subject
        message.set_content(body)
        await aiosmtplib.send(
            message,
            hostname=self.settings.smtp_host,
            port=self.settings.smtp_port,
            username=self.settings.smtp_username,
            password=self.settings.smtp_password,
            start_tls=self.settings.smtp_starttls,
            timeout=10,
        )
