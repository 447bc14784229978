"""The built-in `manual` provider: cash on delivery, pay at pickup, payment in store. Money changes
hands outside any system, so every call is recorded and answered at once; its reference is derived from
the idempotency key, so calling twice answers the same."""

from __future__ import annotations

import hashlib

from oms_graph.adapters.payments.base import PaymentRequest, register

NAME = "manual"


class Manual:
    name = NAME

    async def authorize(self, request: PaymentRequest) -> str:
        return derived_reference("AU", request)

    async def increment(self, request: PaymentRequest) -> str:
        return derived_reference("IN", request)

    async def capture(self, request: PaymentRequest) -> str:
        return derived_reference("CP", request)

    async def void(self, request: PaymentRequest) -> str:
        return derived_reference("VD", request)

    async def refund(self, request: PaymentRequest) -> str:
        return derived_reference("RF", request)


def derived_reference(prefix: str, request: PaymentRequest) -> str:
    return f"{prefix}{hashlib.sha256(request.key.encode()).hexdigest()[:16].upper()}"


register(NAME, Manual)
