"""CDEK's integration API v2 (api.cdek.ru/v2; the test server api.edu.cdek.ru/v2), as its public documentation
describes it:

- `POST /oauth/token` (form: grant_type=client_credentials, client_id, client_secret) answers a bearer token
  with `expires_in`; it is kept until shortly before then, and a 401 fetches a new one once;
- `POST /orders` registers an order (type 1, an e-shop's): the answer (202) only accepts the request, so the
  order is read back (`GET /orders/{uuid}`) until its CREATE request is SUCCESSFUL (it then has its
  `cdek_number`, our tracking number) or INVALID (its errors are the refusal);
- the shipment's id is the order's `number`, so a retry first looks for it (`GET /orders?im_number=`) and a
  5xx after CDEK stored the order still makes one order;
- `POST /print/barcodes` asks for the label (A6 PDF), `POST /print/orders` for the waybill (two copies);
  `GET /print/barcodes/{uuid}` (`/print/orders/{uuid}`) says when its `url` is ready;
- `POST /webhooks` subscribes a URL to ORDER_STATUS webhooks;
- `DELETE /orders/{uuid}` cancels;
- `POST /calculator/tariff` prices the connector's tariff from a point to an address (`delivery_sum`,
  `period_max` days, `currency`).
5xx answers and timeouts are retried here, then raised as transient; a 4xx or an INVALID order is permanent,
with CDEK's own messages.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from oms_graph.adapters.carriers.base import Booking, CarrierError, Rate, RateRequest, ShipmentRequest
from oms_graph.adapters.outbound import Answer, Unreachable, send
from oms_graph.domain.fulfilment import ShipmentStatus

ATTEMPTS = 3
BACKOFF_SECONDS = 0.2
EARLY_SECONDS = 60  # a token is renewed this long before CDEK says it expires

# CDEK's order status codes (its webhooks' `attributes.status_code`) as shipment statuses; the rest (CREATED,
# ACCEPTED, INVALID, REMOVED, …) say nothing about the parcel's way and are left alone.
MOVING = (
    "RECEIVED_AT_SHIPMENT_WAREHOUSE",
    "READY_TO_SHIP_AT_SENDING_OFFICE",
    "TAKEN_BY_TRANSPORTER_FROM_SENDER_CITY",
    "SENT_TO_TRANSIT_CITY",
    "ACCEPTED_IN_TRANSIT_CITY",
    "SENT_TO_RECIPIENT_CITY",
    "ACCEPTED_IN_RECIPIENT_CITY",
    "ACCEPTED_AT_PICK_UP_POINT",
    "TAKEN_BY_COURIER",
)
TRACKED = {code: ShipmentStatus.IN_TRANSIT for code in MOVING} | {
    "DELIVERED": ShipmentStatus.DELIVERED,
    "NOT_DELIVERED": ShipmentStatus.FAILED,
}

# (base URL, client id) -> (token, monotonic time it is good until): one token per account and process.
_tokens: dict[tuple[str, str], tuple[str, float]] = {}


class CdekCarrier:
    def __init__(self, name: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        self.name = name
        self.url = str(settings["baseUrl"]).rstrip("/")
        self.tariff_code = int(settings["tariffCode"])
        self.shipment_point = str(settings["shipmentPoint"])
        self.timeout = float(settings.get("timeoutSeconds", 10.0))
        self.poll_seconds = float(settings.get("pollSeconds", 1.0))
        self.polls = int(settings.get("polls", 10))
        self.client_id, self.client_secret = secrets["clientId"], secrets["clientSecret"]

    async def book(self, request: ShipmentRequest) -> Booking:
        uuid = await self._existing(request.key) or await self._register(request)
        number = await self._registered(uuid)
        orders = [{"order_uuid": uuid}]
        label = await self._printed("/print/barcodes", {"orders": orders, "format": "A6"})
        waybill = await self._printed("/print/orders", {"orders": orders, "copy_count": 2})
        return Booking(tracking_number=number, service=str(self.tariff_code), label=label, waybill=waybill)

    async def subscribe(self, url: str) -> str:
        """Have CDEK send its ORDER_STATUS webhooks to `url` (`POST /webhooks`); the subscription's uuid."""
        answer = (await self._call("POST", "/webhooks", json={"url": url, "type": "ORDER_STATUS"})).json()
        return str(answer["entity"]["uuid"])

    async def cancel(self, tracking_number: str) -> None:
        found = await self._call("GET", "/orders?" + urlencode({"cdek_number": tracking_number}), allow=(404,))
        uuid = (found.json().get("entity") or {}).get("uuid") if found.status_code == 200 else None
        if uuid:
            await self._call("DELETE", f"/orders/{uuid}")

    async def quote(self, request: RateRequest) -> Rate:
        """The tariff's price and longest transit time for the parcels; asked once (a checkout does not wait
        for retries: the price table stands in)."""
        latitude, longitude = request.origin
        to = request.recipient
        asked = {
            "tariff_code": self.tariff_code,
            "from_location": {"latitude": latitude, "longitude": longitude},
            "to_location": {
                "address": to.get("line1", ""),
                "city": to.get("city"),
                "postal_code": to.get("postalCode"),
                "country_code": to.get("country"),
            },
            "packages": [{"weight": parcel.weight_grams} for parcel in request.parcels],
        }
        body = (await self._call("POST", "/calculator/tariff", json=asked, attempts=1)).json()
        if refused := _errors(body):
            raise CarrierError(f"{self.name} cannot price it: {refused}", permanent=True)
        total = body.get("total_sum", body["delivery_sum"])
        price = Decimal(str(total)).quantize(Decimal("0.01"))
        return Rate(price, str(body.get("currency", "RUB")), int(body["period_max"]))

    def _order(self, request: ShipmentRequest) -> dict[str, Any]:
        to = request.recipient
        phone = to.get("phone")
        return {
            "type": 1,
            "number": request.key,
            "tariff_code": self.tariff_code,
            "shipment_point": self.shipment_point,
            "recipient": {
                "name": to.get("name") or "",
                "email": to.get("email"),
                "phones": [{"number": phone}] if phone else [],
            },
            "to_location": {
                "address": to.get("line1", ""),
                "city": to.get("city"),
                "postal_code": to.get("postalCode"),
                "country_code": to.get("country"),
            },
            "packages": [
                {"number": f"{request.key[:30]}-{i + 1}", "weight": parcel.weight_grams}
                for i, parcel in enumerate(request.parcels)
            ],
        }

    async def _existing(self, number: str) -> str | None:
        """The order registered for this shipment before (a retry after a lost answer), if any."""
        found = await self._call("GET", "/orders?" + urlencode({"im_number": number}), allow=(404,))
        if found.status_code != 200:
            return None
        entity = found.json().get("entity") or {}
        return str(entity["uuid"]) if entity.get("uuid") else None

    async def _register(self, request: ShipmentRequest) -> str:
        """POST the order once per try: an answer lost to a 5xx or a timeout may still have registered it,
        so before trying again the order is looked for by its number (never registered twice)."""
        for attempt in range(ATTEMPTS):
            if attempt:
                await asyncio.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
                if found := await self._existing(request.key):
                    return found
            try:
                answer = await self._call("POST", "/orders", json=self._order(request), attempts=1)
            except CarrierError as error:
                if error.permanent or attempt == ATTEMPTS - 1:
                    raise
                continue
            break
        body = answer.json()
        refused = _errors(body)
        if refused:
            raise CarrierError(f"{self.name} refused: {refused}", permanent=True)
        return str(body["entity"]["uuid"])

    async def _registered(self, uuid: str) -> str:
        """The order's CDEK number once its registration succeeded; CarrierError when it was INVALID."""
        for attempt in range(self.polls):
            if attempt:
                await asyncio.sleep(self.poll_seconds)
            body = (await self._call("GET", f"/orders/{uuid}")).json()
            created = [r for r in body.get("requests", []) if r.get("type") == "CREATE"]
            state = created[-1].get("state") if created else None
            if state == "INVALID":
                raise CarrierError(f"{self.name} refused: {_errors(body) or 'INVALID'}", permanent=True)
            number = (body.get("entity") or {}).get("cdek_number")
            if state == "SUCCESSFUL" and number:
                return str(number)
        raise CarrierError(f"{self.name}: order {uuid} still being registered")  # transient: asked again later

    async def _printed(self, path: str, asked: dict[str, Any]) -> bytes | None:
        """A document CDEK prints (its label, its waybill): asked for, then read until READY with its URL;
        None when it is not ready in time (a label: our own stands in)."""
        document = str((await self._call("POST", path, json=asked)).json()["entity"]["uuid"])
        for attempt in range(self.polls):
            if attempt:
                await asyncio.sleep(self.poll_seconds)
            entity = (await self._call("GET", f"{path}/{document}")).json().get("entity") or {}
            if entity.get("url") and any(s.get("code") == "READY" for s in entity.get("statuses", [])):
                pdf = await self._call("GET", str(entity["url"]), absolute=True)
                return pdf.content if pdf.content.startswith(b"%PDF") else None
        return None

    async def _token(self, *, fresh: bool = False) -> str:
        key = (self.url, self.client_id)
        kept = _tokens.get(key)
        if kept and not fresh and kept[1] > time.monotonic():
            return kept[0]
        form = urlencode(
            {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret}
        ).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        answer = await self._send("POST", f"{self.url}/oauth/token", content=form, headers=headers)
        if answer.status_code != 200:
            raise CarrierError(f"{self.name} refused the credentials: HTTP {answer.status_code}", permanent=True)
        body = answer.json()
        expires_in = float(body.get("expires_in", 3600))
        _tokens[key] = (str(body["access_token"]), time.monotonic() + max(1.0, expires_in - EARLY_SECONDS))
        return _tokens[key][0]

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        allow: tuple[int, ...] = (),
        absolute: bool = False,
        attempts: int = ATTEMPTS,
    ) -> Answer:
        """A call with the bearer token (a 401 renews it once); a 4xx not allowed is a permanent refusal."""
        url = path if absolute else self.url + path
        answer: Answer | None = None
        for fresh in (False, True):
            headers = {"Authorization": f"Bearer {await self._token(fresh=fresh)}"}
            answer = await self._send(method, url, json=json, headers=headers, attempts=attempts)
            if answer.status_code != 401:
                break
        assert answer is not None
        if answer.status_code >= 400 and answer.status_code not in allow:
            try:
                told = _errors(answer.json())
            except ValueError:
                told = answer.text[:200]
            raise CarrierError(f"{self.name} refused: HTTP {answer.status_code} {told}", permanent=True)
        return answer

    async def _send(self, method: str, url: str, *, attempts: int = ATTEMPTS, **arguments: Any) -> Answer:
        try:
            return await send(
                method, url, attempts=attempts, backoff=BACKOFF_SECONDS, try_seconds=self.timeout, **arguments
            )
        except Unreachable as error:
            raise CarrierError(f"{self.name} unreachable after {attempts} attempts ({error})") from None


def _errors(body: Any) -> str:
    """CDEK's error messages in an answer (`errors`, or each request's `errors`), joined."""
    if not isinstance(body, dict):
        return ""
    found = list(body.get("errors") or [])
    for request in body.get("requests") or []:
        found += request.get("errors") or []
    return "; ".join(f"{e.get('code', '')}: {e.get('message', '')}".strip(": ") for e in found)
