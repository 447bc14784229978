"""Text messages through a generic SMS gateway: `POST {OMS_SMS_URL}` with `{"to", "text"}`, retried on
timeouts and 5xx; any other non-2xx answer is a failure."""

from __future__ import annotations

from oms_graph.adapters.outbound import send


class HttpSms:
    def __init__(self, url: str) -> None:
        self.url = url

    async def send(self, *, recipient: str, subject: str, body: str) -> None:
        text = f"{subject}\n{body}"
        answer = await send(
            "POST", self.url, attempts=3, backoff=0.2, try_seconds=10, json={"to": recipient, "text": text}
        )
        if answer.status_code >= 300:
            raise RuntimeError(f"SMS gateway answered HTTP {answer.status_code}")
