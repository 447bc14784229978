"""A card gateway's REST API on loopback, for the `http` payment adapter: it can decline, answer 500s and
answer late. Like a real gateway it keeps every call by idempotency key (a repeat answers the first
call), keeps each payment's captured and refunded totals, and refuses to refund more than was captured."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.http import Loopback, answer_json


@dataclass
class FakeGateway(Loopback):
    failures: int = 0  # answer this many requests with 500 first
    slow_seconds: float = 0.0  # the first call of each key answers this late (after doing it)
    decline: bool = False  # answer captures and authorisations with 402
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)  # idempotency key -> the call done
    captured: dict[str, Decimal] = field(default_factory=dict)  # payment reference -> total captured
    refunded: dict[str, Decimal] = field(default_factory=dict)
    requests: int = 0
    authorizations: list[str | None] = field(default_factory=list)  # each request's Authorization header
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return self.base_url

    def done(self, kind: str) -> list[dict[str, Any]]:
        """The calls of one kind (authorization, captures, voids, refunds) that moved money."""
        return [c for c in self.calls.values() if c["kind"] == kind]

    def start(self) -> FakeGateway:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers["Idempotency-Key"]
                parts = self.path.strip("/").split("/")  # authorizations | payments/{ref}/{kind}
                kind, reference = (parts[0], None) if len(parts) == 1 else (parts[2], parts[1])
                with fake.lock:
                    fake.requests += 1
                    fake.authorizations.append(self.headers.get("Authorization"))
                    if fake.failures:
                        fake.failures -= 1
                        return self._answer(500, {"error": "try later"})
                    first = key not in fake.calls
                    if first:
                        status, answer = fake._do(kind, reference, body, key)
                        if status != 201:
                            return self._answer(status, answer)
                        fake.calls[key] = {"kind": kind, "reference": reference, "amount": body.get("amount"), **answer}
                if first and fake.slow_seconds:
                    time.sleep(fake.slow_seconds)  # done, but the answer comes too late
                self._answer(201, {"id": fake.calls[key]["id"]})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                answer_json(self, status, body)

        self.serve(Handler)
        return self

    def _do(self, kind: str, reference: str | None, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        amount = body.get("amount")
        if amount is not None and not isinstance(amount, str):
            return 400, {"error": "amounts are decimal strings"}
        money = Decimal(amount) if amount is not None else Decimal(0)
        if kind in ("authorizations", "increments", "captures") and self.decline:
            return 402, {"error": "card declined"}
        if kind == "authorizations":
            return 201, {"id": f"PAY-{len(self.done('authorizations')) + 1}"}
        assert reference is not None
        if kind == "captures":
            self.captured[reference] = self.captured.get(reference, Decimal(0)) + money
        elif kind == "refunds":
            left = self.captured.get(reference, Decimal(0)) - self.refunded.get(reference, Decimal(0))
            if money > left:
                return 422, {"error": f"only {left} left to refund"}
            self.refunded[reference] = self.refunded.get(reference, Decimal(0)) + money
        return 201, {"id": f"{kind[:3].upper()}-{len(self.calls) + 1}"}
