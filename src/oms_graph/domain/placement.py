"""What a placement carries, and the checks it passes before the database is asked anything."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from oms_graph.domain import orders as rules
from oms_graph.domain.catalog import check_coordinates, check_text
from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.domain.orders import FulfilmentMethod, PaymentMethod


class LineFields(Protocol):
    @property
    def sku(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def unit_price(self) -> Decimal: ...


class AddressFields(Protocol):
    @property
    def name(self) -> str | None: ...
    @property
    def line1(self) -> str: ...
    @property
    def city(self) -> str: ...
    @property
    def region(self) -> str | None: ...
    @property
    def postal_code(self) -> str | None: ...
    @property
    def country(self) -> str: ...
    @property
    def latitude(self) -> float | None: ...
    @property
    def longitude(self) -> float | None: ...


class DeliveryFields(Protocol):
    @property
    def method(self) -> FulfilmentMethod: ...
    @property
    def address(self) -> AddressFields | None: ...
    @property
    def pickup_location_code(self) -> str | None: ...
    @property
    def carrier(self) -> str | None: ...
    @property
    def service(self) -> str | None: ...
    @property
    def price(self) -> Decimal | None: ...
    @property
    def promised_date(self) -> date | None: ...


class CustomerFields(Protocol):
    @property
    def email(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def external_id(self) -> str | None: ...
    @property
    def tags(self) -> list[str] | None: ...


class PaymentFields(Protocol):
    @property
    def method(self) -> PaymentMethod: ...
    @property
    def provider(self) -> str | None: ...
    @property
    def reference(self) -> str | None: ...


class PlaceOrderFields(Protocol):
    @property
    def channel(self) -> str: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def external_id(self) -> str | None: ...
    @property
    def customer(self) -> CustomerFields: ...
    @property
    def lines(self) -> Sequence[LineFields]: ...
    @property
    def delivery(self) -> DeliveryFields: ...
    @property
    def payment(self) -> PaymentFields: ...
    @property
    def origin_location_code(self) -> str | None: ...
    @property
    def note(self) -> str | None: ...


def is_email(text: str) -> bool:
    """What oms-graph takes for an email address: a local part and a domain around an @, 320 characters at most."""
    return len(text) <= 320 and "@" in text.strip(" @")


def check_shape(order: PlaceOrderFields, errors: ErrorList) -> None:
    """Everything that can be checked without the database."""
    if not order.idempotency_key.strip() or len(order.idempotency_key) > 200:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "idempotencyKey"], "must be 1-200 characters")
    if order.external_id is not None and not 0 < len(order.external_id) <= 200:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "externalId"], "must be 1-200 characters")
    if not order.lines:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "lines"], "an order needs at least one line")
    elif len(order.lines) > rules.MAX_LINES:
        errors.add(
            ErrorCode.INVALID_INPUT, ["input", "lines"], f"{len(order.lines)} lines; the limit is {rules.MAX_LINES}"
        )
    else:
        for i, line in enumerate(order.lines):
            if line.quantity <= 0:
                errors.add(ErrorCode.INVALID_INPUT, ["input", "lines", i, "quantity"], "must be at least 1")
            if line.unit_price < 0:
                errors.add(ErrorCode.INVALID_INPUT, ["input", "lines", i, "unitPrice"], "must not be negative")
    customer = order.customer
    if not (customer.email or customer.phone):
        errors.add(ErrorCode.INVALID_INPUT, ["input", "customer"], "give an email or a phone number")
    tags = customer.tags or []
    if len(tags) > rules.MAX_CUSTOMER_TAGS or any(not 0 < len(tag.strip()) <= 50 for tag in tags):
        errors.add(
            ErrorCode.INVALID_INPUT,
            ["input", "customer", "tags"],
            f"at most {rules.MAX_CUSTOMER_TAGS} tags of 1-50 characters",
        )
    if customer.email is not None and not is_email(customer.email):
        errors.add(
            ErrorCode.INVALID_INPUT, ["input", "customer", "email"], f"{customer.email!r} is not an email address"
        )
    delivery = order.delivery
    if delivery.price is not None and delivery.price < 0:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "delivery", "price"], "must not be negative")
    if delivery.method is FulfilmentMethod.DELIVERY:
        if delivery.address is None:
            errors.add(ErrorCode.INVALID_INPUT, ["input", "delivery", "address"], "a DELIVERY order needs an address")
        else:
            check_address(delivery.address, errors)
    elif not delivery.pickup_location_code:
        errors.add(
            ErrorCode.INVALID_INPUT, ["input", "delivery", "pickupLocationCode"], "a PICKUP order needs a location"
        )
    if order.payment.method not in rules.PAYMENT_FOR_METHOD[delivery.method]:
        errors.add(
            ErrorCode.INVALID_INPUT,
            ["input", "payment", "method"],
            f"{order.payment.method.value} does not go with {delivery.method.value}",
        )
    if order.note is not None and len(order.note) > 1000:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "note"], "must be at most 1000 characters")


PROMISE_HORIZON = timedelta(days=366)  # the latest date a channel may promise, from today


def check_promised_date(promised: date | None, today: date, errors: ErrorList) -> None:
    """A date a channel promised its customer itself: from today to a year ahead."""
    if promised is not None and not today <= promised <= today + PROMISE_HORIZON:
        errors.add(
            ErrorCode.INVALID_INPUT,
            ["input", "delivery", "promisedDate"],
            f"{promised.isoformat()} is not between today ({today.isoformat()}) and a year ahead",
        )


def check_address(
    address: AddressFields, errors: ErrorList, path: Sequence[str | int] = ("input", "delivery", "address")
) -> None:
    path = list(path)
    check_text(errors, address.line1, [*path, "line1"])
    check_text(errors, address.city, [*path, "city"], max_length=100)
    if len(address.country.strip()) != 2 or not address.country.isalpha():
        errors.add(ErrorCode.INVALID_INPUT, [*path, "country"], f"{address.country!r} is not an ISO 3166 country code")
    if (address.latitude is None) != (address.longitude is None):
        errors.add(ErrorCode.INVALID_INPUT, [*path, "latitude"], "give both latitude and longitude, or neither")
    elif address.latitude is not None and address.longitude is not None:
        check_coordinates(errors, address.latitude, address.longitude, path)


def payload_of(order: PlaceOrderFields) -> dict[str, Any]:
    """The input as plain data: stored (customer, address) and hashed for replays."""
    address = order.delivery.address
    return {
        "channel": order.channel,
        "externalId": order.external_id,
        "customer": {
            "email": order.customer.email,
            "phone": order.customer.phone,
            "name": order.customer.name,
            "externalId": order.customer.external_id,
            # only when sent: the replay digest of a placement without them stays what it was
            **({"tags": sorted({t.strip() for t in order.customer.tags})} if order.customer.tags else {}),
        },
        "lines": [
            {"sku": line.sku, "quantity": line.quantity, "unitPrice": str(line.unit_price)} for line in order.lines
        ],
        "delivery": {
            "method": order.delivery.method.value,
            "address": None if address is None else address_payload(address),
            "pickupLocationCode": order.delivery.pickup_location_code,
            "carrier": order.delivery.carrier,
            "service": order.delivery.service,
            "price": None if order.delivery.price is None else str(order.delivery.price),
            # only when sent: the replay digest of a placement without one stays what it was
            **(
                {"promisedDate": order.delivery.promised_date.isoformat()}
                if order.delivery.promised_date is not None
                else {}
            ),
        },
        "payment": {
            "method": order.payment.method.value,
            "provider": order.payment.provider,
            "reference": order.payment.reference,
        },
        "originLocationCode": order.origin_location_code,
        "note": order.note,
    }


def address_payload(address: AddressFields) -> dict[str, Any]:
    """An address as kept on its order."""
    return {
        "name": address.name,
        "line1": address.line1,
        "city": address.city,
        "region": address.region,
        "postalCode": address.postal_code,
        "country": address.country.upper(),
        "latitude": address.latitude,
        "longitude": address.longitude,
    }
