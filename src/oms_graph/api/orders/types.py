"""Orders in the schema: the order, its lines, delivery, customer and event timeline."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from oms_graph.api.catalog.types import Channel, Location
from oms_graph.api.context import Info
from oms_graph.api.errors import UserError
from oms_graph.api.node import Node, encode_id
from oms_graph.api.orders import loaders
from oms_graph.api.orders.geocodes import Geocode
from oms_graph.api.orders.notifications import Notification
from oms_graph.api.pagination import PageInfo
from oms_graph.db import models
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus, PaymentMethod, PaymentStatus, in_minor_units
from oms_graph.domain.payments import PaymentKind, TransactionStatus
from oms_graph.domain.promises import RiskCause

if TYPE_CHECKING:
    from oms_graph.api.fulfilment.types import Fulfilment
    from oms_graph.api.orders.appeasements import Appeasement
    from oms_graph.api.orders.edits import OrderVersion
    from oms_graph.api.returns.types import Return
    from oms_graph.api.routing.types import RoutingDecision, RoutingHistoryEntry
    from oms_graph.api.transfers.types import Transfer
for _enum in (OrderStatus, FulfilmentMethod, PaymentMethod, PaymentStatus, PaymentKind):
    strawberry.enum(_enum)
strawberry.enum(TransactionStatus, name="PaymentTransactionStatus")
strawberry.enum(RiskCause)


@strawberry.type
class Customer:
    email: str | None
    phone: str | None
    name: str | None
    external_id: str | None


@strawberry.type
class Address:
    name: str | None
    line1: str
    city: str
    region: str | None
    postal_code: str | None
    country: str
    latitude: float | None
    longitude: float | None


@strawberry.type
class Delivery:
    method: FulfilmentMethod
    address: Address | None
    carrier: str | None
    service: str | None
    price: Decimal
    pickup_location_id: strawberry.Private[Any]

    @strawberry.field
    async def pickup_location(self, info: Info) -> Location | None:
        if self.pickup_location_id is None:
            return None
        return Location.from_model(await loaders.location(info).load(self.pickup_location_id))


@strawberry.type
class OrderLine:
    id: strawberry.ID
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    quantity_cancelled: int
    quantity_shipped: int
    quantity_returned: int


@strawberry.type
class OrderEvent:
    id: strawberry.ID
    order_id: strawberry.ID
    order_number: str
    type: str = strawberry.field(
        description="Open set, e.g. ORDER_PLACED, ORDER_ROUTED, FULFILMENT_ACCEPTED, SHIPMENT_BOOKED."
    )
    at: datetime
    actor: str | None = strawberry.field(description="Who caused it: an API key's name, or 'system'.")
    data: JSON


@strawberry.type(description="One call to the order's payment provider and its outcome.")
class PaymentTransaction:
    id: strawberry.ID
    kind: PaymentKind
    status: TransactionStatus
    amount: Decimal
    provider: str
    reference: str | None = strawberry.field(description="The provider's id for the call, once it answered.")
    error: str | None = strawberry.field(description="The last failure: a decline, or why the call is retried.")
    attempts: int = strawberry.field(description="Failed attempts so far.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, m: models.PaymentTransaction) -> PaymentTransaction:
        return cls(
            id=encode_id("PaymentTransaction", m.id),
            kind=PaymentKind(m.kind),
            status=TransactionStatus(m.status),
            amount=in_minor_units(m.amount, m.currency),
            provider=m.provider,
            reference=m.reference,
            error=m.error,
            attempts=m.attempts,
            created_at=m.created_at,
            updated_at=m.updated_at,
        )


@strawberry.type
class SkuQuantity:
    sku: str
    quantity: int


@strawberry.type
class Order(Node):
    number: str
    status: OrderStatus
    external_id: str | None
    customer: Customer
    delivery: Delivery
    payment: PaymentMethod
    payment_status: PaymentStatus
    subtotal: Decimal
    total: Decimal
    currency: str
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Order]

    @classmethod
    def from_model(cls, m: models.Order) -> Order:
        address = m.delivery_address
        return cls(
            id=encode_id("Order", m.id),
            number=m.number,
            status=OrderStatus(m.status),
            external_id=m.external_id,
            customer=Customer(
                email=m.customer.get("email"),
                phone=m.customer.get("phone"),
                name=m.customer.get("name"),
                external_id=m.customer.get("externalId"),
            ),
            delivery=Delivery(
                method=FulfilmentMethod(m.delivery_method),
                address=None
                if address is None
                else Address(
                    name=address.get("name"),
                    line1=address["line1"],
                    city=address["city"],
                    region=address.get("region"),
                    postal_code=address.get("postalCode"),
                    country=address["country"],
                    latitude=address.get("latitude"),
                    longitude=address.get("longitude"),
                ),
                carrier=m.carrier,
                service=m.service,
                price=in_minor_units(m.delivery_price, m.currency),
                pickup_location_id=m.pickup_location_id,
            ),
            payment=PaymentMethod(m.payment_method),
            payment_status=PaymentStatus(m.payment_status),
            subtotal=in_minor_units(m.subtotal, m.currency),
            total=in_minor_units(m.total, m.currency),
            currency=m.currency,
            created_at=m.created_at,
            updated_at=m.updated_at,
            row=m,
        )

    @strawberry.field
    async def channel(self, info: Info) -> Channel:
        return Channel.from_model(await loaders.channel(info).load(self.row.channel_id))

    @strawberry.field(
        description="The date the customer was promised (delivered, or ready for pickup): set once, when first "
        "known (placement against supply, else the first routing); re-routing never moves it."
    )
    def promised_date(self) -> date | None:
        return self.row.promised_date

    @strawberry.field(
        description="A delivery whose address came without coordinates: where it was found (by the HTTP geocoder, "
        "or the packaged city list), how precisely; null when the address had coordinates, or for a pickup."
    )
    def geocode(self) -> Geocode | None:
        return None if self.row.geocode is None else Geocode.of(self.row.geocode)

    @strawberry.field(description="The version of its channel's routing strategy that first routed it.")
    def strategy_version(self) -> int | None:
        return self.row.strategy_version

    @strawberry.field(description="The promise sweep found it may miss its promised date.")
    def at_risk(self) -> bool:
        return bool(self.row.at_risk)

    @strawberry.field(description="Every cause the promise sweep flagged it for, each once (ORDER_AT_RISK).")
    def risk_causes(self) -> list[RiskCause]:
        return [RiskCause(c) for c in self.row.risk_causes or []]

    @strawberry.field(description="The date it is expected now (each routing plans it again).")
    def expected_date(self) -> date | None:
        return self.row.expected_date

    @strawberry.field(description="AWAITING_SUPPLY: the units promised against inbound supply, per sku.")
    def awaiting_supply(self) -> list[SkuQuantity]:
        return [SkuQuantity(sku=sku, quantity=int(n)) for sku, n in sorted((self.row.future_units or {}).items())]

    @strawberry.field(description="AWAITING_SUPPLY: when the supply its units were promised against is due.")
    def supply_due_at(self) -> datetime | None:
        return self.row.supply_due_at

    @strawberry.field
    async def origin_location(self, info: Info) -> Location | None:
        if self.row.origin_location_id is None:
            return None
        return Location.from_model(await loaders.location(info).load(self.row.origin_location_id))

    @strawberry.field
    async def lines(self, info: Info) -> list[OrderLine]:
        currency = self.row.currency
        return [
            OrderLine(
                id=encode_id("OrderLine", line.id),
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price=in_minor_units(line.unit_price, currency),
                quantity_cancelled=line.quantity_cancelled,
                quantity_shipped=line.quantity_shipped,
                quantity_returned=line.quantity_returned,
            )
            for line in await loaders.lines(info).load(self.row.id)
        ]

    @strawberry.field(description="Why the order went where it went; null until it is routed.")
    def routing(self) -> Annotated[RoutingDecision, strawberry.lazy("oms_graph.api.routing.types")] | None:
        from oms_graph.api.routing.types import RoutingDecision

        return None if self.row.routing is None else RoutingDecision.of(self.row.routing)

    @strawberry.field(description="The locations' parts of the order, oldest first.")
    async def fulfilments(
        self, info: Info
    ) -> list[Annotated[Fulfilment, strawberry.lazy("oms_graph.api.fulfilment.types")]]:
        from oms_graph.api.fulfilment.types import Fulfilment

        return [Fulfilment.from_model(f) for f in await loaders.fulfilments(info).load(self.row.id)]

    @strawberry.field(description="Ship-to-store: the transfers bringing a pickup's units to its store, oldest first.")
    async def transfers(
        self, info: Info
    ) -> list[Annotated[Transfer, strawberry.lazy("oms_graph.api.transfers.types")]]:
        from oms_graph.api.transfers.types import Transfer

        return [Transfer.from_model(t) for t in await loaders.order_transfers(info).load(self.row.id)]

    @strawberry.field(
        description="Every routing decision, oldest first: routed, re-routed, transfers planned, backordered "
        "(with each location considered and why it could not serve)."
    )
    async def routing_history(
        self, info: Info
    ) -> list[Annotated[RoutingHistoryEntry, strawberry.lazy("oms_graph.api.routing.types")]]:
        from oms_graph.api.routing.types import RoutingHistoryEntry

        return [RoutingHistoryEntry.of(r) for r in await loaders.routing_history(info).load(self.row.id)]

    @strawberry.field(description="Its version: each edit makes the next (editOrder's expectedVersion).")
    def version(self) -> int:
        return self.row.version

    @strawberry.field(description="Its edits, oldest first: each the version it made, before and after.")
    async def versions(
        self, info: Info
    ) -> list[Annotated[OrderVersion, strawberry.lazy("oms_graph.api.orders.edits")]]:
        from oms_graph.api.orders.edits import OrderVersion

        return [OrderVersion.of(e, self.row.currency) for e in await loaders.edits(info).load(self.row.id)]

    @strawberry.field(description="Money given back that no returned unit stands for, oldest first.")
    async def appeasements(
        self, info: Info
    ) -> list[Annotated[Appeasement, strawberry.lazy("oms_graph.api.orders.appeasements")]]:
        from oms_graph.api.orders.appeasements import Appeasement

        return [Appeasement.of(a) for a in await loaders.appeasements(info).load(self.row.id)]

    @strawberry.field(description="An exchange's replacement: the return it replaces units of.")
    async def exchange_for(
        self, info: Info
    ) -> Annotated[Return, strawberry.lazy("oms_graph.api.returns.types")] | None:
        from oms_graph.api.returns.types import Return

        found = await loaders.exchange_of(info).load(self.row.id)
        return Return.from_model(found[0]) if found else None

    @strawberry.field(description="Its returns, oldest first.")
    async def returns(self, info: Info) -> list[Annotated[Return, strawberry.lazy("oms_graph.api.returns.types")]]:
        from oms_graph.api.returns.types import Return

        return [Return.from_model(r) for r in await loaders.returns(info).load(self.row.id)]

    @strawberry.field(description="Captures, voids and refunds asked of the payment provider, oldest first.")
    async def payments(self, info: Info) -> list[PaymentTransaction]:
        return [PaymentTransaction.from_model(p) for p in await loaders.payments(info).load(self.row.id)]

    @strawberry.field(description="Messages sent (or being sent) to the customer, oldest first.")
    async def notifications(self, info: Info) -> list[Notification]:
        return [Notification.of(n) for n in await loaders.notifications(info).load(self.row.id)]

    @strawberry.field(description="The order's timeline, oldest first.")
    async def events(self, info: Info) -> list[OrderEvent]:
        order_id = encode_id("Order", self.row.id)
        return [
            OrderEvent(
                id=strawberry.ID(str(event.id)),
                order_id=order_id,
                order_number=self.number,
                type=event.type,
                at=event.at,
                actor=event.actor,
                data=cast(JSON, event.data),
            )
            for event in await loaders.events(info).load(self.row.id)
        ]


@strawberry.type
class OrderEdge:
    node: Order
    cursor: str


@strawberry.type
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class PlaceOrderPayload:
    order: Order | None
    errors: list[UserError]


@strawberry.type
class OrderPayload:
    order: Order | None
    errors: list[UserError]


@strawberry.type
class ImportOrdersPayload:
    results: list[PlaceOrderPayload] = strawberry.field(description="One result per input order, in input order.")
    errors: list[UserError] = strawberry.field(description="Problems with the batch as a whole (nothing placed).")
