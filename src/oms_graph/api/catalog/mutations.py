"""Master data upserts, by code or sku, each batch all-or-nothing."""

from __future__ import annotations

import strawberry

from oms_graph.api.catalog.pools import AvailabilityPool, AvailabilityPoolInput, AvailabilityPoolPayload
from oms_graph.api.catalog.types import (
    Channel,
    ChannelInput,
    ChannelsPayload,
    Location,
    LocationInput,
    LocationsPayload,
    Product,
    ProductInput,
    ProductsPayload,
)
from oms_graph.api.context import Info
from oms_graph.api.errors import command
from oms_graph.api.permissions import roles
from oms_graph.domain.access import Role
from oms_graph.services import catalog
from oms_graph.services.stock import pools


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(extensions=roles(Role.INTEGRATION))
    async def upsert_channels(self, info: Info, input: list[ChannelInput]) -> ChannelsPayload:
        done, errors = await command(info, lambda s: catalog.upsert_channels(s, inputs=input))
        return ChannelsPayload(channels=[Channel.from_model(c) for c in done or []], errors=errors)

    @strawberry.mutation(extensions=roles(Role.INTEGRATION))
    async def upsert_locations(self, info: Info, input: list[LocationInput]) -> LocationsPayload:
        done, errors = await command(info, lambda s: catalog.upsert_locations(s, inputs=input))
        return LocationsPayload(locations=[Location.from_model(loc) for loc in done or []], errors=errors)

    @strawberry.mutation(extensions=roles(Role.INTEGRATION))
    async def upsert_products(self, info: Info, input: list[ProductInput]) -> ProductsPayload:
        done, errors = await command(info, lambda s: catalog.upsert_products(s, inputs=input))
        return ProductsPayload(products=[Product.from_model(p) for p in done or []], errors=errors)

    @strawberry.mutation(
        extensions=roles(),
        description="Set which locations feed a channel's availability and what is held back (ADMIN).",
    )
    async def update_availability_pool(self, info: Info, input: AvailabilityPoolInput) -> AvailabilityPoolPayload:
        done, errors = await command(info, lambda s: pools.update_availability_pool(s, pool=input))
        return AvailabilityPoolPayload(pool=AvailabilityPool.from_pool(done) if done else None, errors=errors)
