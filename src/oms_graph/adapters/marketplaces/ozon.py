"""Ozon's Seller API (api-seller.ozon.ru), FBS (the seller ships), as its public documentation describes it.
Every request is a POST with the seller's `Client-Id` and `Api-Key` headers and a JSON body:

- `/v3/posting/fbs/list` pages postings (`filter.since`/`filter.to` by processing date, `filter.status`,
  `limit` up to 1000, `offset`; the answer's `result.postings` and `result.has_next`);
- `/v2/posting/fbs/cancel` cancels a posting with a reason id (352: out of stock; 402: other, the seller's);
- `/v1/returns/list` pages the returns whose visual status changed in a window (`filter.visual_status_change_moment`,
  `limit` up to 500, `last_id`; each with its `id`, `posting_number` and `product` offer_id and quantity);
- `/v2/products/stocks` sets a warehouse's stock of up to 100 offers per request (`stocks`: offer_id, stock,
  warehouse_id); each item answers `updated` or its `errors` (TOO_MANY_REQUESTS: that offer's stock was set
  less than 30 s ago; it goes again at the next push).

An error answers `{"code", "message", "details"}`; a 429 (the per-second limit) is waited out and tried
again; 5xx and timeouts are retried, then raised as transient; another 4xx is permanent, with Ozon's message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from oms_graph.adapters.carriers.base import Booking, CarrierError, ShipmentRequest
from oms_graph.adapters.marketplaces.base import MarketplaceError, call
from oms_graph.adapters.outbound import Answer
from oms_graph.domain.marketplaces import PostedLine, Posting, Returned, batches

STOCK_BATCH = 100  # offers per /v2/products/stocks request, Ozon's limit
OUT_OF_STOCK, SELLER_OTHER = 352, 402  # cancel_reason_id


class OzonSeller:
    def __init__(self, name: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        self.name = name
        self.url = str(settings["baseUrl"]).rstrip("/")
        self.warehouse_id = int(settings["warehouseId"])
        self.page = int(settings.get("pageSize", 100))
        self.timeout = float(settings.get("timeoutSeconds", 10.0))
        self.headers = {"Client-Id": secrets["clientId"], "Api-Key": secrets["apiKey"]}

    def postings(self, since: datetime, to: datetime) -> AsyncIterator[Posting]:
        return self._listed(since, to, status=None)

    async def returns(self, since: datetime, to: datetime) -> AsyncIterator[Returned]:
        last = 0
        while True:
            window = {"visual_status_change_moment": {"time_from": _iso(since), "time_to": _iso(to)}}
            body = await self.post_json("/v1/returns/list", {"filter": window, "limit": 500, "last_id": last})
            found = body.get("returns") or []
            for raw in found:
                product = raw.get("product") or {}
                status = ((raw.get("visual") or {}).get("status") or {}).get("display_name")
                yield Returned(
                    number=str(raw["id"]),
                    posting=str(raw["posting_number"]),
                    sku=str(product["offer_id"]),
                    quantity=int(product.get("quantity") or 1),
                    reason=raw.get("return_reason_name") or status,
                )
            if not body.get("has_next") or not found:
                return
            last = int(found[-1]["id"])

    async def cancelled_among(self, numbers: Sequence[str], since: datetime) -> dict[str, str | None]:
        """Ozon's cancelled postings since then (one list, paged), those of `numbers`."""
        wanted, found = set(numbers), dict[str, str | None]()
        if wanted:
            async for posting in self._listed(since, datetime.now(UTC), status="cancelled"):
                if posting.number in wanted:
                    found[posting.number] = posting.cancel_reason
        return found

    async def _listed(self, since: datetime, to: datetime, *, status: str | None) -> AsyncIterator[Posting]:
        """The postings processed in the window (with `status`: only those), page by page, oldest first."""
        offset = 0
        while True:
            window: dict[str, Any] = {"since": _iso(since), "to": _iso(to)}
            if status:
                window["status"] = status
            asked = {"dir": "ASC", "filter": window, "limit": self.page, "offset": offset, "with": {}}
            result = (await self.post_json("/v3/posting/fbs/list", asked)).get("result") or {}
            for raw in result.get("postings") or []:
                yield _posting(raw)
            if not result.get("has_next"):
                return
            offset += self.page

    async def cancel(self, number: str, *, out_of_stock: bool, message: str) -> None:
        reason = OUT_OF_STOCK if out_of_stock else SELLER_OTHER
        body = {"cancel_reason_id": reason, "cancel_reason_message": message[:500], "posting_number": number}
        await self.post_json("/v2/posting/fbs/cancel", body)

    async def push_stock(self, figures: Mapping[str, int], barcodes: Mapping[str, str]) -> set[str]:
        """Set the warehouse's stock of each sku (its offer), in batches Ozon takes; the skus Ozon did not
        update (to send again)."""
        left: set[str] = set()
        for batch in batches(sorted(figures), STOCK_BATCH):
            stocks = [
                {"offer_id": sku, "stock": max(0, figures[sku]), "warehouse_id": self.warehouse_id} for sku in batch
            ]
            result = (await self.post_json("/v2/products/stocks", {"stocks": stocks})).get("result") or []
            updated = {item.get("offer_id") for item in result if item.get("updated")}
            left |= set(batch) - updated
        return left

    async def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """A call answered with JSON (its object)."""
        found = (await self.post(path, body)).json()
        return found if isinstance(found, dict) else {}

    async def post(self, path: str, body: dict[str, Any]) -> Answer:
        """A call (a 429 waited out and tried again; another 4xx refused for good), its answer as it came."""
        return await call(
            self.name, "POST", self.url + path, try_seconds=self.timeout, headers=self.headers, told=_message, json=body
        )


