"""What clients send to place and find orders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from oms_graph.domain.orders import FulfilmentMethod, OrderStatus, PaymentMethod, StuckKind


@strawberry.input
class AddressInput:
    name: str | None = None
    line1: str
    city: str
    region: str | None = None
    postal_code: str | None = None
    country: str
    latitude: float | None = None
    longitude: float | None = None


@strawberry.input
class CustomerInput:
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    external_id: str | None = None
    tags: list[str] | None = strawberry.field(
        default=None, description="The customer's tags in the channel (vip, b2b...): routing rules may look at them."
    )


@strawberry.input
class OrderLineInput:
    sku: str
    quantity: int
    unit_price: Decimal


@strawberry.input
class DeliveryInput:
    method: FulfilmentMethod
    address: AddressInput | None = None
    pickup_location_code: str | None = None
    carrier: str | None = None
    service: str | None = None
    price: Decimal | None = None
    promised_date: date | None = strawberry.field(
        default=None,
        description="The delivery (or ready-for-pickup) date the channel showed its customer, kept as the order's "
        "promise; without it oms-graph promises by the rules of deliveryOptions.",
    )


@strawberry.input
class PaymentInput:
    method: PaymentMethod
    provider: str | None = None
    reference: str | None = None


@strawberry.input
class PlaceOrderInput:
    channel: str = strawberry.field(description="Code of the sales channel the order comes from.")
    idempotency_key: str = strawberry.field(
        description="Same key and same input returns the same order; same key with other input is IDEMPOTENCY_CONFLICT."
    )
    external_id: str | None = strawberry.field(
        default=None, description="The order's id in its source system (marketplace, POS); unique per channel."
    )
    customer: CustomerInput
    lines: list[OrderLineInput]
    delivery: DeliveryInput
    payment: PaymentInput
    origin_location_code: str | None = strawberry.field(
        default=None, description="Store where the order was taken (endless aisle)."
    )
    note: str | None = None


@strawberry.input
class CancelLineInput:
    sku: str
    quantity: int


@strawberry.input(description="A sale at a store's till, recorded so that it can be returned in any channel.")
class StoreSaleInput:
    location_code: str
    channel: str = strawberry.field(description="The store's sales channel.")
    receipt_number: str = strawberry.field(
        description="The till's id for the sale: the order's externalId; recording it again answers the first."
    )
    customer: CustomerInput | None = None
    lines: list[OrderLineInput]
    sold_at: datetime | None = None


StuckKindType = strawberry.enum(StuckKind)


@strawberry.input
class OrderFilter:
    channel: str | None = None
    status: list[OrderStatus] | None = None
    customer_email: str | None = None
    location_code: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    at_risk: bool | None = strawberry.field(
        default=None, description="Orders the promise sweep flagged as likely to miss their date (or not)."
    )
    number: str | None = strawberry.field(default=None, description="The order's number.")
    external_id: str | None = strawberry.field(default=None, description="The channel's own id of the order.")
    stuck: StuckKindType | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Orders with work of this kind waiting."
    )
