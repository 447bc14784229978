"""Stock levels and availability in the schema."""

from __future__ import annotations

from datetime import datetime

import strawberry

from oms_graph.api.catalog.types import Location
from oms_graph.api.context import Info
from oms_graph.api.errors import UserError
from oms_graph.api.orders import loaders
from oms_graph.api.pagination import PageInfo
from oms_graph.domain import errors
from oms_graph.services.stock.levels import StockLevelView


@strawberry.type
class StockLevel:
    sku: str
    location: Location
    on_hand: int = strawberry.field(description="Units physically at the location, as last counted or synced.")
    reserved: int = strawberry.field(description="Units held for open fulfilments and pickups at this location.")
    safety_stock: int
    available: int = strawberry.field(description="onHand - reserved - safetyStock.")
    updated_at: datetime
    known_in_transit: strawberry.Private[int | None] = None

    @strawberry.field(
        description="Units shipped here by transfers and not yet received: not in onHand, never available."
    )
    async def in_transit(self, info: Info) -> int:
        if self.known_in_transit is not None:
            return self.known_in_transit
        return await loaders.in_transit(info).load((self.sku, self.location.code))

    @classmethod
    def from_view(cls, v: StockLevelView, location: Location) -> StockLevel:
        return cls(
            known_in_transit=v.in_transit,
            sku=v.sku,
            location=location,
            on_hand=v.on_hand,
            reserved=v.reserved,
            safety_stock=v.safety_stock,
            available=v.available,
            updated_at=v.updated_at,
        )


@strawberry.type
class StockLevelEdge:
    node: StockLevel
    cursor: str


@strawberry.type
class StockLevelConnection:
    edges: list[StockLevelEdge]
    page_info: PageInfo


@strawberry.input(description="Absolute levels from a WMS/ERP count; reservations are kept.")
class StockLevelInput:
    sku: str
    location_code: str
    on_hand: int
    safety_stock: int | None = None
    counted_at: datetime | None = strawberry.field(
        default=None,
        description="When the count was taken (default: now). Movements recorded here since are applied on top; "
        "a count older than the last one applied to the level changes nothing (STALE_COUNT warning).",
    )


@strawberry.input
class StockAdjustmentInput:
    sku: str
    location_code: str
    delta: int
    reason: str
    movement_id: str | None = strawberry.field(
        default=None,
        description="The sender's id of this movement: sent again (from the same key name, to the same location), "
        "it returns the first result and moves nothing.",
    )


WarningCode = errors.WarningCode
strawberry.enum(WarningCode)


@strawberry.type(
    name="Warning", description="An input that was accepted but changed nothing, or not all it asked; the rest applied."
)
class InputWarning:
    code: WarningCode
    field: list[str] = strawberry.field(description='Path to the input, e.g. ["input", "3", "countedAt"].')
    message: str

    @classmethod
    def from_notice(cls, notice: errors.Notice) -> InputWarning:
        return cls(code=notice.code, field=list(notice.field), message=notice.message)


@strawberry.type
class StockLevelsPayload:
    stock_levels: list[StockLevel]
    errors: list[UserError]
    warnings: list[InputWarning] = strawberry.field(default_factory=list)


@strawberry.type
class StockLevelPayload:
    stock_level: StockLevel | None
    errors: list[UserError]


@strawberry.input
class GeoPointInput:
    latitude: float
    longitude: float


@strawberry.type
class LocationAvailability:
    location: Location
    available: int
    distance_km: float | None


@strawberry.type
class Availability:
    sku: str
    available_to_promise: int = strawberry.field(
        description="Units that a new delivery order can be promised now, network-wide."
    )
    locations: list[LocationAvailability]
    available_from: datetime | None = strawberry.field(
        default=None,
        description="With `quantity`: the earliest time that many units can be promised (now when stock has "
        "them; else when enough supply or free transfers land at locations that ship, supply going first to "
        "the orders already promised against it); null when what is known to come is not enough.",
    )
    incoming: list[Incoming] = strawberry.field(
        default_factory=list,
        description="With `quantity`: what is on its way to locations that ship (with `channel`, into its "
        "availability pool), by time.",
    )


@strawberry.type(description="Units on their way: inbound supply due, or a transfer landing.")
class Incoming:
    at: datetime
    units: int
    supply: bool = strawberry.field(description="Inbound supply (else a transfer).")
    location_code: str = strawberry.field(description="Where the units land.")


@strawberry.type(description="A sku's figure as sent out to a channel (0 under its low-stock threshold).")
class ChannelAvailability:
    sku: str
    available_to_promise: int


@strawberry.type(description="A page of the whole catalogue with the channel's figures, for a full sync.")
class AvailabilitySnapshot:
    items: list[ChannelAvailability]
    page_info: PageInfo


@strawberry.type(description="A channel's figures that changed, many skus at once.")
class AvailabilityChange:
    channel: str
    items: list[ChannelAvailability]
    at: datetime
