"""A carrier's REST API: `POST {url}/shipments` books (with an Idempotency-Key header, so a retry after a
timeout finds the first booking instead of making a second), `DELETE {url}/shipments/{tracking}` cancels.

Timeouts and 5xx answers are retried here a few times with backoff, then raised as a transient
CarrierError (the actor retries later); any other 4xx is permanent.
"""

from __future__ import annotations

from typing import Any

from oms_graph.adapters.carriers.base import Booking, CarrierError, ShipmentRequest
from oms_graph.adapters.outbound import Answer, Unreachable, send

ATTEMPTS = 4
BACKOFF_SECONDS = 0.2


class HttpCarrier:
    def __init__(
        self,
        name: str,
        url: str,
        *,
        timeout: float = 10.0,
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF_SECONDS,
        api_key: str | None = None,
    ) -> None:
        self.name, self.url = name, url.rstrip("/")
        self.timeout, self.attempts, self.backoff = timeout, attempts, backoff
        self.auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    async def book(self, request: ShipmentRequest) -> Booking:
        body = {
            "service": request.service,
            "sender": request.sender,
            "recipient": request.recipient,
            "parcels": [{"weightGrams": p.weight_grams} for p in request.parcels],
        }
        answer = await self._send(
            "POST", "/shipments", json=body, headers={"Idempotency-Key": request.key, **self.auth}
        )
        try:
            found = answer.json()
            return Booking(tracking_number=str(found["trackingNumber"]), service=found.get("service"))
        except (ValueError, KeyError, TypeError) as error:
            raise CarrierError(f"{self.name} answered a booking without a tracking number") from error

    async def cancel(self, tracking_number: str) -> None:
        await self._send("DELETE", f"/shipments/{tracking_number}", headers=self.auth)

    async def _send(self, method: str, path: str, **arguments: Any) -> Answer:
        try:
            answer = await send(
                method,
                self.url + path,
                attempts=self.attempts,
                backoff=self.backoff,
                try_seconds=self.timeout,
                **arguments,
            )
        except Unreachable as error:
            raise CarrierError(f"{self.name} unreachable after {self.attempts} attempts ({error})") from None
        if answer.status_code >= 400:
            raise CarrierError(f"{self.name} refused: HTTP {answer.status_code} {answer.text[:200]}", permanent=True)
        return answer
