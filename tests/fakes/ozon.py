"""Ozon's Seller API on loopback (FBS), following its public documentation: every call a POST with the
`Client-Id` and `Api-Key` headers; `/v3/posting/fbs/list` pages postings by processing date (`filter.since`,
`filter.to`, `filter.status`; `limit` at most 1000, `offset`; `result.postings`, `result.has_next`);
`/v3/posting/fbs/get`; `/v4/posting/fbs/ship` (the packages' products by Ozon's sku: the posting is then
awaiting_deliver); `/v2/posting/fbs/package-label` (the PDF, once `label_after` asks have been refused as not
ready); `/v1/returns/list` (by `filter.visual_status_change_moment`, `last_id`, `limit` up to 500, `has_next`);
`/v2/posting/fbs/cancel` (`cancel_reason_id`, `cancel_reason_message`, `posting_number`); `/v2/products/stocks`
(at most 100 `stocks` per request; an offer's stock at a warehouse set again within 30 s answers
TOO_MANY_REQUESTS for that item). Errors are `{"code", "message", "details"}`; `limit_next` requests are
answered 429 as the per-second limit is. The postings' shape is the documentation's example's."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.http import Loopback, answer_json

CLIENT_ID, API_KEY = "836231", "a7b9c1d2-e3f4-4a5b-8c6d-7e8f9a0b1c2d"
WAREHOUSE = 21321684811000
LABEL = b"%PDF-1.4\n% an Ozon FBS label\n%%EOF\n"
STOCK_INTERVAL = 30.0  # seconds between two updates of an offer's stock at a warehouse


def posting(
    number: str, lines: list[tuple[str, int, str]], at: str, status: str = "awaiting_packaging"
) -> dict[str, Any]:
    """A posting as /v3/posting/fbs/list answers it (the documentation's example, with these lines)."""
    return {
        "posting_number": number,
        "order_id": int(number.split("-")[0]),
        "order_number": number.rsplit("-", 1)[0],
        "status": status,
        "delivery_method": {
            "id": WAREHOUSE,
            "name": "Ozon Логистика самостоятельно, Красногорск",
            "warehouse_id": WAREHOUSE,
            "warehouse": "Стим Тойс Нахабино",
            "tpl_provider_id": 24,
            "tpl_provider": "Ozon Логистика",
        },
        "tracking_number": "",
        "tpl_integration_type": "ozon",
        "in_process_at": at,
        "shipment_date": at,
        "delivering_date": None,
        "cancellation": {
            "cancel_reason_id": 0,
            "cancel_reason": "",
            "cancellation_type": "",
            "cancelled_after_ship": False,
            "affect_cancellation_rating": False,
            "cancellation_initiator": "",
        },
        "customer": None,
        "products": [
            {
                "price": f"{price}0000",
                "offer_id": sku,
                "name": f"Товар {sku}",
                "sku": 1203402851 + i,
                "quantity": quantity,
                "mandatory_mark": [],
                "currency_code": "RUB",
            }
            for i, (sku, quantity, price) in enumerate(lines)
        ],
        "addressee": None,
        "barcodes": None,
        "analytics_data": None,
        "financial_data": None,
        "is_express": False,
    }


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class FakeOzon(Loopback):
    postings: list[dict[str, Any]] = field(default_factory=list)
    lists: list[dict[str, Any]] = field(default_factory=list)  # /v3/posting/fbs/list bodies
    cancels: list[dict[str, Any]] = field(default_factory=list)
    stock_requests: list[list[dict[str, Any]]] = field(default_factory=list)
    stocks: dict[tuple[str, int], int] = field(default_factory=dict)  # (offer, warehouse) -> stock
    stocked_at: dict[tuple[str, int], float] = field(default_factory=dict)
    unknown_offers: set[str] = field(default_factory=set)
    shipped: list[dict[str, Any]] = field(default_factory=list)  # /v4/posting/fbs/ship bodies
    returns: list[dict[str, Any]] = field(default_factory=list)
    label_after: int = 0  # label asks answered "not ready" first
    limit_next: int = 0  # the next requests answered 429
    limited: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cancel_at_ozon(self, number: str, reason: str = "Покупатель отменил заказ") -> None:
        """The buyer cancels the posting at Ozon."""
        for found in self.postings:
            if found["posting_number"] == number:
                found["status"] = "cancelled"
                found["cancellation"] |= {
                    "cancel_reason_id": 401,
                    "cancel_reason": reason,
                    "cancellation_initiator": "CLIENT",
                }

    def start(self) -> FakeOzon:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if self.headers.get("Client-Id") != CLIENT_ID or self.headers.get("Api-Key") != API_KEY:
                    return answer_json(
                        self, 403, {"code": 7, "message": "Invalid Api-Key, please contact support", "details": []}
                    )
                with fake.lock:
                    if fake.limit_next:
                        fake.limit_next -= 1
                        fake.limited += 1
                        message = "You have reached request rate limit per second"
                        return answer_json(self, 429, {"code": 8, "message": message, "details": []})
                    if self.path == "/v3/posting/fbs/list":
                        return self._list(body)
                    if self.path == "/v2/posting/fbs/cancel":
                        return self._cancel(body)
                    if self.path == "/v2/products/stocks":
                        return self._stocks(body)
                    if self.path == "/v1/returns/list":
                        return self._returns(body)
                    if self.path == "/v3/posting/fbs/get":
                        return self._get(body)
                    if self.path == "/v4/posting/fbs/ship":
                        return self._ship(body)
                    if self.path == "/v2/posting/fbs/package-label":
                        return self._label(body)
                return answer_json(self, 404, {"code": 5, "message": "Not found", "details": []})

            def _list(self, body: dict[str, Any]) -> None:
                fake.lists.append(body)
                window, limit, offset = body.get("filter") or {}, int(body.get("limit", 0)), int(body.get("offset", 0))
                if not window.get("since") or not window.get("to") or not 0 < limit <= 1000:
                    message = "filter.since, filter.to and a limit of 1 to 1000 are required"
                    return answer_json(self, 400, {"code": 3, "message": message, "details": []})
                since, to = _at(window["since"]), _at(window["to"])
                found = [
                    p
                    for p in sorted(fake.postings, key=lambda p: p["in_process_at"])
                    if since <= _at(p["in_process_at"]) <= to and window.get("status") in (None, p["status"])
                ]
                page = found[offset : offset + limit]
                return answer_json(self, 200, {"result": {"postings": page, "has_next": offset + limit < len(found)}})

            def _returns(self, body: dict[str, Any]) -> None:
                window = (body.get("filter") or {}).get("visual_status_change_moment") or {}
                limit, last = int(body.get("limit", 0)), int(body.get("last_id", 0))
                if not window.get("time_from") or not 0 < limit <= 500:
                    message = "filter.visual_status_change_moment and a limit of 1 to 500 are required"
                    return answer_json(self, 400, {"code": 3, "message": message, "details": []})
                since, to = _at(window["time_from"]), _at(window["time_to"])
                found = [
                    r
                    for r in sorted(fake.returns, key=lambda r: r["id"])
                    if r["id"] > last and since <= _at(r["visual"]["change_moment"]) <= to
                ]
                return answer_json(self, 200, {"returns": found[:limit], "has_next": len(found) > limit})

            def _found(self, number: object) -> dict[str, Any] | None:
                return next((p for p in fake.postings if p["posting_number"] == number), None)

            def _get(self, body: dict[str, Any]) -> None:
                found = self._found(body.get("posting_number"))
                if found is None:
                    return answer_json(self, 404, {"code": 5, "message": "Posting not found", "details": []})
                return answer_json(self, 200, {"result": found})

            def _ship(self, body: dict[str, Any]) -> None:
                found = self._found(body.get("posting_number"))
                if found is None or found["status"] != "awaiting_packaging":
                    message = "POSTING_ALREADY_SHIPPED" if found else "Posting not found"
                    return answer_json(self, 400, {"code": 3, "message": message, "details": []})
                packed = sorted((p["product_id"], p["quantity"]) for pack in body["packages"] for p in pack["products"])
                if packed != sorted((p["sku"], p["quantity"]) for p in found["products"]):
                    return answer_json(self, 400, {"code": 3, "message": "INVALID_PRODUCTS", "details": []})
                fake.shipped.append(body)
                found["status"] = "awaiting_deliver"
                return answer_json(self, 200, {"result": [found["posting_number"]]})

            def _label(self, body: dict[str, Any]) -> None:
                numbers = body.get("posting_number") or []
                if any((self._found(n) or {}).get("status") != "awaiting_deliver" for n in numbers) or not numbers:
                    return answer_json(self, 400, {"code": 3, "message": "POSTINGS_NOT_READY", "details": []})
                if fake.label_after:
                    fake.label_after -= 1
                    return answer_json(self, 400, {"code": 3, "message": "POSTINGS_NOT_READY", "details": []})
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                self.send_header("Content-Length", str(len(LABEL)))
                self.end_headers()
                self.wfile.write(LABEL)
                return None

            def _cancel(self, body: dict[str, Any]) -> None:
                fake.cancels.append(body)
                for found in fake.postings:
                    if found["posting_number"] == body.get("posting_number"):
                        found["status"] = "cancelled"
                        found["cancellation"] |= {
                            "cancel_reason_id": body.get("cancel_reason_id"),
                            "cancel_reason": body.get("cancel_reason_message"),
                            "cancellation_initiator": "SELLER",
                        }
                        return answer_json(self, 200, {"result": True})
                return answer_json(self, 404, {"code": 5, "message": "Posting not found", "details": []})

            def _stocks(self, body: dict[str, Any]) -> None:
                items = body.get("stocks") or []
                if not 0 < len(items) <= 100:
                    message = "stocks: from 1 to 100 items per request"
                    return answer_json(self, 400, {"code": 3, "message": message, "details": []})
                fake.stock_requests.append(items)
                result, now = [], time.monotonic()
                for item in items:
                    key = (item["offer_id"], int(item["warehouse_id"]))
                    errors = []
                    if item["offer_id"] in fake.unknown_offers:
                        errors.append({"code": "NOT_FOUND", "message": "Product not found"})
                    elif now - fake.stocked_at.get(key, -STOCK_INTERVAL) < STOCK_INTERVAL:
                        errors.append({"code": "TOO_MANY_REQUESTS", "message": "Too many requests"})
                    else:
                        fake.stocks[key], fake.stocked_at[key] = int(item["stock"]), now
                    result.append(
                        {
                            "warehouse_id": key[1],
                            "product_id": 0,
                            "offer_id": key[0],
                            "updated": not errors,
                            "errors": errors,
                        }
                    )
                return answer_json(self, 200, {"result": result})

        self.serve(Handler)
        return self


def returned(return_id: int, number: str, sku: str, quantity: int, at: str) -> dict[str, Any]:
    """A return as /v1/returns/list answers it (the documentation's example, with these values)."""
    return {
        "id": return_id,
        "company_id": 836231,
        "return_reason_name": "Не подошёл размер",
        "type": "FullReturn",
        "schema": "Fbs",
        "order_id": int(number.split("-")[0]),
        "order_number": number.rsplit("-", 1)[0],
        "posting_number": number,
        "place": {"id": 21321684811000, "name": "Стим Тойс Нахабино", "address": "Нахабино"},
        "product": {
            "sku": 1203402851,
            "offer_id": sku,
            "name": f"Товар {sku}",
            "price": {"currency_code": "RUB", "price": 1390},
            "quantity": quantity,
        },
        "logistic": {"return_date": at, "final_moment": None, "barcode": "ii5275210303"},
        "visual": {
            "status": {"id": 3, "display_name": "В пути к продавцу", "sys_name": "MovingToSeller"},
            "change_moment": at,
        },
    }
