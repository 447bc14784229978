"""Wildberries' marketplace API (marketplace-api.wildberries.ru), FBS assembly tasks, as its public
documentation describes it. The seller's token goes as the `Authorization` header.

- `GET /api/v3/orders?limit=&next=&dateFrom=&dateTo=` pages assembly tasks (`next` from the last answer;
  dates as Unix seconds). Each task is one unit of one article (`article`: the seller's, our sku), its `id`
  our posting number, `price` in the smallest unit of the seller's currency (kopecks);
- `POST /api/v3/orders/status` (`orders`: up to 1000 ids) answers each one's `supplierStatus` and `wbStatus`;
  cancelled: `supplierStatus` cancel, or `wbStatus` canceled, canceled_by_client, declined_by_client, defect;
- `PATCH /api/v3/orders/{id}/cancel` cancels a task (204);
- `PUT /api/v3/stocks/{warehouseId}` sets stock by barcode (`stocks`: sku, amount) for up to 1000 per request:
  204, or 409 naming in `data` the items not updated.

A 429 is waited out (a short backoff) and tried again; 5xx and timeouts retried,
then raised as transient; another 4xx is permanent with WB's message.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from oms_graph.adapters.marketplaces.base import call
from oms_graph.adapters.outbound import Answer
from oms_graph.domain.marketplaces import PostedLine, Posting, batches

PAGE = 1000  # tasks per page, WB's limit
STATUS_BATCH = 1000  # ids per status request
STOCK_BATCH = 1000  # barcodes per stock request
CANCELLED = frozenset({"canceled", "canceled_by_client", "declined_by_client", "defect"})


class WildberriesSeller:
    def __init__(self, name: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        self.name = name
        self.url = str(settings["baseUrl"]).rstrip("/")
        self.warehouse_id = int(settings["warehouseId"])
        self.timeout = float(settings.get("timeoutSeconds", 10.0))
        self.headers = {"Authorization": secrets["token"]}

    async def postings(self, since: datetime, to: datetime) -> AsyncIterator[Posting]:
        after = 0
        while True:
            query = {"limit": PAGE, "next": after, "dateFrom": int(since.timestamp()), "dateTo": int(to.timestamp())}
            body = (await self._call("GET", "/api/v3/orders?" + urlencode(query))).json()
            tasks = body.get("orders") or []
            for task in tasks:
                yield _posting(task)
            if len(tasks) < PAGE:
                return
            after = int(body["next"])

    async def cancelled_among(self, numbers: Sequence[str], since: datetime) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        for batch in batches(list(numbers), STATUS_BATCH):
            asked = {"orders": [int(n) for n in batch]}
            answer = (await self._call("POST", "/api/v3/orders/status", json=asked)).json()
            for task in answer.get("orders") or []:
                if task.get("supplierStatus") == "cancel" or task.get("wbStatus") in CANCELLED:
                    found[str(task["id"])] = str(task.get("wbStatus") or task.get("supplierStatus"))
        return found

    async def cancel(self, number: str, *, out_of_stock: bool, message: str) -> None:
        await self._call("PATCH", f"/api/v3/orders/{int(number)}/cancel")

    async def push_stock(self, figures: Mapping[str, int], barcodes: Mapping[str, str]) -> set[str]:
        """WB counts by barcode: a sku without an EAN cannot be sent (and is not kept to send again)."""
        by_barcode = {barcodes[sku]: sku for sku in figures if barcodes.get(sku)}
        left: set[str] = set()
        for batch in batches(sorted(by_barcode), STOCK_BATCH):
            stocks = [{"sku": code, "amount": max(0, min(100_000, figures[by_barcode[code]]))} for code in batch]
            answer = await self._call(
                "PUT", f"/api/v3/stocks/{self.warehouse_id}", json={"stocks": stocks}, allow=(409,)
            )
            if answer.status_code == 409:
                for error in _listed(answer):
                    left |= {by_barcode[d["sku"]] for d in error.get("data") or [] if d.get("sku") in by_barcode}
        return left

    async def _call(self, method: str, path: str, *, json: Any = None, allow: tuple[int, ...] = ()) -> Answer:
        return await call(
            self.name, method, self.url + path, try_seconds=self.timeout, headers=self.headers, told=_message,
            json=json, allow=allow,
        )  # fmt: skip


def _posting(task: Mapping[str, Any]) -> Posting:
    created = task.get("createdAt")
    price = (Decimal(int(task.get("price") or 0)) / 100).quantize(Decimal("0.01"))
    return Posting(
        number=str(task["id"]),
        cancelled=False,  # a task's status is asked apart (cancelled_among)
        processed_at=datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None,
        lines=(PostedLine(str(task["article"]), 1, price),),
    )


def _listed(answer: Answer) -> list[dict[str, Any]]:
    try:
        body = json.loads(answer.content)
    except ValueError:
        return []
    return [e for e in (body if isinstance(body, list) else [body]) if isinstance(e, dict)]


def _message(answer: Answer) -> str:
    errors = _listed(answer)
    if not errors:
        return answer.text[:200]
    first = errors[0]
    return str(first.get("message") or first.get("detail") or first.get("title") or first)[:200]
