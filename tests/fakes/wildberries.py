"""Wildberries' marketplace API on loopback (FBS assembly tasks), following its public documentation: the
token as `Authorization`; `GET /api/v3/orders` pages tasks by `next` (`limit` 1 to 1000, `dateFrom`/`dateTo`
Unix seconds; the answer's `next` and `orders`); `POST /api/v3/orders/status` (up to 1000 ids; each one's
`supplierStatus` and `wbStatus`); `PATCH /api/v3/orders/{id}/cancel` (204); `PUT /api/v3/stocks/{warehouseId}`
(up to 1000 barcodes; 204, or 409 naming in `data` the items not taken). A task's shape is the
documentation's example's; `limit_next` requests are answered 429 as WB's limiter does."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fakes.http import Loopback, answer_json

TOKEN = "eyJhbGciOiJFUzI1NiIsImtpZCI6IjIwMjQxMDE2djEiLCJ0eXAiOiJKV1QifQ.fake"
WAREHOUSE = 658434


def task(task_id: int, article: str, kopecks: int, created: datetime) -> dict[str, Any]:
    """An assembly task as /api/v3/orders answers it: one unit of one article."""
    return {
        "address": None,
        "scanPrice": None,
        "deliveryType": "fbs",
        "supplyId": "",
        "orderUid": f"165918930_{task_id:032x}",
        "article": article,
        "colorCode": "",
        "rid": f"{task_id:032x}",
        "createdAt": created.isoformat().replace("+00:00", "Z"),
        "offices": ["Калуга"],
        "skus": ["6665956397512"],
        "id": task_id,
        "warehouseId": WAREHOUSE,
        "nmId": 123456789,
        "chrtId": 987654321,
        "price": kopecks,
        "convertedPrice": kopecks,
        "currencyCode": 643,
        "convertedCurrencyCode": 643,
        "cargoType": 1,
        "isZeroOrder": False,
    }


@dataclass
class FakeWildberries(Loopback):
    tasks: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (supplierStatus, wbStatus)
    cancelled: list[int] = field(default_factory=list)  # tasks the seller cancelled
    stock_requests: list[list[dict[str, Any]]] = field(default_factory=list)
    stocks: dict[str, int] = field(default_factory=dict)  # barcode -> amount
    known_barcodes: set[str] | None = None  # None: every barcode is a card's
    limit_next: int = 0
    limited: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakeWildberries:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _body(self) -> Any:
                return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")

            def _refused(self) -> bool:
                if self.headers.get("Authorization") != TOKEN:
                    body = {"title": "unauthorized", "detail": "token is malformed", "status": 401}
                    answer_json(self, 401, body)
                    return True
                with fake.lock:
                    if fake.limit_next:
                        fake.limit_next -= 1
                        fake.limited += 1
                        body = {"title": "too many requests", "detail": "Limited by global limiter", "status": 429}
                        answer_json(self, 429, body)
                        return True
                return False

            def _empty(self, status: int = 204) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:  # noqa: N802
                if self._refused():
                    return None
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path != "/api/v3/orders":
                    return answer_json(self, 404, {"code": "NotFound", "message": "Not found"})
                limit, after = int(query.get("limit", 0)), int(query.get("next", -1))
                if not 0 < limit <= 1000 or after < 0:
                    return answer_json(self, 400, {"code": "IncorrectParameter", "message": "limit, next"})
                since, to = int(query.get("dateFrom", 0)), int(query.get("dateTo", 2**40))
                found = [
                    t
                    for t in sorted(fake.tasks, key=lambda t: t["id"])
                    if t["id"] > after and since <= datetime.fromisoformat(t["createdAt"]).timestamp() <= to
                ][:limit]
                return answer_json(self, 200, {"next": found[-1]["id"] if found else after, "orders": found})

            def do_POST(self) -> None:  # noqa: N802
                if self._refused():
                    return None
                ids = self._body().get("orders") or []
                if urlparse(self.path).path != "/api/v3/orders/status" or not 0 < len(ids) <= 1000:
                    return answer_json(self, 400, {"code": "IncorrectRequestBody", "message": "orders: 1 to 1000"})
                found = []
                for task_id in ids:
                    supplier, wb = fake.statuses.get(task_id, ("new", "waiting"))
                    found.append({"id": task_id, "supplierStatus": supplier, "wbStatus": wb})
                return answer_json(self, 200, {"orders": found})

            def do_PATCH(self) -> None:  # noqa: N802
                if self._refused():
                    return None
                parts = urlparse(self.path).path.split("/")  # /api/v3/orders/{id}/cancel
                task_id = int(parts[4])
                fake.cancelled.append(task_id)
                fake.statuses[task_id] = ("cancel", "waiting")
                return self._empty()

            def do_PUT(self) -> None:  # noqa: N802
                if self._refused():
                    return None
                items = self._body().get("stocks") or []
                if not 0 < len(items) <= 1000:
                    return answer_json(self, 400, {"code": "IncorrectRequestBody", "message": "stocks: 1 to 1000"})
                fake.stock_requests.append(items)
                unknown = [i for i in items if fake.known_barcodes is not None and i["sku"] not in fake.known_barcodes]
                for item in items:
                    if item not in unknown:
                        fake.stocks[item["sku"]] = int(item["amount"])
                if unknown:
                    error = {"code": "NotFound", "data": unknown, "message": "Карточка товара не найдена"}
                    raw = json.dumps([error]).encode()
                    self.send_response(409)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                    return None
                return self._empty()

        self.serve(Handler)
        return self
