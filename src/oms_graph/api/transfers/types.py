"""Transfers in the schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from oms_graph.api.catalog.types import Location
from oms_graph.api.context import Info
from oms_graph.api.documents import transfer_manifest_url
from oms_graph.api.errors import UserError
from oms_graph.api.node import encode_id
from oms_graph.api.orders import loaders
from oms_graph.db import models
from oms_graph.domain.fulfilment import RejectionReason
from oms_graph.domain.transfers import TransferStatus

if TYPE_CHECKING:
    from oms_graph.api.orders.types import Order

strawberry.enum(TransferStatus)


@strawberry.enum
class TransferDirection(Enum):
    OUTBOUND = "OUTBOUND"
    INBOUND = "INBOUND"


@strawberry.type(description="A sku's units on a transfer: asked for, picked (what ships), and what arrived.")
class TransferLine:
    sku: str
    quantity: int
    picked: int | None
    received: int | None
    damaged: int | None

    @strawberry.field(description="Shipped units that never arrived (recorded on receipt).")
    def missing(self) -> int | None:
        if self.received is None or self.damaged is None:
            return None
        return (self.picked or 0) - self.received - self.damaged


@strawberry.type(
    description="Stock sent from one location to another: worked like a fulfilment at the source, "
    "received at the destination; in transit in between (StockLevel.inTransit there)."
)
class Transfer:
    id: strawberry.ID
    number: str
    status: TransferStatus
    reason: str
    rejection_reason: RejectionReason | None
    note: str | None
    expected_at: datetime | None = strawberry.field(description="When it should be on the destination's shelf.")
    shipped_at: datetime | None
    received_at: datetime | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    model_id: strawberry.Private[uuid.UUID]
    from_id: strawberry.Private[uuid.UUID]
    to_id: strawberry.Private[uuid.UUID]
    order_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(name="from")
    async def from_(self, info: Info) -> Location:
        return Location.from_model(await loaders.location(info).load(self.from_id))

    @strawberry.field
    async def to(self, info: Info) -> Location:
        return Location.from_model(await loaders.location(info).load(self.to_id))

    @strawberry.field
    async def lines(self, info: Info) -> list[TransferLine]:
        rows = await loaders.transfer_lines(info).load(self.model_id)
        return [
            TransferLine(
                sku=r.sku,
                quantity=r.quantity,
                picked=r.quantity_picked,
                received=r.quantity_received,
                damaged=r.quantity_damaged,
            )
            for r in rows
        ]

    @strawberry.field(description="Where a key of either end downloads the manifest PDF that travels with it.")
    def manifest_url(self) -> str:
        return transfer_manifest_url(self.model_id)

    @strawberry.field(description="Ship-to-store: the pickup order whose units it brings.")
    async def order(self, info: Info) -> Annotated[Order, strawberry.lazy("oms_graph.api.orders.types")] | None:
        if self.order_id is None:
            return None
        from oms_graph.api.orders.types import Order

        found = await loaders.order(info).load(self.order_id)
        return Order.from_model(found) if found is not None else None

    @classmethod
    def from_model(cls, m: models.Transfer) -> Transfer:
        return cls(
            id=encode_id("Transfer", m.id),
            number=m.number,
            status=TransferStatus(m.status),
            reason=m.reason,
            rejection_reason=m.rejection_reason,
            note=m.note,
            expected_at=m.expected_at,
            shipped_at=m.shipped_at,
            received_at=m.received_at,
            created_by=m.created_by,
            created_at=m.created_at,
            updated_at=m.updated_at,
            model_id=m.id,
            from_id=m.from_location_id,
            to_id=m.to_location_id,
            order_id=m.order_id,
        )


@strawberry.input
class TransferLineInput:
    sku: str
    quantity: int


@strawberry.input
class CreateTransferInput:
    from_: str = strawberry.field(name="from", description="Source location code.")
    to: str = strawberry.field(description="Destination location code.")
    lines: list[TransferLineInput]
    reason: str


@strawberry.input
class TransferReceivedLineInput:
    sku: str
    received: int = strawberry.field(description="Units that arrived sellable.")
    damaged: int = strawberry.field(default=0, description="Units that arrived damaged (written off).")


@strawberry.type
class TransferPayload:
    transfer: Transfer | None
    errors: list[UserError]


@strawberry.type(description="A store low on a sku that sells there, and what to send it from which warehouse.")
class ReplenishmentSuggestion:
    location: Location = strawberry.field(description="The store to refill.")
    sku: str
    available: int = strawberry.field(description="What the store can sell now.")
    inbound: int = strawberry.field(description="Already coming to it on open transfers that serve no order.")
    sold: int = strawberry.field(description="Units it sold in the period asked about.")
    quantity: int = strawberry.field(description="Units to send (capped by what the source has free).")
    source: Location | None = strawberry.field(description="The nearest warehouse with free units; null: none.")
    source_available: int = strawberry.field(description="The units free to send at the source.")


@strawberry.input
class ReplenishInput:
    location_code: str
    skus: list[str] | None = strawberry.field(default=None, description="Only these suggestions; null: all.")
    threshold: int = 2
    days: int = 30


@strawberry.type
class ReplenishPayload:
    transfers: list[Transfer]
    errors: list[UserError]


@strawberry.type(
    description="How long a transfer between two locations takes, request to shelf (the pair's own time; "
    "other pairs take a day per started 500 km)."
)
class TransitTime:
    hours: int
    from_id: strawberry.Private[uuid.UUID]
    to_id: strawberry.Private[uuid.UUID]

    @strawberry.field(name="from")
    async def from_(self, info: Info) -> Location:
        return Location.from_model(await loaders.location(info).load(self.from_id))

    @strawberry.field
    async def to(self, info: Info) -> Location:
        return Location.from_model(await loaders.location(info).load(self.to_id))

    @classmethod
    def from_model(cls, m: models.TransitTime) -> TransitTime:
        return cls(hours=m.hours, from_id=m.from_location_id, to_id=m.to_location_id)


@strawberry.input
class TransitTimeInput:
    from_: str = strawberry.field(name="from", description="Source location code.")
    to: str = strawberry.field(description="Destination location code.")
    hours: int | None = strawberry.field(
        default=None, description="Null: forget the pair's own time (the default applies)."
    )


@strawberry.type
class TransitTimesPayload:
    transit_times: list[TransitTime]
    errors: list[UserError]
