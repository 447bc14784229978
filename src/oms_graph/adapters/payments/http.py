"""A card gateway's REST API. Every call is a POST with an Idempotency-Key header (the transaction's
id), so a retry after a timeout finds the first answer instead of moving money twice:

    POST {url}/authorizations                      {amount, currency, orderNumber} -> {id}
    POST {url}/payments/{reference}/increments     {amount, currency}              -> {id}
    POST {url}/payments/{reference}/captures       {amount, currency}              -> {id}
    POST {url}/payments/{reference}/voids          {amount, currency}              -> {id}
    POST {url}/payments/{reference}/refunds        {amount, currency}              -> {id}

An increment authorises more on the same payment (an edit raised the order's total). Amounts travel as
decimal strings, never floats. A void releases that much of the authorisation: all of it when an order is
cancelled, the part not captured when an order ends smaller than it was authorised, the difference when an
edit lowered its total.
Timeouts and 5xx answers are retried here a few times with backoff, then raised as a transient
PaymentError (the actor retries later); a 4xx (a decline, 402) is permanent.
"""

from __future__ import annotations

from typing import Any

from oms_graph.adapters.outbound import Unreachable, send
from oms_graph.adapters.payments.base import PaymentError, PaymentRequest

ATTEMPTS = 3
BACKOFF_SECONDS = 0.2


class HttpGateway:
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

    async def authorize(self, request: PaymentRequest) -> str:
        return await self._post("/authorizations", request, {**_money(request), "orderNumber": request.order_number})

    async def increment(self, request: PaymentRequest) -> str:
        return await self._post(f"/payments/{_reference(request)}/increments", request, _money(request))

    async def capture(self, request: PaymentRequest) -> str:
        return await self._post(f"/payments/{_reference(request)}/captures", request, _money(request))

    async def void(self, request: PaymentRequest) -> str:
        return await self._post(f"/payments/{_reference(request)}/voids", request, _money(request))

    async def refund(self, request: PaymentRequest) -> str:
        return await self._post(f"/payments/{_reference(request)}/refunds", request, _money(request))

    async def _post(self, path: str, request: PaymentRequest, body: dict[str, Any]) -> str:
        try:
            answer = await send(
                "POST",
                self.url + path,
                attempts=self.attempts,
                backoff=self.backoff,
                try_seconds=self.timeout,
                json=body,
                headers={"Idempotency-Key": request.key, **self.auth},
            )
        except Unreachable as error:
            raise PaymentError(f"{self.name} unreachable after {self.attempts} attempts ({error})") from None
        if answer.status_code >= 400:
            raise PaymentError(f"{self.name} declined: HTTP {answer.status_code} {answer.text[:200]}", permanent=True)
        try:
            return str(answer.json()["id"])
        except (ValueError, KeyError, TypeError) as error:
            raise PaymentError(f"{self.name} answered without an id") from error


def _money(request: PaymentRequest) -> dict[str, str]:
    return {"amount": str(request.amount), "currency": request.currency}


def _reference(request: PaymentRequest) -> str:
    if not request.reference:
        raise PaymentError("there is no authorisation to act on", permanent=True)
    return request.reference
