"""A system on loopback that receives POSTs (webhooks, SMS): it records each request and can answer
with errors for a while."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.http import Loopback, answer_json


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeReceiver(Loopback):
    failures: int = 0  # answer this many requests with 500 first
    received: list[Received] = field(default_factory=list)
    got: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return self.base_url + "/hooks"

    def start(self) -> FakeReceiver:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # connections kept alive, as a real receiver keeps them

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.received.append(Received(self.path, dict(self.headers.items()), body))
                fake.got.set()
                if fake.failures:
                    fake.failures -= 1
                    return answer_json(self, 500, {"error": "try later"})
                answer_json(self, 200, {"ok": True})

        self.serve(Handler)
        return self
