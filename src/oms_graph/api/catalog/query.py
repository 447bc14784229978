"""Reading master data: every role may, a STOREFRONT key sees only its own channel."""

from __future__ import annotations

import strawberry

from oms_graph.api.catalog.types import Channel, Location, Product
from oms_graph.api.context import Info
from oms_graph.api.errors import reading
from oms_graph.api.pagination import check_page_size
from oms_graph.api.permissions import EVERY_ROLE, roles
from oms_graph.domain.access import Role
from oms_graph.services import catalog


@strawberry.type
class CatalogQuery:
    @strawberry.field(extensions=roles(*EVERY_ROLE))
    async def channels(self, info: Info) -> list[Channel]:
        caller = info.context.caller
        codes = [caller.channel_code or ""] if caller.role is Role.STOREFRONT else None
        async with reading(info) as session:
            return [Channel.from_model(c) for c in await catalog.list_channels(session, codes=codes)]

    @strawberry.field(extensions=roles(*EVERY_ROLE))
    async def locations(self, info: Info) -> list[Location]:
        async with reading(info) as session:
            return [Location.from_model(loc) for loc in await catalog.list_locations(session)]

    @strawberry.field(
        extensions=roles(*EVERY_ROLE),
        description="Products by sku (all when none are given); `search` finds them by sku, EAN or name, exact "
        "matches first, at most `first`.",
    )
    async def products(
        self, info: Info, skus: list[str] | None = None, search: str | None = None, first: int | None = None
    ) -> list[Product]:
        if first is not None:
            check_page_size(first)
        async with reading(info) as session:
            found = await catalog.list_products(session, skus=skus, search=search, first=first)
            return [Product.from_model(p) for p in found]
