"""Fulfilments in the schema: the work one location does for an order, and its shipment."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from oms_graph.api.catalog.types import Location
from oms_graph.api.context import Info
from oms_graph.api.documents import label_url, waybill_url
from oms_graph.api.errors import UserError
from oms_graph.api.node import Node, encode_id
from oms_graph.api.orders import loaders
from oms_graph.api.pagination import PageInfo
from oms_graph.db import models
from oms_graph.domain.access import Role
from oms_graph.domain.fulfilment import FulfilmentStatus, RejectionReason, ShipmentStatus
from oms_graph.domain.orders import FulfilmentMethod

if TYPE_CHECKING:
    from oms_graph.api.orders.types import Order
strawberry.enum(FulfilmentStatus)
strawberry.enum(ShipmentStatus)
strawberry.enum(RejectionReason)
# Who may read a pickup code (the store asks the customer for it instead).
SEES_PICKUP_CODE = frozenset({Role.STOREFRONT, Role.ADMIN})


@strawberry.type
class FulfilmentLine:
    sku: str
    quantity: int
    quantity_picked: int | None = None


@strawberry.type
class Shipment:
    id: strawberry.ID
    carrier: str
    service: str | None
    tracking_number: str | None
    status: ShipmentStatus
    label_url: str | None = strawberry.field(description="Where an authorised client downloads the PDF label.")
    parcels: int
    waybill_url: str | None = strawberry.field(
        description="Where an authorised client downloads the carrier's waybill, where it issued one."
    )

    @classmethod
    def from_model(cls, m: models.Shipment) -> Shipment:
        return cls(
            id=encode_id("Shipment", m.id),
            carrier=m.carrier,
            service=m.service,
            tracking_number=m.tracking_number,
            status=ShipmentStatus(m.status),
            label_url=label_url(m.id) if m.tracking_number else None,
            parcels=m.parcels,
            waybill_url=waybill_url(m.id) if m.tracking_number and m.has_waybill else None,
        )


@strawberry.type
class Fulfilment(Node):
    method: FulfilmentMethod
    status: FulfilmentStatus
    pickup_ready_at: datetime | None
    pickup_expires_at: datetime | None
    expected_date: date | None = strawberry.field(
        description="When its part should be delivered (or ready for pickup), as routing planned it."
    )
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Fulfilment]

    @classmethod
    def from_model(cls, m: models.Fulfilment) -> Fulfilment:
        return cls(
            id=encode_id("Fulfilment", m.id),
            method=FulfilmentMethod(m.method),
            status=FulfilmentStatus(m.status),
            pickup_ready_at=m.pickup_ready_at,
            pickup_expires_at=m.pickup_expires_at,
            expected_date=m.expected_date,
            created_at=m.created_at,
            updated_at=m.updated_at,
            row=m,
        )

    @strawberry.field
    async def order(self, info: Info) -> Annotated[Order, strawberry.lazy("oms_graph.api.orders.types")]:
        from oms_graph.api.orders.types import Order

        return Order.from_model(await loaders.order(info).load(self.row.order_id))

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_model(await loaders.location(info).load(self.row.location_id))

    @strawberry.field
    async def lines(self, info: Info) -> list[FulfilmentLine]:
        return [
            FulfilmentLine(sku=line.sku, quantity=line.quantity, quantity_picked=line.quantity_picked)
            for line in await loaders.fulfilment_lines(info).load(self.row.id)
        ]

    @strawberry.field
    async def shipment(self, info: Info) -> Shipment | None:
        found = await loaders.shipment(info).load(self.row.id)
        return None if found is None else Shipment.from_model(found)

    @strawberry.field(
        description="The code the customer shows at pickup; visible to STOREFRONT and ADMIN keys, null for others."
    )
    def pickup_code(self, info: Info) -> str | None:
        return self.row.pickup_code if info.context.caller.role in SEES_PICKUP_CODE else None


@strawberry.type
class FulfilmentEdge:
    node: Fulfilment
    cursor: str


@strawberry.type
class FulfilmentConnection:
    edges: list[FulfilmentEdge]
    page_info: PageInfo


@strawberry.type
class FulfilmentPayload:
    fulfilment: Fulfilment | None
    errors: list[UserError]


@strawberry.input
class PickedLineInput:
    sku: str
    quantity: int


@strawberry.input
class ParcelInput:
    weight_grams: int
