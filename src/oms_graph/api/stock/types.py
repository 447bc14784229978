"""Stock levels and availability in the schema."""

from __future__ import annotations

from datetime import datetime

import strawberry

from oms_graph.api.catalog.types import Location
from oms_graph.api.errors import UserError
from oms_graph.api.pagination import PageInfo
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

    @classmethod
    def from_view(cls, v: StockLevelView, location: Location) -> StockLevel:
        return cls(
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


@strawberry.input
class StockAdjustmentInput:
    sku: str
    location_code: str
    delta: int
    reason: str


@strawberry.type
class StockLevelsPayload:
    stock_levels: list[StockLevel]
    errors: list[UserError]


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
