"""The built-in `exchange` provider: a replacement paid by the goods the customer sends back. The returned
units' value stays with the merchant for the replacement, so no money moves: every call is answered at once
(giving the credit back when the replacement is called off), with a reference derived from the idempotency
key."""

from __future__ import annotations

from oms_graph.adapters.payments.base import PaymentRequest, register
from oms_graph.adapters.payments.manual import derived_reference

NAME = "exchange"


class ExchangeCredit:
    name = NAME

    async def authorize(self, request: PaymentRequest) -> str:
        return derived_reference("XA", request)

    async def increment(self, request: PaymentRequest) -> str:
        return derived_reference("XI", request)

    async def capture(self, request: PaymentRequest) -> str:
        return derived_reference("XC", request)

    async def void(self, request: PaymentRequest) -> str:
        return derived_reference("XV", request)

    async def refund(self, request: PaymentRequest) -> str:
        return derived_reference("XR", request)


register(NAME, ExchangeCredit)
