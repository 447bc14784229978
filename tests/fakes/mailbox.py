"""A mail server on loopback (aiosmtpd) that keeps what it receives, for the notification tests."""

from __future__ import annotations

from email import message_from_bytes, policy


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.mails: list = []
        self.port = 0  # where its server listens (set by the fixture)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.mails.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"
