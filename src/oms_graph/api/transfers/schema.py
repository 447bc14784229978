"""Transfers: read a location's, request one, work it at the source, receive it at the destination, cancel
it; thin resolvers over services.transfers."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.api.catalog.types import Location
from oms_graph.api.context import Info
from oms_graph.api.errors import command, reading, user_errors
from oms_graph.api.fulfilment.types import PickedLineInput
from oms_graph.api.node import decode_id
from oms_graph.api.permissions import roles
from oms_graph.api.transfers.types import (
    CreateTransferInput,
    ReplenishInput,
    ReplenishmentSuggestion,
    ReplenishPayload,
    Transfer,
    TransferDirection,
    TransferPayload,
    TransferReceivedLineInput,
    TransitTime,
    TransitTimeInput,
    TransitTimesPayload,
)
from oms_graph.db import models
from oms_graph.domain.access import Role
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.fulfilment import RejectionReason
from oms_graph.domain.transfers import TransferStatus
from oms_graph.services.transfers import lifecycle, reads, replenishment, transit

WORKERS = (Role.STORE, Role.INTEGRATION)  # and ADMIN, which every role check lets through
READERS = (Role.STORE, Role.INTEGRATION, Role.ANALYST)
Run = Callable[[AsyncSession, uuid.UUID], Awaitable[models.Transfer]]


def _transfer_id(id: strawberry.ID) -> uuid.UUID | None:
    decoded = decode_id(id)
    return decoded[1] if decoded is not None and decoded[0] == "Transfer" else None


async def _change(info: Info, id: strawberry.ID, run: Run) -> TransferPayload:
    transfer_id = _transfer_id(id)
    if transfer_id is None:
        return TransferPayload(
            transfer=None, errors=user_errors(DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such transfer"))
        )
    done, errors = await command(info, lambda s: run(s, transfer_id))
    return TransferPayload(transfer=Transfer.from_model(done) if done else None, errors=errors)


@strawberry.type
class TransferQuery:
    @strawberry.field(
        extensions=roles(*READERS),
        description="Transfers, newest first: a location's (OUTBOUND from it, INBOUND to it, or both), of some "
        "statuses. A STORE key sees those from or to its own location.",
    )
    async def transfers(
        self,
        info: Info,
        location_code: str | None = None,
        direction: TransferDirection | None = None,
        status: list[TransferStatus] | None = None,
        first: int = 50,
    ) -> list[Transfer]:
        async with reading(info) as session:
            found = await reads.list_transfers(
                session,
                principal=info.context.caller,
                location_code=location_code,
                direction=direction.value if direction else None,
                statuses=status,
                first=first,
            )
        return [Transfer.from_model(t) for t in found]

    @strawberry.field(extensions=roles(*READERS))
    async def transfer(self, info: Info, id: strawberry.ID) -> Transfer | None:
        transfer_id = _transfer_id(id)
        if transfer_id is None:
            return None
        async with reading(info) as session:
            found = await reads.get_transfer(session, principal=info.context.caller, transfer_id=transfer_id)
        return Transfer.from_model(found) if found else None

    @strawberry.field(
        extensions=roles(Role.ANALYST),
        description="Stores (or one) whose sellable stock of a sku is below `threshold` while it sold there in the "
        "last `days`: the units to send (enough for another such period, counting what is already coming) from "
        "the nearest warehouse with free units. By store code and sku.",
    )
    async def replenishment_suggestions(
        self,
        info: Info,
        location_code: str | None = None,
        threshold: int = 2,
        days: int = 30,
        first: int = 100,
    ) -> list[ReplenishmentSuggestion]:
        async with reading(info, replica=True) as session:
            found = await replenishment.suggestions(
                session, location_code=location_code, threshold=threshold, days=days, first=first
            )
        return [
            ReplenishmentSuggestion(
                location=Location.from_model(s.store),
                sku=s.sku,
                available=s.available,
                inbound=s.inbound,
                sold=s.sold,
                quantity=s.quantity,
                source=Location.from_model(s.source) if s.source else None,
                source_available=s.source_available,
            )
            for s in found
        ]

    @strawberry.field(
        extensions=roles(Role.INTEGRATION, Role.ANALYST),
        description="The pairs of locations with a transit time of their own (from or to a location).",
    )
    async def transit_times(self, info: Info, location_code: str | None = None) -> list[TransitTime]:
        async with reading(info) as session:
            found = await transit.transit_times(session, location_code=location_code)
        return [TransitTime.from_model(t) for t in found]


@strawberry.type
class TransferMutation:
    @strawberry.mutation(
        extensions=roles(Role.INTEGRATION),
        description="Set how long transfers between pairs of locations take (hours null: back to the default by "
        "distance); all or none.",
    )
    async def set_transit_times(self, info: Info, input: list[TransitTimeInput]) -> TransitTimesPayload:
        done, errors = await command(info, lambda s: transit.set_transit_times(s, inputs=input))
        return TransitTimesPayload(transit_times=[TransitTime.from_model(t) for t in done or []], errors=errors)

    @strawberry.mutation(
        extensions=roles(Role.INTEGRATION),
        description="Turn a store's replenishment suggestions (of some skus, else all) into transfers, one per "
        "warehouse, read again as they stand now.",
    )
    async def replenish_store(self, info: Info, input: ReplenishInput) -> ReplenishPayload:
        caller = info.context.caller
        done, errors = await command(
            info,
            lambda s: replenishment.replenish(
                s,
                location_code=input.location_code,
                skus=input.skus,
                threshold=input.threshold,
                days=input.days,
                principal=caller,
            ),
        )
        return ReplenishPayload(transfers=[Transfer.from_model(t) for t in done or []], errors=errors)

    @strawberry.mutation(
        extensions=roles(*WORKERS),
        description="Request a transfer: its units are reserved at the source at once (INSUFFICIENT_STOCK when "
        "the source has too few free). A STORE key sends from or to its own location.",
    )
    async def create_transfer(self, info: Info, input: CreateTransferInput) -> TransferPayload:
        caller = info.context.caller
        done, errors = await command(
            info,
            lambda s: lifecycle.create_transfer(
                s, from_code=input.from_, to_code=input.to, lines=input.lines, reason=input.reason, principal=caller
            ),
        )
        return TransferPayload(transfer=Transfer.from_model(done) if done else None, errors=errors)

    @strawberry.mutation(extensions=roles(*WORKERS), description="The source takes the work.")
    async def accept_transfer(self, info: Info, id: strawberry.ID) -> TransferPayload:
        caller = info.context.caller
        return await _change(info, id, lambda s, i: lifecycle.accept(s, transfer_id=i, principal=caller))

    @strawberry.mutation(extensions=roles(*WORKERS), description="The source cannot send it.")
    async def reject_transfer(
        self, info: Info, id: strawberry.ID, reason: RejectionReason, note: str | None = None
    ) -> TransferPayload:
        caller = info.context.caller
        return await _change(
            info, id, lambda s, i: lifecycle.reject(s, transfer_id=i, reason=reason, note=note, principal=caller)
        )

    @strawberry.mutation(
        extensions=roles(*WORKERS), description="What was picked of each line; the rest is a short pick."
    )
    async def pick_transfer(self, info: Info, id: strawberry.ID, lines: list[PickedLineInput]) -> TransferPayload:
        caller = info.context.caller
        return await _change(info, id, lambda s, i: lifecycle.pick(s, transfer_id=i, lines=lines, principal=caller))

    @strawberry.mutation(extensions=roles(*WORKERS))
    async def pack_transfer(self, info: Info, id: strawberry.ID) -> TransferPayload:
        caller = info.context.caller
        return await _change(info, id, lambda s, i: lifecycle.pack(s, transfer_id=i, principal=caller))

    @strawberry.mutation(extensions=roles(*WORKERS), description="It leaves the source: in transit to the destination.")
    async def ship_transfer(self, info: Info, id: strawberry.ID) -> TransferPayload:
        caller = info.context.caller
        return await _change(info, id, lambda s, i: lifecycle.ship(s, transfer_id=i, principal=caller))

    @strawberry.mutation(
        extensions=roles(*WORKERS),
        description="The destination says what arrived of each shipped line (sellable and damaged; the rest is "
        "recorded missing).",
    )
    async def receive_transfer(
        self, info: Info, id: strawberry.ID, lines: list[TransferReceivedLineInput]
    ) -> TransferPayload:
        caller = info.context.caller
        return await _change(info, id, lambda s, i: lifecycle.receive(s, transfer_id=i, lines=lines, principal=caller))

    @strawberry.mutation(
        extensions=roles(*WORKERS),
        description="Call it off: at the source its reservation is given back; on the road its units go back to "
        "the source's shelf.",
    )
    async def cancel_transfer(self, info: Info, id: strawberry.ID, reason: str) -> TransferPayload:
        caller = info.context.caller
        return await _change(info, id, lambda s, i: lifecycle.cancel(s, transfer_id=i, reason=reason, principal=caller))
