"""Returns in the schema: what comes back from an order, where it was received, what was refunded."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from oms_graph.api.catalog.types import Channel, Location
from oms_graph.api.context import Info
from oms_graph.api.errors import UserError
from oms_graph.api.node import Node, encode_id
from oms_graph.api.orders import loaders
from oms_graph.db import models
from oms_graph.domain import returns as rules
from oms_graph.domain.orders import in_minor_units
from oms_graph.domain.returns import ItemCondition, ReturnStatus

if TYPE_CHECKING:
    from oms_graph.api.orders.types import Order
strawberry.enum(ReturnStatus)
strawberry.enum(ItemCondition)


@strawberry.type
class ReturnLine:
    sku: str
    quantity: int
    reason: str | None
    quantity_received: int
    condition: ItemCondition | None = strawberry.field(
        description="SELLABLE or DAMAGED when every received unit is; null when mixed or nothing was received."
    )
    quantity_damaged: int = strawberry.field(description="Received units written off; the others were restocked.")


@strawberry.type
class Return(Node):
    number: str
    status: ReturnStatus
    created_at: datetime
    received_at: datetime | None
    row: strawberry.Private[models.Return]

    @classmethod
    def from_model(cls, m: models.Return) -> Return:
        return cls(
            id=encode_id("Return", m.id),
            number=m.number,
            status=ReturnStatus(m.status),
            created_at=m.created_at,
            received_at=m.received_at,
            row=m,
        )

    @strawberry.field(description="Who started it: a key's name, or connector:<name> for a marketplace's.")
    def requested_by(self) -> str | None:
        return self.row.requested_by

    @strawberry.field(description="A marketplace's own id of the return (connector:<return id>).")
    def external_id(self) -> str | None:
        return self.row.external_id

    @strawberry.field(description="What was asked of the payment provider for the received units.")
    async def refund_amount(self, info: Info) -> Decimal:
        order = await loaders.order(info).load(self.row.order_id)
        return in_minor_units(self.row.refund_amount, order.currency)

    @strawberry.field
    async def order(self, info: Info) -> Annotated[Order, strawberry.lazy("oms_graph.api.orders.types")]:
        from oms_graph.api.orders.types import Order

        return Order.from_model(await loaders.order(info).load(self.row.order_id))

    @strawberry.field(description="An exchange: the replacement order it asked for.")
    async def exchange_order(
        self, info: Info
    ) -> Annotated[Order, strawberry.lazy("oms_graph.api.orders.types")] | None:
        from oms_graph.api.orders.types import Order

        if self.row.exchange_order_id is None:
            return None
        return Order.from_model(await loaders.order(info).load(self.row.exchange_order_id))

    @strawberry.field(description="An exchange: the part of the returned units' value that pays the replacement.")
    async def exchange_credit(self, info: Info) -> Decimal | None:
        if self.row.exchange_credit is None:
            return None
        order = await loaders.order(info).load(self.row.order_id)
        return in_minor_units(self.row.exchange_credit, order.currency)

    @strawberry.field(description="Channel the return was started in; may differ from the order's.")
    async def channel(self, info: Info) -> Channel | None:
        if self.row.channel_id is None:
            return None
        return Channel.from_model(await loaders.channel(info).load(self.row.channel_id))

    @strawberry.field(description="Where it was received; null until then.")
    async def location(self, info: Info) -> Location | None:
        if self.row.location_id is None:
            return None
        return Location.from_model(await loaders.location(info).load(self.row.location_id))

    @strawberry.field
    async def lines(self, info: Info) -> list[ReturnLine]:
        return [
            ReturnLine(
                sku=line.sku,
                quantity=line.quantity,
                reason=line.reason,
                quantity_received=line.quantity_received,
                condition=rules.condition(line.quantity_received, line.quantity_damaged),
                quantity_damaged=line.quantity_damaged,
            )
            for line in await loaders.return_lines(info).load(self.row.id)
        ]


@strawberry.type
class ReturnPayload:
    return_: Return | None = strawberry.field(name="return")
    errors: list[UserError]


@strawberry.input
class ReturnLineInput:
    sku: str
    quantity: int
    reason: str | None = None


@strawberry.input(description="A replacement for the returned units (an exchange).")
class ExchangeLineInput:
    sku: str
    quantity: int
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Null: the price the first returned sku was sold at (a size swap costs nothing)."
    )


@strawberry.input
class RequestReturnInput:
    order_id: strawberry.ID
    channel: str | None = None
    lines: list[ReturnLineInput]
    exchange_lines: list[ExchangeLineInput] | None = strawberry.field(
        default=None,
        description="An exchange: the replacement order is placed at once, paid by the returned units' value; it "
        "ships once they are received, or at once when the channel's routing profile says exchangeBeforeReturn.",
    )


@strawberry.input
class ReceivedLineInput:
    sku: str
    quantity: int
    condition: ItemCondition


@strawberry.input
class ReceiveReturnInput:
    return_id: strawberry.ID
    location_code: str
    lines: list[ReceivedLineInput]
