"""A location's fulfilment queue and the work on it: thin resolvers over services.fulfilment (transitions, reads)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.api.context import Info
from oms_graph.api.errors import command, reading, user_errors
from oms_graph.api.fulfilment.types import (
    Fulfilment,
    FulfilmentConnection,
    FulfilmentEdge,
    FulfilmentPayload,
    ParcelInput,
    PickedLineInput,
)
from oms_graph.api.node import decode_id
from oms_graph.api.orders import loaders
from oms_graph.api.pagination import check_page_size, decode_cursor, encode_cursor, page_info
from oms_graph.api.permissions import roles
from oms_graph.db import models
from oms_graph.domain.access import Role
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.fulfilment import FulfilmentStatus, RejectionReason
from oms_graph.services.fulfilment import transitions as work
from oms_graph.services.fulfilment.reads import location_queue

Run = Callable[[AsyncSession, uuid.UUID], Awaitable[models.Fulfilment]]


async def _change(info: Info, id: strawberry.ID, run: Run) -> FulfilmentPayload:
    decoded = decode_id(id)
    if decoded is None or decoded[0] != "Fulfilment":
        error = DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such fulfilment")
        return FulfilmentPayload(fulfilment=None, errors=user_errors(error))
    done, errors = await command(info, lambda s: run(s, decoded[1]))
    return FulfilmentPayload(fulfilment=Fulfilment.from_model(done) if done else None, errors=errors)


@strawberry.type
class FulfilmentQuery:
    @strawberry.field(extensions=roles(Role.STORE, Role.INTEGRATION, Role.ANALYST))
    async def fulfilments(
        self,
        info: Info,
        location_code: str,
        status: list[FulfilmentStatus] | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> FulfilmentConnection:
        size = 20 if first is None else first
        check_page_size(size)
        key = decode_cursor(after, 2)
        async with reading(info) as session:
            page = await location_queue(
                session,
                principal=info.context.caller,
                location_code=location_code,
                statuses=status,
                first=size,
                after=(datetime.fromisoformat(key[0]), uuid.UUID(key[1])) if key else None,
            )
            # What a tablet asks of its queue, read in this transaction rather than one per loader.
            ids = [f.id for f in page.fulfilments]
            if ids and loaders.asks_for(info, "edges", "node", "lines"):
                await loaders.preload_fulfilment_lines(info, session, ids)
            if ids and loaders.asks_for(info, "edges", "node", "shipment"):
                await loaders.preload_shipments(info, session, ids)
        edges = [
            FulfilmentEdge(node=Fulfilment.from_model(f), cursor=encode_cursor([f.created_at.isoformat(), f.id.hex]))
            for f in page.fulfilments
        ]
        return FulfilmentConnection(
            edges=edges, page_info=page_info([e.cursor for e in edges], has_next=page.has_next, after=after)
        )


@strawberry.type
class FulfilmentMutation:
    @strawberry.mutation(extensions=roles(Role.STORE))
    async def accept_fulfilment(self, info: Info, id: strawberry.ID) -> FulfilmentPayload:
        caller = info.context.caller
        return await _change(info, id, lambda s, i: work.accept(s, fulfilment_id=i, principal=caller))

    @strawberry.mutation(extensions=roles(Role.STORE))
    async def reject_fulfilment(
        self, info: Info, id: strawberry.ID, reason: RejectionReason, note: str | None = None
    ) -> FulfilmentPayload:
        caller = info.context.caller
        return await _change(
            info, id, lambda s, i: work.reject(s, fulfilment_id=i, reason=reason, note=note, principal=caller)
        )

    @strawberry.mutation(extensions=roles(Role.STORE))
    async def pick_fulfilment(self, info: Info, id: strawberry.ID, lines: list[PickedLineInput]) -> FulfilmentPayload:
        caller = info.context.caller
        return await _change(info, id, lambda s, i: work.pick(s, fulfilment_id=i, lines=lines, principal=caller))

    @strawberry.mutation(extensions=roles(Role.STORE))
    async def pack_fulfilment(self, info: Info, id: strawberry.ID, parcels: list[ParcelInput]) -> FulfilmentPayload:
        caller = info.context.caller
        weights = [p.weight_grams for p in parcels]
        carrier = info.context.settings.default_carrier
        return await _change(
            info,
            id,
            lambda s, i: work.pack(
                s, fulfilment_id=i, weights_grams=weights, principal=caller, default_carrier=carrier
            ),
        )

    @strawberry.mutation(extensions=roles(Role.STORE))
    async def ship_fulfilment(self, info: Info, id: strawberry.ID) -> FulfilmentPayload:
        caller = info.context.caller
        return await _change(info, id, lambda s, i: work.ship(s, fulfilment_id=i, principal=caller))

    @strawberry.mutation(extensions=roles(Role.STORE))
    async def mark_ready_for_pickup(self, info: Info, id: strawberry.ID) -> FulfilmentPayload:
        caller = info.context.caller
        days = info.context.settings.pickup_days
        return await _change(
            info, id, lambda s, i: work.mark_ready_for_pickup(s, fulfilment_id=i, principal=caller, pickup_days=days)
        )

    @strawberry.mutation(extensions=roles(Role.STORE))
    async def collect_fulfilment(self, info: Info, id: strawberry.ID, pickup_code: str) -> FulfilmentPayload:
        caller = info.context.caller
        return await _change(
            info, id, lambda s, i: work.collect(s, fulfilment_id=i, pickup_code=pickup_code, principal=caller)
        )
