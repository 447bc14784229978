"""Reading stock: levels page by page, and availability across the network."""

from __future__ import annotations

from typing import Annotated

import strawberry

from oms_graph.api.catalog.types import LocationShapes
from oms_graph.api.context import Info
from oms_graph.api.errors import check, denied, reading
from oms_graph.api.pagination import check_page_size, decode_cursor, encode_cursor, page_info
from oms_graph.api.permissions import roles
from oms_graph.api.stock.types import (
    Availability,
    AvailabilitySnapshot,
    ChannelAvailability,
    GeoPointInput,
    Incoming,
    LocationAvailability,
    StockLevel,
    StockLevelConnection,
    StockLevelEdge,
)
from oms_graph.db.base import utcnow
from oms_graph.domain import supply as supply_rules
from oms_graph.domain.access import Role
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.services import catalog
from oms_graph.services.stock import availability as network
from oms_graph.services.stock import levels as stock
from oms_graph.services.stock import pools
from oms_graph.services.stock.arrivals import Dated, dated


@strawberry.type
class StockQuery:
    @strawberry.field(extensions=roles(Role.INTEGRATION, Role.ANALYST, Role.STORE))
    async def stock_levels(
        self,
        info: Info,
        sku: str | None = None,
        location_code: str | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> StockLevelConnection:
        caller = info.context.caller
        if caller.role is Role.STORE:
            location_code = location_code or caller.location_code or ""
            check(caller.may_use_location(location_code), lambda: denied("a STORE key sees its own location only"))
        size = 20 if first is None else first
        check_page_size(size)
        key = decode_cursor(after, 2)
        async with reading(info) as session:
            views, has_next = await stock.list_stock_levels(
                session,
                sku=sku,
                location_code=location_code,
                first=size,
                after=(key[0], key[1]) if key else None,
            )
        location = LocationShapes()
        edges = [
            StockLevelEdge(
                node=StockLevel.from_view(v, location(v.location)), cursor=encode_cursor([v.sku, v.location.code])
            )
            for v in views
        ]
        return StockLevelConnection(
            edges=edges, page_info=page_info([e.cursor for e in edges], has_next=has_next, after=after)
        )

    @strawberry.field(extensions=roles(Role.INTEGRATION, Role.STOREFRONT, Role.STORE))
    async def availability(
        self,
        info: Info,
        skus: list[str],
        near: GeoPointInput | None = None,
        channel: str | None = None,
        max_locations: Annotated[
            int | None,
            strawberry.argument(description="At most this many locations per sku, nearest first when `near` is given."),
        ] = None,
        quantity: Annotated[
            int | None,
            strawberry.argument(description="Units wanted per sku: answers `availableFrom` and `incoming` too."),
        ] = None,
    ) -> list[Availability]:
        caller = info.context.caller
        if caller.role is Role.STOREFRONT:
            channel = channel or caller.channel_code or ""
            check(caller.may_use_channel(channel), lambda: denied("a STOREFRONT key sees its own channel only"))
        async with reading(info) as session:
            found = await pools.channel_with_pool(session, channel) if channel is not None else None
            if channel is not None and found is None:
                raise DomainError.one(ErrorCode.UNKNOWN_CHANNEL, ["channel"], f"no channel with code {channel!r}")
            pool = pools.pool_from_row(found)
            answer = await network.availability(
                session,
                skus=skus,
                near=(near.latitude, near.longitude) if near else None,
                max_locations=max_locations,
                channel_id=found.id if found is not None else None,
                pool=pool,
            )
            dates: dict[str, Dated] = {}
            if quantity is not None:
                if not 0 < quantity <= supply_rules.MAX_QUANTITY:
                    raise DomainError.one(ErrorCode.INVALID_INPUT, ["quantity"], f"1 to {supply_rules.MAX_QUANTITY}")
                figures = {v.sku: v.available_to_promise for v in answer.skus}
                dates = await dated(session, available=figures, quantity=quantity, pool=pool, now=utcnow())
        # One schema object per location met, then one small object per (sku, location): up to 100,000.
        location, ranked = LocationShapes(), answer.ranked
        met = {
            p: (location(ranked[p].location), ranked[p].distance_km)
            for p in set().union(*(v.places for v in answer.skus))
        }
        return [
            Availability(
                sku=v.sku,
                available_to_promise=v.available_to_promise,
                locations=[
                    LocationAvailability(location=met[p][0], available=n, distance_km=met[p][1])
                    for p, n in zip(v.places, v.units, strict=True)
                ],
                available_from=dates[v.sku].available_from if v.sku in dates else None,
                incoming=[
                    Incoming(at=a.at, units=a.units, supply=a.supply, location_code=a.location_code)
                    for a in (dates[v.sku].incoming if v.sku in dates else [])
                ],
            )
            for v in answer.skus
        ]

    @strawberry.field(
        extensions=roles(Role.INTEGRATION, Role.STOREFRONT),
        description="The whole catalogue, page by page in sku order, with the figures sent out to the channel.",
    )
    async def availability_snapshot(
        self, info: Info, channel: str, first: int = 500, after: str | None = None
    ) -> AvailabilitySnapshot:
        caller = info.context.caller
        check(caller.may_use_channel(channel), lambda: denied("a STOREFRONT key sees its own channel only"))
        key = decode_cursor(after, 1)
        async with reading(info) as session:
            found = await catalog.channel_by_code(session, channel)
            if found is None:
                raise DomainError.one(ErrorCode.UNKNOWN_CHANNEL, ["channel"], f"no channel with code {channel!r}")
            items, has_next = await network.availability_snapshot(
                session, channel=found, first=first, after=key[0] if key else None
            )
        cursors = [encode_cursor([sku]) for sku, _ in items]
        return AvailabilitySnapshot(
            items=[ChannelAvailability(sku=sku, available_to_promise=n) for sku, n in items],
            page_info=page_info(cursors, has_next=has_next, after=after),
        )
