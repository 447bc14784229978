"""CDEK's API v2 on loopback, following its public documentation: OAuth2 client credentials
(`POST /v2/oauth/token`, a form; `expires_in`), orders registered asynchronously (`POST /v2/orders` answers
202 with the entity's uuid and an ACCEPTED request; `GET /v2/orders/{uuid}` then shows the CREATE request
SUCCESSFUL with a `cdek_number`, or INVALID with `errors`), orders found by the shop's number
(`GET /v2/orders?im_number=`) or CDEK's (`?cdek_number=`), labels (`POST /v2/print/barcodes`, then
`GET /v2/print/barcodes/{uuid}` READY with a `url` to the PDF), `DELETE /v2/orders/{uuid}`, the calculator
(`POST /v2/calculator/tariff`: `delivery_sum`, `period_min`/`period_max`, `total_sum`, `currency`), waybills
(`POST /v2/print/orders`, then its READY `url`) and webhook subscriptions (`POST /v2/webhooks`). A request with no
token or an expired one is answered 401. The answers' shapes are the documentation's examples'."""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fakes.http import Loopback, answer_json

CLIENT_ID, CLIENT_SECRET = "EMscd6r9JnFiQ3bLoyjJY6eM78JrJceI", "PjLZkKBHEiLK3YsjtNrt3TGNG0ahs3kG"
LABEL = b"%PDF-1.4\n% a CDEK label\n%%EOF\n"
WAYBILL = b"%PDF-1.4\n% a CDEK waybill\n%%EOF\n"


