"""A carrier's REST API on loopback, for the `http` carrier adapter: it can answer 500s, be slow, refuse,
and send signed tracking webhooks. Bookings are kept by idempotency key, like a real carrier's."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx

from oms_graph.adapters.signing import HEADER, sign
from tests.fakes.http import Loopback, answer_json


@dataclass
class FakeCarrier(Loopback):
    failures: int = 0  # answer this many requests with 500 first
    slow_seconds: float = 0.0  # the first booking answers this late (after storing it)
    hold: threading.Event | None = None  # when given, the first booking answers only once it is set
    refuse: bool = False  # answer 422: a permanent refusal
    bookings: dict[str, dict[str, Any]] = field(default_factory=dict)  # idempotency key -> booking
    cancelled: list[str] = field(default_factory=list)  # tracking numbers
    booked: threading.Event = field(default_factory=threading.Event)  # set at the first booking
    requests: int = 0
    authorizations: list[str | None] = field(default_factory=list)  # each request's Authorization header

    @property
    def url(self) -> str:
        return self.base_url

    def start(self) -> FakeCarrier:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                fake.requests += 1
                fake.authorizations.append(self.headers.get("Authorization"))
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if fake.failures:
                    fake.failures -= 1
                    return self._answer(500, {"error": "try later"})
                if fake.refuse:
                    return self._answer(422, {"error": "no such postcode"})
                key = self.headers["Idempotency-Key"]
                first = key not in fake.bookings
                if first:
                    number = f"FS{len(fake.bookings) + 1:08d}"
                    fake.bookings[key] = {"trackingNumber": number, "service": body["service"] or "parcel"}
                    fake.booked.set()
                if first and fake.slow_seconds:
                    time.sleep(fake.slow_seconds)  # booked, but the answer comes too late
                if first and fake.hold is not None:
                    fake.hold.wait(30)
                self._answer(201, fake.bookings[key])

            def do_DELETE(self) -> None:  # noqa: N802
                tracking = self.path.rsplit("/", 1)[-1]
                fake.cancelled.append(tracking)
                self._answer(200, {"trackingNumber": tracking, "status": "CANCELLED"})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                answer_json(self, status, body)

        self.serve(Handler)
        return self

    def send_tracking(self, api_url: str, carrier: str, secret: str, tracking: str, status: str) -> httpx.Response:
        """What the carrier's systems do when a parcel moves: a signed webhook to the OMS."""
        raw = json.dumps({"trackingNumber": tracking, "status": status}).encode()
        headers = {"Content-Type": "application/json", HEADER: sign(secret, raw)}
        return httpx.post(f"{api_url}/webhooks/carriers/{carrier}", content=raw, headers=headers)
