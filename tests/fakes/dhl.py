"""DHL Parcel DE Shipping API v2 on loopback, following its public documentation: `dhl-api-key` and Basic
authentication on every call; `POST /orders` answers 200 with each item's `shipmentNo`, `sstatus` and the label
as base64 PDF, or 400 with the item's `validationMessages`; `DELETE /orders?profile=&shipment=` cancels; 401
without the right credentials, 429 when told to slow down. The Shipment Tracking API beside it:
`GET /track/shipments?trackingNumber=&service=parcel-de` with the `DHL-API-Key` header answers the parcel's
`status.statusCode` (pre-transit, transit, delivered, failure), or 404 for a number DHL does not know."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fakes.http import Loopback, answer_json

API_KEY, USER, PASSWORD = "d3m0-app-key", "user-valid", "SandboxPasswort2023!"
LABEL = b"%PDF-1.4\n% a DHL label\n%%EOF\n"


@dataclass
class FakeDhl(Loopback):
    failures: int = 0  # answer this many creates with 500 (nothing made)
    slow_down: bool = False  # answer 429
    created: list[dict[str, Any]] = field(default_factory=list)  # each shipment made
    cancelled: list[str] = field(default_factory=list)
    queries: list[dict[str, list[str]]] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)  # shipment number -> tracking statusCode
    tracked: list[str] = field(default_factory=list)  # numbers asked about

    def start(self) -> FakeDhl:
        fake = self
        basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _refused(self) -> bool:
                if self.headers.get("dhl-api-key") == API_KEY and self.headers.get("Authorization") == basic:
                    return False
                answer_json(
                    self,
                    401,
                    {
                        "status": {
                            "title": "Unauthorized",
                            "statusCode": 401,
                            "detail": "Unauthorized for given resource.",
                        }
                    },
                )
                return True

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                if self._refused():
                    return None
                if fake.slow_down:
                    return answer_json(self, 429, {"status": {"title": "Too Many Requests", "statusCode": 429}})
                if fake.failures:
                    fake.failures -= 1
                    return answer_json(self, 500, {"status": {"title": "Internal Server Error", "statusCode": 500}})
                fake.queries.append(parse_qs(urlparse(self.path).query))
                shipment = body["shipments"][0]
                consignee = shipment["consignee"]
                problems = []
                if not consignee.get("postalCode"):
                    problems.append(("shipments[0].consignee.postalCode", "Die Postleitzahl fehlt."))
                if len(consignee.get("country", "")) != 3:
                    problems.append(("shipments[0].consignee.country", "Country code must be ISO 3166-1 alpha-3."))
                if problems:
                    messages = [
                        {"property": p, "validationMessage": m, "validationState": "Error"} for p, m in problems
                    ]
                    item = {"sstatus": {"title": "Bad Request", "statusCode": 400}, "validationMessages": messages}
                    status = {"title": "Bad Request", "statusCode": 400, "detail": "Invalid request"}
                    return answer_json(self, 400, {"status": status, "items": [item]})
                number = f"0034043416109404{2557 + len(fake.created):04d}"
                fake.created.append({"shipmentNo": number, **shipment})
                item = {
                    "shipmentNo": number,
                    "sstatus": {"title": "OK", "statusCode": 200},
                    "shipmentRefNo": shipment.get("refNo"),
                    "label": {
                        "b64": base64.b64encode(LABEL).decode(),
                        "fileFormat": "PDF",
                        "printFormat": "910-300-700",
                    },
                    "validationMessages": [],
                }
                answer_json(self, 200, {"status": {"title": "OK", "statusCode": 200}, "items": [item]})

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                if url.path != "/track/shipments" or self.headers.get("DHL-API-Key") != API_KEY:
                    return answer_json(self, 401, {"title": "Unauthorized", "status": 401})
                number = parse_qs(url.query)["trackingNumber"][0]
                fake.tracked.append(number)
                code = fake.statuses.get(number)
                if code is None:
                    detail = "No shipment with given tracking number found."
                    return answer_json(
                        self, 404, {"type": "about:blank", "title": "No result found", "status": 404, "detail": detail}
                    )
                status = {
                    "timestamp": "2026-12-06T10:00:00",
                    "location": {"address": {"addressLocality": "Berlin"}},
                    "statusCode": code,
                    "status": {"transit": "In transit", "delivered": "Delivered"}.get(code, code),
                    "description": "The shipment has been processed in the parcel center",
                }
                shipment = {"id": number, "service": "parcel-de", "status": status, "details": {}, "events": [status]}
                return answer_json(self, 200, {"shipments": [shipment]})

            def do_DELETE(self) -> None:  # noqa: N802
                if self._refused():
                    return None
                number = parse_qs(urlparse(self.path).query)["shipment"][0]
                fake.cancelled.append(number)
                item = {"shipmentNo": number, "sstatus": {"title": "OK", "statusCode": 200}}
                answer_json(self, 200, {"status": {"title": "OK", "statusCode": 200}, "items": [item]})

        self.serve(Handler)
        return self

    @property
    def url(self) -> str:
        return f"{self.base_url}/parcel/de/shipping/v2"