class OzonShipping:
    """Ozon as the carrier of its FBS postings (Ozon's logistics collect them): booking a shipment tells Ozon
    the posting is packed (`/v4/posting/fbs/ship`, one package of its products, once: a posting already
    past awaiting_packaging is not shipped again) and takes Ozon's label (`/v2/posting/fbs/package-label`)
    as the shipment's. The tracking number is the posting number. A cancelled shipment needs no call: its
    order's cancellation cancels the posting (marketplace.cancel)."""

    def __init__(self, seller: OzonSeller) -> None:
        self.name, self.seller = seller.name, seller

    async def book(self, request: ShipmentRequest) -> Booking:
        number = request.reference
        if not number:
            message = f"{self.name} carries only its own postings (an order with its posting number)"
            raise CarrierError(message, permanent=True)
        try:
            asked = {"posting_number": number, "with": {}}
            found = (await self.seller.post_json("/v3/posting/fbs/get", asked)).get("result") or {}
            if found.get("status") == "cancelled":
                raise CarrierError(f"{self.name}: posting {number} is cancelled", permanent=True)
            if found.get("status") == "awaiting_packaging":
                products = [{"product_id": p["sku"], "quantity": p["quantity"]} for p in found.get("products") or []]
                packed = {"packages": [{"products": products}], "posting_number": number}
                await self.seller.post_json("/v4/posting/fbs/ship", packed)
        except MarketplaceError as error:
            raise CarrierError(str(error), permanent=error.permanent) from None
        try:  # Ozon has the label a little after the posting is shipped: until then, asked again with backoff
            label = await self.seller.post("/v2/posting/fbs/package-label", {"posting_number": [number]})
        except MarketplaceError as error:
            raise CarrierError(f"{self.name}: the label of {number} is not ready ({error})") from None
        if not label.content.startswith(b"%PDF"):
            raise CarrierError(f"{self.name}: the label of {number} is not ready yet")
        return Booking(tracking_number=number, service="FBS", label=label.content)

    async def cancel(self, tracking_number: str) -> None:
        return None


def _posting(raw: Mapping[str, Any]) -> Posting:
    cancellation = raw.get("cancellation") or {}
    customer = raw.get("customer") or {}
    addressee = raw.get("addressee") or {}
    processed = raw.get("in_process_at")
    return Posting(
        number=str(raw["posting_number"]),
        cancelled=raw.get("status") == "cancelled",
        processed_at=datetime.fromisoformat(processed.replace("Z", "+00:00")) if processed else None,
        lines=tuple(
            PostedLine(str(p["offer_id"]), int(p["quantity"]), Decimal(str(p["price"])).quantize(Decimal("0.01")))
            for p in raw.get("products") or []
        ),
        cancel_reason=cancellation.get("cancel_reason") or None,
        buyer={
            "name": customer.get("name") or addressee.get("name"),
            "phone": customer.get("phone") or addressee.get("phone"),
            "email": customer.get("customer_email"),
        },
    )


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _message(answer: Answer) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:200]
    return str(body.get("message") or body) if isinstance(body, dict) else str(body)[:200]
