"""Ship-to-store: a pickup order's units its store does not hold come there by transfer.

Placement reserves at the pickup store what it holds and promises the rest network-wide (the order's
`transfer_units`); routing turns that promise into transfers from the best sources, reserved there, and
gives the order one pickup fulfilment AWAITING_TRANSFER with every unit. When a transfer lands, its units
are reserved for the order at the store in the same statement; when the last one has landed the fulfilment
is ASSIGNED: the store's queue shows it ready to prepare. Units that do not come (rejected, short, damaged,
called back) are brought from elsewhere where another location has them (`rescue`).

Locks: the order first (the caller), then the products of the skus, then stock levels, like every writer.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import Fulfilment, FulfilmentLine, Location, Order, Transfer, TransferLine
from oms_graph.domain import transfers as rules
from oms_graph.domain.events import EventType
from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.domain.routing import DecisionKind, Profile
from oms_graph.domain.transfers import TransferStatus
from oms_graph.services import calendars
from oms_graph.services.outbox import append_event
from oms_graph.services.routing import history
from oms_graph.services.stock import ledger
from oms_graph.services.transfers.requesting import Request, reserve_at_source, sources, write_transfer
from oms_graph.services.transfers.transit import transit_time

SHIP_TO_STORE = "ship-to-store"


@dataclass(frozen=True)
class Brought:
    """What `bring` did: the transfers it requested, the units nothing could bring, and when the last
    transfer should land (the pickup's ready-by date); the plan, for the order's routing explanation."""

    transfers: list[Transfer]
    missing: dict[str, int]
    ready_by: datetime | None
    explained: dict[str, Any] | None


async def bring(
    session: AsyncSession,
    *,
    order: Order,
    fulfilment_id: uuid.UUID,
    store: Location,
    units: Mapping[str, int],
    exclude: Iterable[uuid.UUID],
    promised: Mapping[str, int],
    profile: Profile,
    actor: str,
    at: datetime,
) -> Brought:
    """Request transfers of the units to the pickup store from the best sources that hold them, reserved
    there; what none holds (or another change took meanwhile) is `missing`. The caller locked the products
    (`promised`: their counters now)."""
    plan = await sources(session, destination=store, units=units, exclude=set(exclude), profile=profile)
    missing = Counter(plan.missing)
    made: list[Transfer] = []
    for source, lines in plan.parts:
        request = Request(source, store, lines, SHIP_TO_STORE, actor, at, order.id, fulfilment_id)
        if await reserve_at_source(session, request, promised):
            missing.update(lines)  # taken meanwhile: these units cannot come from there now
            continue
        expected = at + await transit_time(session, source=source, destination=store)
        made.append(await write_transfer(session, request, expected_at=expected))
    ready_by = max((t.expected_at for t in made if t.expected_at is not None), default=None)
    return Brought(made, {sku: n for sku, n in missing.items() if n}, ready_by, plan.explained)


_ON_THE_WAY = (
    select(Transfer.fulfilment_id, TransferLine.sku, func.sum(TransferLine.quantity))
    .join(TransferLine, TransferLine.transfer_id == Transfer.id)
    .where(
        Transfer.fulfilment_id.in_(bindparam("b_fulfilments", expanding=True)),
        Transfer.status.in_(sorted(rules.OPEN)),
    )
    .group_by(Transfer.fulfilment_id, TransferLine.sku)
)


async def on_the_way(session: AsyncSession, *, fulfilment_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Counter[str]]:
    """Per pickup fulfilment, the units its open transfers still bring (not reserved at its store yet)."""
    ids = list(fulfilment_ids)
    way: dict[uuid.UUID, Counter[str]] = defaultdict(Counter)
    if ids:
        for fulfilment_id, sku, n in await session.execute(_ON_THE_WAY, {"b_fulfilments": ids}):
            way[cast(uuid.UUID, fulfilment_id)][sku] += int(n)
    return way


async def stop_for(session: AsyncSession, *, fulfilment_ids: Iterable[uuid.UUID], actor: str, at: datetime) -> set[str]:
    """The fulfilments are cancelled: their transfers still at a source are cancelled (the source's
    reservation given back), those on the road go on and land as free stock. The skus freed at sources."""
    ids = list(fulfilment_ids)
    if not ids:
        return set()
    open_transfers = list(
        await session.scalars(
            select(Transfer)
            .where(Transfer.fulfilment_id.in_(ids), Transfer.status.in_(sorted(rules.OPEN)))
            .order_by(Transfer.id)
            .with_for_update()
        )
    )
    freed: set[str] = set()
    for transfer in open_transfers:
        if TransferStatus(transfer.status) in rules.AT_SOURCE:
            units = await held_at_source(session, transfer)
            await ledger.release(
                session, units={(sku, transfer.from_location_id): n for sku, n in units.items()}, routed=False, at=at
            )
            freed |= set(units)
            await moved(session, transfer, TransferStatus.CANCELLED, actor, at, {"reason": "its order was cancelled"})
        else:  # on the road: it lands as the store's own stock
            transfer.fulfilment_id = None
    return freed


async def held_at_source(session: AsyncSession, transfer: Transfer) -> dict[str, int]:
    """Units per sku the transfer holds reserved at its source: what was picked once picked, else all."""
    held: dict[str, int] = {}
    for line in await transfer_lines(session, transfer.id):
        n = line.quantity if line.quantity_picked is None else line.quantity_picked
        if n:
            held[line.sku] = n
    return held


async def transfer_lines(session: AsyncSession, transfer_id: uuid.UUID) -> list[TransferLine]:
    return list(
        await session.scalars(
            select(TransferLine).where(TransferLine.transfer_id == transfer_id).order_by(TransferLine.sku)
        )
    )


async def moved(
    session: AsyncSession,
    transfer: Transfer,
    status: TransferStatus,
    actor: str,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> None:
    """Set the transfer's status and append TRANSFER_<STATUS> (to its order's log too when it serves one)."""
    transfer.status, transfer.updated_at = status, at
    await append_event(
        session,
        order_id=transfer.order_id,
        transfer_id=transfer.id,
        type=EventType.transfer(status),
        actor=actor,
        at=at,
        data={"transfer": str(transfer.id), "number": transfer.number, "status": status.value, **(data or {})},
    )


async def arrived_for_pickup(session: AsyncSession, *, transfer: Transfer, actor: str, at: datetime) -> None:
    """A transfer for a pickup landed: when its fulfilment waits for nothing more, the store can prepare it
    (ASSIGNED, FULFILMENT_ASSIGNED)."""
    if transfer.fulfilment_id is None:
        return
    await session.flush()
    fulfilment = await session.get(Fulfilment, transfer.fulfilment_id, with_for_update=True)
    if fulfilment is None or fulfilment.status != FulfilmentStatus.AWAITING_TRANSFER:
        return
    if (await on_the_way(session, fulfilment_ids=[fulfilment.id])).get(fulfilment.id):
        return  # another transfer is still on its way
    await waiting_over(session, fulfilment=fulfilment, actor=actor, at=at)


async def waiting_over(session: AsyncSession, *, fulfilment: Fulfilment, actor: str, at: datetime) -> None:
    """Every unit of the pickup is at its store: ASSIGNED, to prepare like any pickup (an empty one, whose
    every unit was cancelled, is CANCELLED)."""
    has_lines = await session.scalar(select(FulfilmentLine.id).where(FulfilmentLine.fulfilment_id == fulfilment.id))
    status = FulfilmentStatus.ASSIGNED if has_lines is not None else FulfilmentStatus.CANCELLED
    fulfilment.status, fulfilment.updated_at = status, at
    code = await session.scalar(select(Location.code).where(Location.id == fulfilment.location_id))
    await append_event(
        session,
        order_id=fulfilment.order_id,
        type=EventType.fulfilment(status),
        actor=actor,
        at=at,
        data={"fulfilment": str(fulfilment.id), "location": code, "reason": "its transfers arrived"},
    )


async def shrink_pickup(session: AsyncSession, *, fulfilment_id: uuid.UUID, units: Mapping[str, int]) -> None:
    """Take units no transfer can bring off the waiting pickup's lines (the caller cancels them on the
    order)."""
    lines = await session.scalars(
        select(FulfilmentLine)
        .where(FulfilmentLine.fulfilment_id == fulfilment_id, FulfilmentLine.sku.in_(list(units)))
        .with_for_update()
    )
    for line in lines:
        if line.quantity <= units[line.sku]:
            await session.delete(line)
        else:
            line.quantity -= units[line.sku]
    await session.flush()


async def open_pickup(
    session: AsyncSession, *, order: Order, store_id: uuid.UUID, units: Mapping[str, int], at: datetime
) -> Fulfilment:
    """A pickup fulfilment at the store with the units, AWAITING_TRANSFER until its transfers land."""
    fulfilment = Fulfilment(
        id=uuid.uuid4(),
        order_id=order.id,
        location_id=store_id,
        method=order.delivery_method,
        status=FulfilmentStatus.AWAITING_TRANSFER,
        created_at=at,
        updated_at=at,
    )
    session.add(fulfilment)
    session.add_all(
        FulfilmentLine(id=uuid.uuid4(), fulfilment_id=fulfilment.id, sku=sku, quantity=n)
        for sku, n in sorted(units.items())
        if n
    )
    await session.flush()
    return fulfilment


async def rescue(
    session: AsyncSession,
    *,
    order: Order,
    fulfilment: Fulfilment,
    units: Mapping[str, int],
    exclude: Iterable[uuid.UUID],
    actor: str,
    at: datetime,
) -> dict[str, int]:
    """Units of a pickup that will not come as planned (a rejection, a short transfer) are brought to its
    store from other locations where the channel's profile allows transfers; the customer hears of the new
    ready-by date (PICKUP_DELAYED). Returns what nowhere has: the caller cancels those units. The caller
    locked the skus' products before any stock level."""
    from oms_graph.services.routing.profiles import profile_of_channel

    _, profile = await profile_of_channel(session, channel_id=order.channel_id)
    wanted = {sku: n for sku, n in units.items() if n}
    if not wanted or not profile.allow_transfer_to_pickup:
        return wanted
    store = await session.get_one(Location, fulfilment.location_id)
    promised = await ledger.lock_products(session, skus=wanted)
    brought = await bring(
        session,
        order=order,
        fulfilment_id=fulfilment.id,
        store=store,
        units=wanted,
        exclude=exclude,
        promised=promised,
        profile=profile,
        actor=actor,
        at=at,
    )
    if brought.transfers:
        rescue = {
            "decidedAt": at.isoformat(),
            "transferTo": store.code,
            "plan": brought.explained,
            "transfers": [t.number for t in brought.transfers],
            "readyBy": brought.ready_by.isoformat() if brought.ready_by else None,
        }
        await history.keep(session, [history.entry(order.id, DecisionKind.TRANSFERS, rescue, at=at, actor=actor)])
        fulfilment.status, fulfilment.updated_at = FulfilmentStatus.AWAITING_TRANSFER, at
        calendar = (await calendars.calendars(session, locations=[store], at=at))[store.id]
        fulfilment.expected_date = calendar.ready_by(brought.ready_by or at)  # later now; the promise stays
        order.expected_date = max(fulfilment.expected_date, order.expected_date or fulfilment.expected_date)
        await append_event(
            session,
            order_id=order.id,
            type=EventType.PICKUP_DELAYED,
            actor=actor,
            at=at,
            data={
                "fulfilment": str(fulfilment.id),
                "location": store.code,
                "readyBy": brought.ready_by.isoformat() if brought.ready_by else None,
                "transfers": [t.number for t in brought.transfers],
            },
        )
    return brought.missing
