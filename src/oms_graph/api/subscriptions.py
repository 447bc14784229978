"""Subscriptions: live order events, orders, fulfilment queues, transfers, stock and channels' availability,
fed by the event stream (events/stream.py) in every API process; scoped like the queries they mirror."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import cast

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from oms_graph.api.catalog.types import Location
from oms_graph.api.context import Info
from oms_graph.api.errors import check, denied, graphql_error, reading
from oms_graph.api.fulfilment.types import Fulfilment
from oms_graph.api.node import decode_id, encode_id
from oms_graph.api.orders.types import Order, OrderEvent
from oms_graph.api.permissions import EVERY_ROLE, roles
from oms_graph.api.stock.imports import StockImport, follow_import
from oms_graph.api.stock.types import AvailabilityChange, ChannelAvailability, StockLevel
from oms_graph.api.transfers.types import Transfer, TransferDirection
from oms_graph.db.base import utcnow
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.stock import available
from oms_graph.domain.transfers import TransferStatus
from oms_graph.events.availability_feed import AvailabilityFeed
from oms_graph.events.stock_watch import StockWatch
from oms_graph.events.stream import EventHub, StreamEvent, TooSlow
from oms_graph.services import catalog
from oms_graph.services.fulfilment import reads as fulfilments
from oms_graph.services.orders import reads as orders
from oms_graph.services.transfers import reads as transfers

STOCK_ROLES = (Role.INTEGRATION, Role.ANALYST, Role.STORE)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        extensions=roles(*EVERY_ROLE),
        description="Every order event, optionally only a channel's or a location's. With `after`, first the "
        "events committed after that event id (missed while disconnected), then live ones, with no gap and no "
        "duplicate.",
    )
    async def order_events(
        self,
        info: Info,
        channel: str | None = None,
        location_code: str | None = None,
        after: strawberry.ID | None = None,
    ) -> AsyncGenerator[OrderEvent, None]:
        caller = info.context.caller
        channel_id = await _channel_scope(info, caller, channel)
        location_id = await _location_scope(info, caller, location_code)
        since = _event_id(after)

        def wants(event: StreamEvent) -> bool:
            return (
                event.order_id is not None  # a transfer's own events: transferUpdated follows them
                and (channel_id is None or event.channel_id == channel_id)
                and (location_id is None or location_id in event.location_ids)
            )

        async for event in _follow(info, wants, after=since):
            assert event.order_id is not None and event.order_number is not None
            yield OrderEvent(
                id=strawberry.ID(str(event.id)),
                order_id=encode_id("Order", event.order_id),
                order_number=event.order_number,
                type=event.type,
                at=event.at,
                actor=event.actor,
                data=cast(JSON, event.data),
            )

    @strawberry.subscription(
        extensions=roles(*EVERY_ROLE),
        description="The order, each time its status, a fulfilment, a shipment or a return of it changes.",
    )
    async def order_updated(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Order, None]:
        decoded = decode_id(id)
        async with reading(info) as session:
            found = None
            if decoded is not None and decoded[0] == "Order":
                found = await orders.get_order(session, principal=info.context.caller, order_id=decoded[1])
        check(found is not None, lambda: DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such order"))
        assert found is not None
        order_id = found.id
        async for _ in _follow(info, lambda event: event.order_id == order_id):
            async with info.context.db.read() as session:
                current = await orders.get_order(session, principal=info.context.caller, order_id=order_id)
            if current is not None:
                info.context.cache.clear()  # fresh children (lines, fulfilments) for each update
                yield Order.from_model(current)

    @strawberry.subscription(
        extensions=roles(Role.STORE, Role.INTEGRATION, Role.ANALYST),
        description="A location's fulfilment queue as it changes: new assignments, cancellations, status changes.",
    )
    async def fulfilment_updated(self, info: Info, location_code: str) -> AsyncGenerator[Fulfilment, None]:
        location_id = await _location_scope(info, info.context.caller, location_code)
        assert location_id is not None
        seen: dict[uuid.UUID, tuple[str, object]] = {}
        async for event in _follow(info, lambda e: e.order_id is not None and location_id in e.location_ids):
            assert event.order_id is not None
            async with info.context.db.read() as session:
                here = await fulfilments.fulfilments_at(session, order_id=event.order_id, location_id=location_id)
            for fulfilment in here:
                state = (fulfilment.status, fulfilment.updated_at)
                if seen.get(fulfilment.id) != state:
                    seen[fulfilment.id] = state
                    info.context.cache.clear()
                    yield Fulfilment.from_model(fulfilment)

    @strawberry.subscription(
        extensions=roles(Role.STORE, Role.INTEGRATION, Role.ANALYST),
        description="A location's transfers as they change (requested, worked, shipped, received, cancelled): "
        "INBOUND to it, OUTBOUND from it, or both; each with the status its change gave it.",
    )
    async def transfer_updated(
        self, info: Info, location_code: str, direction: TransferDirection | None = None
    ) -> AsyncGenerator[Transfer, None]:
        caller = info.context.caller
        location_id = await _location_scope(info, caller, location_code)
        assert location_id is not None
        ends = {TransferDirection.OUTBOUND: "from_location_id", TransferDirection.INBOUND: "to_location_id"}
        watched = [ends[direction]] if direction else list(ends.values())
        async for event in _follow(info, lambda e: e.transfer_id is not None and location_id in e.location_ids):
            assert event.transfer_id is not None
            async with info.context.db.read() as session:
                found = await transfers.get_transfer(session, principal=caller, transfer_id=event.transfer_id)
            if found is not None and any(getattr(found, end) == location_id for end in watched):
                shown = Transfer.from_model(found)
                # the status the event records: a later step may have happened by the time it is read
                shown.status = _transfer_status(event.type) or shown.status
                yield shown

    @strawberry.subscription(
        extensions=roles(Role.INTEGRATION, Role.STOREFRONT),
        description="A channel's figures as sent out (0 under its low-stock threshold) when they change, of some "
        "skus or the whole catalogue: many skus in one message, one message per sku per second at most.",
    )
    async def availability_changed(
        self, info: Info, channel: str, skus: list[str] | None = None
    ) -> AsyncGenerator[AvailabilityChange, None]:
        caller = info.context.caller
        check(caller.may_use_channel(channel), lambda: denied("a STOREFRONT key follows its own channel only"))
        feed = cast(AvailabilityFeed, info.context.availability_feed)
        check(feed is not None, lambda: denied("availability subscriptions are not served here"))
        async with info.context.db.read() as session:
            found = await catalog.channel_by_code(session, channel)
        if found is None:
            raise graphql_error(
                DomainError.one(ErrorCode.UNKNOWN_CHANNEL, ["channel"], f"no channel with code {channel!r}")
            )
        async for items in feed.follow(channel_id=found.id, skus=set(skus) if skus else None):
            yield AvailabilityChange(
                channel=channel,
                items=[ChannelAvailability(sku=sku, available_to_promise=n) for sku, n in items],
                at=utcnow(),
            )

    @strawberry.subscription(
        extensions=roles(Role.INTEGRATION),
        description="An inventory file's job each time its progress moves, until it is DONE or FAILED.",
    )
    async def stock_import_progress(self, info: Info, id: strawberry.ID) -> AsyncGenerator[StockImport, None]:
        try:
            async for job in follow_import(info, id):
                yield job
        except DomainError as error:
            raise graphql_error(error) from None

    @strawberry.subscription(
        extensions=roles(*STOCK_ROLES), description="Stock levels as they change, of some skus or a location."
    )
    async def stock_changed(
        self, info: Info, skus: list[str] | None = None, location_code: str | None = None
    ) -> AsyncGenerator[StockLevel, None]:
        location_id = await _location_scope(info, info.context.caller, location_code)
        watch = cast(StockWatch, info.context.stock_watch)
        check(watch is not None, lambda: denied("stock subscriptions are not served here"))
        wanted = set(skus) if skus else None
        locations: dict[uuid.UUID, Location] = {}
        async for level in watch.follow(skus=wanted, location_id=location_id):
            if level.location_id not in locations:
                async with info.context.db.read() as session:
                    found = await catalog.get_location(session, location_id=level.location_id)
                assert found is not None
                locations[level.location_id] = Location.from_model(found)
            yield StockLevel(
                sku=level.sku,
                location=locations[level.location_id],
                on_hand=level.on_hand,
                reserved=level.reserved,
                safety_stock=level.safety_stock,
                available=available(on_hand=level.on_hand, reserved=level.reserved, safety_stock=level.safety_stock),
                updated_at=level.updated_at,
            )


async def _follow(info: Info, wants, *, after: int | None = None):  # type: ignore[no-untyped-def]
    """The stream's events the subscription wants; its end, with a message saying where to resume, when
    the client fell too far behind."""
    hub = cast(EventHub | None, info.context.hub)
    check(hub is not None, lambda: denied("subscriptions are not served here"))
    assert hub is not None
    last: int | None = after
    try:
        async for event in hub.follow(wants, after=after):
            last = info.context.followed = event.id
            yield event
    except LookupError as error:
        raise graphql_error(DomainError.one(ErrorCode.INVALID_INPUT, ["after"], str(error))) from None
    except TooSlow:
        raise GraphQLError(
            "the subscription fell too far behind and was ended; subscribe again with after: the last event id",
            extensions={"code": "TOO_SLOW", "after": None if last is None else str(last)},
        ) from None


def _event_id(after: strawberry.ID | None) -> int | None:
    if after is None:
        return None
    check(
        str(after).isdigit(),
        lambda: DomainError.one(ErrorCode.INVALID_INPUT, ["after"], "an event id, as OrderEvent.id gives it"),
    )
    return int(after)


async def _channel_scope(info: Info, caller: Principal, code: str | None) -> uuid.UUID | None:
    """The channel to filter on: a storefront's own (another is refused), else the one named, if any."""
    if caller.role is Role.STOREFRONT:
        check(code in (None, caller.channel_code), lambda: denied("a STOREFRONT key follows its own channel"))
        return caller.channel_id
    if code is None:
        return None
    async with reading(info) as session:
        found = await catalog.channel_by_code(session, code)
    check(found is not None, lambda: DomainError.one(ErrorCode.UNKNOWN_CHANNEL, ["channel"], f"no channel {code!r}"))
    assert found is not None
    return found.id


async def _location_scope(info: Info, caller: Principal, code: str | None) -> uuid.UUID | None:
    """The location to filter on: a store's own (another is refused), else the one named, if any."""
    if caller.role is Role.STORE:
        check(code in (None, caller.location_code), lambda: denied("a STORE key follows its own location"))
        return caller.location_id
    if code is None:
        return None
    async with reading(info) as session:
        found = await catalog.location_by_code(session, code)
    check(
        found is not None,
        lambda: DomainError.one(ErrorCode.UNKNOWN_LOCATION, ["locationCode"], f"no location {code!r}"),
    )
    assert found is not None
    return found.id


def _transfer_status(event_type: str) -> TransferStatus | None:
    """The status a TRANSFER_<STATUS> event moved its transfer to (None for another event)."""
    name = event_type.removeprefix("TRANSFER_")
    return TransferStatus(name) if name != event_type and name in TransferStatus.__members__ else None
