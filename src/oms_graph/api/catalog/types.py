"""Channel, Location and Product in the schema."""

from __future__ import annotations

import uuid
from datetime import time
from decimal import Decimal
from typing import Any

import strawberry

from oms_graph.api.catalog.pools import AvailabilityPool
from oms_graph.api.context import Info
from oms_graph.api.errors import UserError, reading
from oms_graph.api.node import Node, encode_id
from oms_graph.db import models
from oms_graph.domain.calendars import hours_of
from oms_graph.domain.catalog import ChannelKind, LocationCapability, LocationKind
from oms_graph.domain.orders import Confirmation
from oms_graph.domain.supply import SupplyPolicy
from oms_graph.services.stock import pools

for _enum in (ChannelKind, LocationKind, LocationCapability, SupplyPolicy):
    strawberry.enum(_enum)
strawberry.enum(
    Confirmation,
    name="OrderConfirmation",
    description="Which orders of a channel start ON_HOLD until releaseOrder confirms them.",
)


@strawberry.type
class Channel(Node):
    code: str
    name: str
    kind: ChannelKind
    currency: str
    confirmation: Confirmation
    language: str = strawberry.field(
        description="The language of customer messages of its orders (en, de, ru; others get English)."
    )
    default_region: str | None = strawberry.field(
        description="Where routing ranks locations from for a delivery address nothing can place."
    )
    channel_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="What the channel may see and promise; null: the whole network.")
    async def availability_pool(self, info: Info) -> AvailabilityPool | None:
        async with reading(info) as session:
            pool = await pools.pool_of(session, self.channel_id)
        return None if pool is None else AvailabilityPool.from_pool(pool)

    @classmethod
    def from_model(cls, m: models.Channel) -> Channel:
        return cls(
            channel_id=m.id,
            id=encode_id("Channel", m.id),
            code=m.code,
            name=m.name,
            kind=ChannelKind(m.kind),
            currency=m.currency,
            confirmation=Confirmation(m.confirmation),
            language=m.language,
            default_region=m.default_region,
        )


@strawberry.type
class Location(Node):
    code: str
    name: str
    kind: LocationKind
    region: str
    latitude: float
    longitude: float
    priority: int = strawberry.field(description="Higher is preferred by routing, all else equal.")
    capabilities: list[LocationCapability]
    daily_ship_capacity: int | None = strawberry.field(
        description="Delivery fulfilments the location takes per day; null is unlimited."
    )
    handling_cost: float = strawberry.field(
        description="What preparing one delivery fulfilment costs here (routing's cost factor adds a rate)."
    )
    active: bool
    time_zone: str = strawberry.field(description="Its IANA time zone: its day, cut-off and open days are its own.")
    cutoff_hour: int = strawberry.field(description="Local hour after which a pickup is ready the next open day.")
    open_days: list[int] | None = strawberry.field(description="ISO weekdays it opens; null: every day.")
    opens_at: time | None = strawberry.field(description="Local opening time; null: open all day.")
    closes_at: time | None

    @classmethod
    def from_model(cls, m: Any) -> Location:
        """From a Location model, or a plain locations row with the same attributes."""
        caps = [
            cap
            for cap, has in (
                (LocationCapability.SHIP, m.can_ship),
                (LocationCapability.PICKUP, m.can_pickup),
                (LocationCapability.RETURNS, m.can_return),
            )
            if has
        ]
        return cls(
            id=encode_id("Location", m.id),
            code=m.code,
            name=m.name,
            kind=LocationKind(m.kind),
            region=m.region,
            latitude=m.latitude,
            longitude=m.longitude,
            priority=m.priority,
            capabilities=caps,
            daily_ship_capacity=m.daily_ship_capacity,
            handling_cost=m.handling_cost,
            active=m.active,
            time_zone=m.time_zone,
            cutoff_hour=m.cutoff_hour,
            open_days=sorted(m.opening["weekdays"]) if m.opening and m.opening.get("weekdays") else None,
            opens_at=hours_of(m.opening)[0],
            closes_at=hours_of(m.opening)[1],
        )


class LocationShapes:
    """One schema object per location in a response, however many rows point at it."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[Any, Location]] = {}  # by the row's id, the row kept so its id stays its own
        self._by_code: dict[str, Location] = {}

    def __call__(self, m: Any) -> Location:
        seen = self._seen.get(id(m))
        if seen is None:
            shaped = self._by_code.get(m.code) or self._by_code.setdefault(m.code, Location.from_model(m))
            seen = self._seen[id(m)] = (m, shaped)
        return seen[1]


@strawberry.type
class Product(Node):
    sku: str
    name: str
    category: str
    weight_grams: int | None
    ean: str | None = strawberry.field(description="Its barcode (EAN/GTIN), as a scanner types it.")
    unit_cost: Decimal | None = strawberry.field(description="What one unit is worth; values stock differences.")
    supply_policy: SupplyPolicy = strawberry.field(
        description="Whether it may be sold against inbound supply when stock cannot promise it (a channel may "
        "have its own: setSupplyPolicy)."
    )
    preorder_limit: int | None = strawberry.field(description="PREORDER: the most sold against supply.")

    @classmethod
    def from_model(cls, m: models.Product) -> Product:
        return cls(
            id=encode_id("Product", m.id),
            sku=m.sku,
            name=m.name,
            category=m.category,
            weight_grams=m.weight_grams,
            ean=m.ean,
            unit_cost=m.unit_cost,
            supply_policy=SupplyPolicy(m.supply_policy),
            preorder_limit=m.preorder_limit,
        )


@strawberry.input
class ChannelInput:
    code: str
    name: str
    kind: ChannelKind
    currency: str
    confirmation: Confirmation | None = Confirmation.NONE
    language: str | None = strawberry.field(default=None, description="Customer messages' language; default en.")
    default_region: str | None = strawberry.field(
        default=None,
        description="Where routing ranks locations from for a delivery address nothing can place (no "
        "coordinates, no region, not found by the geocoder).",
    )


@strawberry.input
class LocationInput:
    code: str
    name: str
    kind: LocationKind
    region: str
    latitude: float
    longitude: float
    priority: int | None = 0
    capabilities: list[LocationCapability]
    daily_ship_capacity: int | None = None
    handling_cost: float | None = 0.0
    active: bool | None = True
    time_zone: str | None = strawberry.field(
        default=None,
        description="Its IANA time zone (Europe/Berlin): its day, cut-off and open days are its own; default UTC.",
    )
    cutoff_hour: int | None = strawberry.field(
        default=None, description="Local hour after which a pickup is ready the next open day; default 16."
    )
    open_days: list[int] | None = strawberry.field(
        default=None, description="ISO weekdays it opens (1 Monday .. 7 Sunday); default every day."
    )
    opens_at: time | None = strawberry.field(
        default=None, description="Local opening time on its open days (with closesAt); default all day."
    )
    closes_at: time | None = None


@strawberry.input
class ProductInput:
    sku: str
    name: str
    category: str
    weight_grams: int | None = None
    unit_cost: Decimal | None = None
    ean: str | None = strawberry.field(default=None, description="Its barcode: 8 to 14 digits.")


@strawberry.type
class ChannelsPayload:
    channels: list[Channel]
    errors: list[UserError]


@strawberry.type
class LocationsPayload:
    locations: list[Location]
    errors: list[UserError]


@strawberry.type
class ProductsPayload:
    products: list[Product]
    errors: list[UserError]
