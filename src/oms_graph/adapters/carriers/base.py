"""What oms-graph asks of a carrier, and the registry of carriers by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from oms_graph.domain.fulfilment import ShipmentStatus


class CarrierError(Exception):
    """The carrier refused or failed; `permanent` ones are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Parcel:
    weight_grams: int


@dataclass(frozen=True)
class ShipmentRequest:
    """One shipment to book. `key` is the idempotency key: the same key books at most once."""

    key: str
    service: str | None
    sender: dict[str, Any]
    recipient: dict[str, Any]
    parcels: tuple[Parcel, ...]
    reference: str | None = None  # the order's external id (a marketplace's posting number), where it has one


@dataclass(frozen=True)
class Booking:
    tracking_number: str
    service: str | None = None
    label: bytes | None = None  # the carrier's own label (PDF), where it issues one
    waybill: bytes | None = None  # the carrier's waybill (PDF), where it issues one


@dataclass(frozen=True)
class RateRequest:
    """A price asked before the order exists: parcels from a point (a location's coordinates) to an address."""

    origin: tuple[float, float]  # latitude, longitude
    recipient: dict[str, Any]
    parcels: tuple[Parcel, ...]


@dataclass(frozen=True)
class Rate:
    """A carrier's price and transit time (working days, the longest it states) for a RateRequest."""

    price: Decimal
    currency: str
    days: int


class Carrier(Protocol):
    name: str

    async def book(self, request: ShipmentRequest) -> Booking: ...

    async def cancel(self, tracking_number: str) -> None: ...


@runtime_checkable
class Quoting(Protocol):
    """A carrier that prices a delivery before it is booked (its rate calculator)."""

    name: str

    async def quote(self, request: RateRequest) -> Rate: ...


@runtime_checkable
class Tracking(Protocol):
    """A carrier whose parcels' statuses are asked for (polled), where it sends no webhooks."""

    name: str

    async def track(self, tracking_number: str) -> ShipmentStatus | None: ...


@runtime_checkable
class Subscribing(Protocol):
    """A carrier that sends its status webhooks to a URL it is told (CDEK's `POST /webhooks`)."""

    name: str

    async def subscribe(self, url: str) -> str: ...


_factories: dict[str, Callable[[], Carrier]] = {}


def register(name: str, factory: Callable[[], Carrier]) -> None:
    _factories[name] = factory


def connected_carrier(adapter: str, name: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> Carrier:
    """The carrier a connector sets up: its adapter, with the connector's settings and secrets."""
    from oms_graph.adapters.carriers.cdek import CdekCarrier
    from oms_graph.adapters.carriers.dhl import DhlParcelDe
    from oms_graph.adapters.carriers.http import HttpCarrier

    if adapter == "http":
        timeout = float(settings.get("timeoutSeconds", 10.0))
        return HttpCarrier(name, str(settings["baseUrl"]), timeout=timeout, api_key=secrets.get("apiKey"))
    if adapter == "cdek":
        return CdekCarrier(name, settings, secrets)
    if adapter == "dhl_parcel_de":
        return DhlParcelDe(name, settings, secrets)
    raise CarrierError(f"no carrier adapter {adapter!r}", permanent=True)


def carrier_named(name: str, *, http_carriers: Mapping[str, str]) -> Carrier:
    """The carrier for a name: one registered in code (the built-in `courier`), or one configured in
    OMS_HTTP_CARRIERS (a JSON object of name to REST API base URL); CarrierError (permanent) otherwise."""
    from oms_graph.adapters.carriers import courier  # noqa: F401  (registers the built-in carrier)
    from oms_graph.adapters.carriers.http import HttpCarrier

    if name in _factories:
        return _factories[name]()
    url = http_carriers.get(name)
    if url is None:
        raise CarrierError(f"no carrier named {name!r}", permanent=True)
    return HttpCarrier(name, url)
