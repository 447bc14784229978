"""What oms-graph asks of a payment provider, and the registry of providers by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol


class PaymentError(Exception):
    """The provider declined or failed; `permanent` ones (a decline, a refused request) are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class PaymentRequest:
    """One call. `key` is the idempotency key (the transaction's id): the same key moves money at most
    once. `reference` is the authorisation the call is about (none for an authorisation)."""

    key: str
    order_number: str
    amount: Decimal
    currency: str
    reference: str | None = None


class PaymentProvider(Protocol):
    name: str

    async def authorize(self, request: PaymentRequest) -> str: ...

    async def increment(self, request: PaymentRequest) -> str:
        """Authorise `amount` more on the payment `reference` (an edit raised the order's total)."""
        ...

    async def capture(self, request: PaymentRequest) -> str: ...

    async def void(self, request: PaymentRequest) -> str: ...

    async def refund(self, request: PaymentRequest) -> str: ...


_factories: dict[str, Callable[[], PaymentProvider]] = {}


def register(name: str, factory: Callable[[], PaymentProvider]) -> None:
    _factories[name] = factory


def is_known(name: str, *, http_providers: Mapping[str, str]) -> bool:
    """Whether a provider of that name is registered in code or configured (OMS_HTTP_PAYMENT_PROVIDERS)."""
    from oms_graph.adapters.payments import exchange, manual  # noqa: F401  (register the built-in providers)

    return name in _factories or name in http_providers


def connected_provider(
    adapter: str, name: str, settings: Mapping[str, Any], secrets: Mapping[str, str]
) -> PaymentProvider:
    """The provider a payment connector sets up: its adapter, with the connector's settings and secrets."""
    from oms_graph.adapters.payments.http import HttpGateway

    if adapter == "card_gateway":
        timeout = float(settings.get("timeoutSeconds", 10.0))
        return HttpGateway(name, str(settings["baseUrl"]), timeout=timeout, api_key=secrets.get("apiKey"))
    raise PaymentError(f"no payment adapter {adapter!r}", permanent=True)


def provider_named(name: str, *, http_providers: Mapping[str, str]) -> PaymentProvider:
    """The provider for a name: one registered in code (the built-in `manual`), or one configured in
    OMS_HTTP_PAYMENT_PROVIDERS (a JSON object of name to REST API base URL); PaymentError (permanent)
    otherwise."""
    from oms_graph.adapters.payments.http import HttpGateway

    if not is_known(name, http_providers=http_providers):
        raise PaymentError(f"no payment provider named {name!r}", permanent=True)
    if name in _factories:
        return _factories[name]()
    return HttpGateway(name, http_providers[name])