@dataclass
class FakeCdek(Loopback):
    token_seconds: float = 3600  # what `expires_in` says (and when a token stops working)
    store_then_fail: int = 0  # this many registrations are stored, then answered 500 (the answer is lost)
    invalid: str | None = None  # register INVALID with this message (a refusal)
    polls_until_ready: int = 0  # GET /orders/{uuid} shows ACCEPTED this many times first
    tokens: dict[str, float] = field(default_factory=dict)  # token -> monotonic expiry
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # uuid -> order
    deleted: list[str] = field(default_factory=list)
    unauthorised: int = 0  # requests answered 401
    webhooks: list[dict[str, Any]] = field(default_factory=list)  # subscriptions asked for
    quote_seconds: float = 0.0  # the calculator answers this late
    currency: str = "RUB"  # the calculator's prices are in it
    quotes: list[dict[str, Any]] = field(default_factory=list)  # calculator requests, as asked
    quoted: int = 0  # calculator answers sent
    lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def price(grams: int) -> float:
        """What the fake's tariff costs for a parcel of that weight."""
        return 300.0 + 60.0 * math.ceil(grams / 1000)

    def start(self) -> FakeCdek:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _authorised(self) -> bool:
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                if fake.tokens.get(token, 0) > time.monotonic():
                    return True
                fake.unauthorised += 1
                answer_json(self, 401, {"errors": [{"code": "v2_unauthorized", "message": "Token is not valid"}]})
                return False

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = urlparse(self.path).path
                if path == "/v2/oauth/token":
                    form = parse_qs(raw.decode())
                    fake.token_requests.append(form)
                    if form.get("client_id") != [CLIENT_ID] or form.get("client_secret") != [CLIENT_SECRET]:
                        return answer_json(self, 401, {"error": "invalid_client"})
                    token = uuid.uuid4().hex
                    fake.tokens[token] = time.monotonic() + fake.token_seconds
                    expires = int(fake.token_seconds)
                    body = {"access_token": token, "token_type": "bearer", "expires_in": expires, "scope": "order:all"}
                    return answer_json(self, 200, body | {"jti": uuid.uuid4().hex})
                if not self._authorised():
                    return None
                body = json.loads(raw)
                if path == "/v2/orders":
                    return self._register(body)
                if path == "/v2/calculator/tariff":
                    return self._quote(body)
                if path in ("/v2/print/barcodes", "/v2/print/orders"):
                    order = body["orders"][0]["order_uuid"]
                    kind = "label" if path.endswith("barcodes") else "waybill"
                    return answer_json(self, 202, {"entity": {"uuid": f"{kind}-{order}"}, "requests": []})
                if path == "/v2/webhooks":
                    fake.webhooks.append(body)
                    created = {"type": "CREATE", "state": "SUCCESSFUL"}
                    return answer_json(self, 200, {"entity": {"uuid": str(uuid.uuid4())}, "requests": [created]})
                return answer_json(self, 404, {"errors": [{"code": "v2_not_found", "message": path}]})

            def _quote(self, body: dict[str, Any]) -> None:
                fake.quotes.append(body)
                missing = [k for k in ("tariff_code", "from_location", "to_location", "packages") if not body.get(k)]
                if missing:
                    error = {"code": "v2_field_is_empty", "message": f"Field {missing[0]} is empty"}
                    return answer_json(self, 400, {"errors": [error]})
                time.sleep(fake.quote_seconds)
                grams = sum(int(p["weight"]) for p in body["packages"])
                price = fake.price(grams)
                answer = {
                    "delivery_sum": price,
                    "period_min": 2,
                    "period_max": 4,
                    "calendar_min": 2,
                    "calendar_max": 5,
                    "weight_calc": grams,
                    "services": [],
                    "total_sum": price,
                    "currency": fake.currency,
                }
                answer_json(self, 200, answer)
                fake.quoted += 1
                return None

            def _register(self, body: dict[str, Any]) -> None:
                with fake.lock:
                    key = str(uuid.uuid4())
                    fake.orders[key] = {"body": body, "polls": 0, "number": f"{1106207000 + len(fake.orders)}"}
                    if fake.store_then_fail:
                        fake.store_then_fail -= 1
                        return answer_json(
                            self, 502, {"errors": [{"code": "v2_internal_error", "message": "Bad gateway"}]}
                        )
                request = {"request_uuid": str(uuid.uuid4()), "type": "CREATE", "state": "ACCEPTED", "errors": []}
                answer_json(self, 202, {"entity": {"uuid": key}, "requests": [request]})

            def do_GET(self) -> None:  # noqa: N802
                if not self._authorised():
                    return None
                url = urlparse(self.path)
                query = parse_qs(url.query)
                if url.path == "/v2/orders":
                    wanted = query.get("im_number", query.get("cdek_number", [""]))[0]
                    for key, order in fake.orders.items():
                        if wanted in (order["body"]["number"], order["number"]) and key not in fake.deleted:
                            return answer_json(self, 200, self._entity(key, order, poll=False))
                    return answer_json(self, 404, {"errors": [{"code": "v2_entity_not_found", "message": "Not found"}]})
                if url.path.startswith("/v2/orders/"):
                    key = url.path.rsplit("/", 1)[1]
                    return answer_json(self, 200, self._entity(key, fake.orders[key], poll=True))
                if url.path.startswith(("/v2/print/barcodes/", "/v2/print/orders/")) and url.path.endswith(".pdf"):
                    pdf = LABEL if "/barcodes/" in url.path else WAYBILL
                    self.send_response(200)
                    self.send_header("Content-Type", "application/pdf")
                    self.send_header("Content-Length", str(len(pdf)))
                    self.end_headers()
                    self.wfile.write(pdf)
                    return None
                if url.path.startswith(("/v2/print/barcodes/", "/v2/print/orders/")):
                    key = url.path.rsplit("/", 1)[1]
                    status = [{"code": "ACCEPTED"}, {"code": "PROCESSING"}, {"code": "READY"}]
                    return answer_json(
                        self,
                        200,
                        {"entity": {"uuid": key, "url": f"{fake.base_url}{url.path}.pdf", "statuses": status}},
                    )
                return answer_json(self, 404, {"errors": [{"code": "v2_not_found", "message": url.path}]})

            def do_DELETE(self) -> None:  # noqa: N802
                if not self._authorised():
                    return None
                key = urlparse(self.path).path.rsplit("/", 1)[1]
                fake.deleted.append(key)
                answer_json(self, 202, {"entity": {"uuid": key}, "requests": [{"type": "DELETE", "state": "ACCEPTED"}]})

            def _entity(self, key: str, order: dict[str, Any], *, poll: bool) -> dict[str, Any]:
                if poll:
                    order["polls"] += 1
                if fake.invalid:
                    error = {"code": "v2_invalid_recipient", "message": fake.invalid}
                    created = {"type": "CREATE", "state": "INVALID", "errors": [error]}
                    return {"entity": {"uuid": key}, "requests": [created]}
                ready = order["polls"] > fake.polls_until_ready or not poll
                entity = {"uuid": key, "number": order["body"]["number"], "tariff_code": order["body"]["tariff_code"]}
                if ready:
                    entity["cdek_number"] = order["number"]
                created = {"type": "CREATE", "state": "SUCCESSFUL" if ready else "ACCEPTED"}
                return {"entity": entity, "requests": [created]}

        self.serve(Handler)
        return self

    @property
    def url(self) -> str:
        return f"{self.base_url}/v2"
