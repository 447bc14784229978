"""Marketplace orders as oms-graph orders: a posting (a marketplace's order, shipped by the chain) placed
through the normal path, and the rules of pulling them and pushing stock back. Pure; the adapters speak each
marketplace's API (adapters/marketplaces/), services/marketplaces.py writes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from oms_graph.domain.errors import ErrorCode
from oms_graph.domain.orders import FulfilmentMethod, PaymentMethod

LOOK_BACK = timedelta(hours=1)  # each pull asks again from this long before its cursor (late postings)
CANCELLED_DAYS = 14  # cancellations are looked for among the postings of this many days
# Why a posting may be cancelled at the marketplace: the chain cannot serve it. Any other refusal (a setting
# that makes every posting invalid, say) is the chain's to mend: the posting waits and is tried again.
UNSERVABLE = frozenset({ErrorCode.INSUFFICIENT_STOCK, ErrorCode.UNKNOWN_SKU})


def unservable(codes: Sequence[ErrorCode]) -> bool:
    """Whether a placement refused with these codes is one the chain cannot serve (cancel it there)."""
    return bool(codes) and all(code in UNSERVABLE for code in codes)


@dataclass(frozen=True)
class PostedLine:
    sku: str  # the seller's article (Ozon's offer_id): oms-graph's sku
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class Posting:
    """A marketplace order to ship (Ozon's FBS posting), as the adapter read it."""

    number: str  # the marketplace's own, unique: the order's externalId
    cancelled: bool
    processed_at: datetime | None
    lines: tuple[PostedLine, ...]
    cancel_reason: str | None = None
    buyer: Mapping[str, str | None] = field(default_factory=dict)  # name, phone, email where it tells them


@dataclass(frozen=True)
class Returned:
    """A unit (or several of one article) a buyer returned through the marketplace, on its way back."""

    number: str  # the marketplace's id of the return
    posting: str  # the posting it was sold in: its order's externalId
    sku: str
    quantity: int
    reason: str | None = None


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    postal_code: str | None
    country: str
    name: str | None = None
    region: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Delivery:
    address: Address
    carrier: str | None
    method: FulfilmentMethod = FulfilmentMethod.DELIVERY
    pickup_location_code: str | None = None
    service: str | None = None
    price: Decimal | None = Decimal(0)
    promised_date: date | None = None


@dataclass(frozen=True)
class Customer:
    email: str | None
    phone: str | None
    name: str | None
    external_id: str | None = None
    tags: list[str] | None = None


@dataclass(frozen=True)
class Payment:
    method: PaymentMethod = PaymentMethod.PREPAID  # the marketplace took the money
    provider: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class Placement:
    """A placeOrder of a posting (services.orders.placement takes it as it takes the API's input)."""

    channel: str
    idempotency_key: str
    external_id: str
    customer: Customer
    lines: Sequence[PostedLine]
    delivery: Delivery
    payment: Payment
    origin_location_code: str | None = None
    note: str | None = None


def hand_over_address(hand_over: Mapping[str, Any], *, name: str | None = None) -> Address:
    """The delivery address of a marketplace's orders: where the chain hands the marketplace its parcels."""
    return Address(
        name=str(hand_over.get("name") or name or "") or None,
        line1=str(hand_over["line1"]),
        city=str(hand_over["city"]),
        postal_code=hand_over.get("postalCode"),
        country=str(hand_over["country"]),
    )


def placement_of(posting: Posting, *, connector: str, channel: str, hand_over: Mapping[str, Any]) -> Placement:
    """The order a posting makes: on the connector's channel, delivered to where the chain hands the
    marketplace its parcels (`hand_over`, an address setting), paid at the marketplace. The buyer's contact
    where the marketplace tells it, else an address of the marketplace's (its own messages reach the buyer)."""
    buyer = posting.buyer
    email = buyer.get("email") or f"{posting.number}@{connector}.marketplace.invalid"
    return Placement(
        channel=channel,
        idempotency_key=f"{connector}:{posting.number}",
        external_id=posting.number,
        customer=Customer(email=email, phone=buyer.get("phone"), name=buyer.get("name") or f"{connector} buyer"),
        lines=posting.lines,
        delivery=Delivery(
            address=hand_over_address(hand_over, name=connector),
            carrier=hand_over.get("carrier"),
        ),
        payment=Payment(reference=posting.number),
        note=f"{connector} posting {posting.number}",
    )


def pull_window(cursor: datetime | None, now: datetime, *, first_days: int) -> tuple[datetime, datetime]:
    """The processing dates a pull asks for: from a little before its cursor (the first pull: `first_days`
    back) to now."""
    since = cursor - LOOK_BACK if cursor is not None else now - timedelta(days=first_days)
    return since, now


def batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
