"""Order vocabulary and rules: statuses, what may happen in each, money, numbers, replay identity."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from enum import StrEnum
from typing import Any

MAX_LINES = 500
MAX_CUSTOMER_TAGS = 20
MAX_IMPORT = 500


class StuckKind(StrEnum):
    """Work that waits on someone: what the operations console shows at a glance."""

    BACKORDERED = "BACKORDERED"  # no stock anywhere could take it
    AT_RISK = "AT_RISK"  # likely to miss its promised date
    ACCEPT_DUE = "ACCEPT_DUE"  # a part assigned to a location, unaccepted past half its accept timeout
    BOOKING_FAILED = "BOOKING_FAILED"  # a carrier refused a shipment
    PAYMENT_FAILED = "PAYMENT_FAILED"  # a payment call failed on an order still open


class OrderStatus(StrEnum):
    PLACED = "PLACED"
    ON_HOLD = "ON_HOLD"
    BACKORDERED = "BACKORDERED"
    AWAITING_SUPPLY = "AWAITING_SUPPLY"  # promised against inbound supply: routed once it arrives
    ROUTED = "ROUTED"
    IN_FULFILMENT = "IN_FULFILMENT"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class FulfilmentMethod(StrEnum):
    DELIVERY = "DELIVERY"
    PICKUP = "PICKUP"


class PaymentMethod(StrEnum):
    PREPAID = "PREPAID"
    CASH_ON_DELIVERY = "CASH_ON_DELIVERY"
    PAY_AT_PICKUP = "PAY_AT_PICKUP"


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"
    VOIDED = "VOIDED"
    FAILED = "FAILED"


class Confirmation(StrEnum):
    """Which orders of a channel wait ON_HOLD until someone confirms them with releaseOrder."""

    NONE = "NONE"
    CASH_ON_DELIVERY = "CASH_ON_DELIVERY"
    ALL = "ALL"


# Until routed, an order's units are a network promise (delivery) or a reservation at the pickup
# location; once routed, reservations held by its fulfilments. Cancelling releases either.
UNROUTED = frozenset({OrderStatus.PLACED, OrderStatus.ON_HOLD, OrderStatus.BACKORDERED, OrderStatus.AWAITING_SUPPLY})
# Until anything shipped or was collected; the fulfilments' reservations are given back (an order awaiting
# supply gives back its promise against supply too).
CANCELLABLE = UNROUTED | {OrderStatus.ROUTED, OrderStatus.IN_FULFILMENT, OrderStatus.READY_FOR_PICKUP}
HOLDABLE = frozenset({OrderStatus.PLACED, OrderStatus.BACKORDERED})

PAYMENT_FOR_METHOD = {
    FulfilmentMethod.DELIVERY: {PaymentMethod.PREPAID, PaymentMethod.CASH_ON_DELIVERY},
    FulfilmentMethod.PICKUP: {PaymentMethod.PREPAID, PaymentMethod.PAY_AT_PICKUP},
}

# ISO 4217 minor units where they are not 2.
MINOR_UNITS = {
    "JPY": 0,
    "KRW": 0,
    "ISK": 0,
    "CLP": 0,
    "VND": 0,
    "HUF": 2,
    "KWD": 3,
    "BHD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
}


def starts_on_hold(confirmation: Confirmation, payment: PaymentMethod) -> bool:
    return confirmation is Confirmation.ALL or (
        confirmation is Confirmation.CASH_ON_DELIVERY and payment is PaymentMethod.CASH_ON_DELIVERY
    )


def initial_payment_status(payment: PaymentMethod) -> PaymentStatus:
    """A prepaid order arrives with the storefront's authorisation; the others are paid later."""
    return PaymentStatus.AUTHORIZED if payment is PaymentMethod.PREPAID else PaymentStatus.PENDING


def decimals_allowed(currency: str) -> int:
    return MINOR_UNITS.get(currency, 2)


def in_minor_units(amount: Decimal, currency: str) -> Decimal:
    """The amount with the currency's decimals, e.g. 19.9900 EUR as 19.99 and 20 as 20.00."""
    return amount.quantize(Decimal(1).scaleb(-decimals_allowed(currency)))


def fits_currency(amount: Decimal, currency: str) -> bool:
    exponent = amount.as_tuple().exponent
    return isinstance(exponent, int) and -exponent <= decimals_allowed(currency)


def order_number(channel_code: str, seq: int) -> str:
    """e.g. WEB-000123: the channel's code, upper-cased and stripped of punctuation, and a sequence number."""
    prefix = re.sub(r"[^A-Z0-9]", "", channel_code.upper())[:10] or "ORD"
    return f"{prefix}-{seq:06d}"


def request_hash(payload: dict[str, Any]) -> str:
    """What makes two placements the same request: their input, canonically serialised."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
