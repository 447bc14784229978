"""Inbound supply: purchase orders and advance shipping notices as data (sent again with the same external id,
they move the date or the quantity), received onto a location's shelf in one or more receipts. Supply is
never stock: only a receipt puts units on `onHand` (through the ledger); backordered orders of the sku are
then requeued, and orders promised against supply get their units from the shelf (services.future_promises).
A cut that leaves less to come than was promised against it owes the newest of those orders their units."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import InboundSupply, Location, Product
from oms_graph.domain import supply as rules
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.supply import SupplyKind, SupplyStatus
from oms_graph.services import future_promises
from oms_graph.services.orders.backorders import requeue_backorders
from oms_graph.services.stock import ledger

MAX_BATCH, MAX_PAGE = 500, 200
SYSTEM = "system"  # who a count without an actor is
COUNT_CHUNK = 1000  # levels per statement when a count looks for supply


class SupplyFields(Protocol):
    external_id: str
    kind: SupplyKind
    location_code: str
    sku: str
    quantity: int
    expected_at: datetime
    note: str | None


@dataclass(frozen=True)
class Supply:
    """A supply as read: the row, its location's code, and whether it is overdue now."""

    row: InboundSupply
    location_code: str
    overdue: bool


async def upsert_inbound_supply(
    session: AsyncSession, *, inputs: Sequence[SupplyFields], actor: str
) -> list[InboundSupply]:
    """Create supply, or change it by its external id (its date, its quantity: never below what arrived, and
    0 closes it); all or none. Where and what it brings cannot change."""
    errors = ErrorList()
    if not 0 < len(inputs) <= MAX_BATCH:
        errors.add(ErrorCode.INVALID_INPUT, ["input"], f"1 to {MAX_BATCH} supplies")
    ids = [i.external_id.strip() for i in inputs]
    locations = {
        loc.code: loc
        for loc in await session.scalars(select(Location).where(Location.code.in_({i.location_code for i in inputs})))
    }
    known = set(await session.scalars(select(Product.sku).where(Product.sku.in_({i.sku for i in inputs}))))
    # Supply backs promises: the products are locked first (the ledger's lock order), then the supply.
    await ledger.lock_products(session, skus={i.sku for i in inputs if i.sku in known})
    existing = {
        s.external_id: s
        for s in await session.scalars(
            select(InboundSupply).where(InboundSupply.external_id.in_(ids)).order_by(InboundSupply.id).with_for_update()
        )
    }
    seen: set[str] = set()
    for n, (given, external_id) in enumerate(zip(inputs, ids, strict=True)):
        at: list[str | int] = ["input", n]
        if not external_id or len(external_id) > 200:
            errors.add(ErrorCode.INVALID_INPUT, [*at, "externalId"], "1 to 200 characters")
        elif external_id in seen:
            errors.add(ErrorCode.INVALID_INPUT, [*at, "externalId"], f"{external_id} is given twice")
        seen.add(external_id)
        location = locations.get(given.location_code)
        if location is None:
            errors.add(ErrorCode.UNKNOWN_LOCATION, [*at, "locationCode"], f"no location {given.location_code!r}")
        if given.sku not in known:
            errors.add(ErrorCode.UNKNOWN_SKU, [*at, "sku"], f"no product with sku {given.sku!r}")
        if given.note is not None and len(given.note) > 500:
            errors.add(ErrorCode.INVALID_INPUT, [*at, "note"], "at most 500 characters")
        before = existing.get(external_id)
        received = before.quantity_received if before is not None else 0
        problem = rules.quantity_problem(given.quantity, received)
        if problem is None and before is None and given.quantity == 0:
            problem = "new supply brings at least one unit"
        if problem:
            errors.add(ErrorCode.INVALID_INPUT, [*at, "quantity"], problem)
        if before is not None and location is not None and (before.location_id, before.sku) != (location.id, given.sku):
            errors.add(ErrorCode.INVALID_INPUT, [*at, "sku"], "a supply's location and sku stay as they were sent")
    errors.raise_if_any()
    now, done = utcnow(), []
    for given, external_id in zip(inputs, ids, strict=True):
        row = existing.get(external_id)
        if row is None:
            row = InboundSupply(
                external_id=external_id,
                kind=given.kind,
                location_id=locations[given.location_code].id,
                sku=given.sku,
                quantity_received=0,
                created_at=now,
            )
            session.add(row)
        row.kind, row.quantity, row.expected_at, row.note = given.kind, given.quantity, given.expected_at, given.note
        row.status, row.updated_at = rules.status_after(given.quantity, row.quantity_received), now
        done.append(row)
    await session.flush()
    # Less to come than orders were promised against it: the newest of them are owed from stock.
    await future_promises.supply_cut(session, skus={row.sku for row in done}, actor=actor)
    await future_promises.redate(session, skus={row.sku for row in done})  # a date moved moves their dates
    return done


async def receive_inbound_supply(
    session: AsyncSession, *, external_id: str, quantity: int, principal: Principal
) -> InboundSupply:
    """Units of a supply arrive: onto its location's onHand (ledger reason `supply_received`); the supply is
    RECEIVED once all came. Backordered orders of the sku go back to routing. A STORE key receives at its
    own location only."""
    sku = await session.scalar(select(InboundSupply.sku).where(InboundSupply.external_id == external_id))
    if sku is not None:
        await ledger.lock_products(session, skus=[sku])  # the ledger's lock order: products first
    supply = await session.scalar(
        select(InboundSupply).where(InboundSupply.external_id == external_id).with_for_update()
    )
    if supply is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["externalId"], f"no supply {external_id!r}")
    location = await session.get_one(Location, supply.location_id)
    if principal.role is Role.STORE and not principal.may_use_location(location.code):
        raise DomainError.one(ErrorCode.NOT_FOUND, ["externalId"], f"no supply {external_id!r}")
    due = rules.still_due(supply.quantity, supply.quantity_received)
    if supply.status is not SupplyStatus.OPEN:
        raise DomainError.one(ErrorCode.INVALID_TRANSITION, ["externalId"], f"the supply is {supply.status.value}")
    if not 0 < quantity <= due:
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["quantity"], f"1 to {due} units (still to come)")
    now = utcnow()
    movement = ledger.Movement(rules.RECEIVED_REASON, principal.name, now)
    await ledger.receive(session, location_id=location.id, units={supply.sku: quantity}, movement=movement)
    _received(supply, quantity, now)
    await requeue_backorders(session, skus=[supply.sku], actor=principal.name)
    await _arrived(session, skus={supply.sku}, actor=principal.name)
    return supply


def _received(supply: InboundSupply, units: int, now: datetime) -> None:
    supply.quantity_received += units
    supply.status, supply.updated_at = rules.status_after(supply.quantity, supply.quantity_received), now


async def _arrived(session: AsyncSession, *, skus: set[str], actor: str | None) -> None:
    """Supply of the skus reached a shelf: the orders waiting for it get it, oldest first; what the arrived
    units could not serve (others took the stock first) no longer has supply to wait for; the rest are
    dated anew by the supply still to come."""
    await future_promises.supply_arrived(session, skus=skus, actor=actor or SYSTEM)
    await future_promises.supply_cut(session, skus=skus, actor=actor or SYSTEM)
    await future_promises.redate(session, skus=skus)


async def supplied_levels(
    session: AsyncSession, *, levels: Sequence[tuple[str, uuid.UUID]] | Select[tuple[str, uuid.UUID]]
) -> set[str]:
    """Before a count of these (sku, location id) levels (given, or selected): the skus with OPEN supply at
    any of them, their products locked (the ledger's lock order: products before levels), for `counted_in`."""
    pair = tuple_(InboundSupply.sku, InboundSupply.location_id)
    find = select(InboundSupply.sku).distinct().where(InboundSupply.status == SupplyStatus.OPEN)
    if isinstance(levels, Select):
        skus = set(await session.scalars(find.where(pair.in_(levels))))
    else:
        keys = sorted(set(levels))
        chunks = [keys[start : start + COUNT_CHUNK] for start in range(0, len(keys), COUNT_CHUNK)]
        skus = {sku for chunk in chunks for sku in await session.scalars(find.where(pair.in_(chunk)))}
    if skus:
        await ledger.lock_products(session, skus=skus)
    return skus


async def counted_in(
    session: AsyncSession,
    *,
    locked: set[str],
    found: Mapping[tuple[str, uuid.UUID], int],
    at: datetime,
    actor: str | None,
) -> list[InboundSupply]:
    """After counts: where a count found more than the books had (`found`, by level), that is the level's
    OPEN supply (due by a week after `at`, earliest first) arriving: received as a receipt would, the count
    having put the units on the shelf already. Only skus of `locked` (see `supplied_levels`)."""
    rises = {key: n for key, n in found.items() if n > 0 and key[0] in locked}
    if not rises:
        return []
    pair = tuple_(InboundSupply.sku, InboundSupply.location_id)
    rows = await session.scalars(
        select(InboundSupply)
        .where(
            InboundSupply.status == SupplyStatus.OPEN,
            pair.in_(sorted(rises)),
            InboundSupply.expected_at <= at + rules.EARLY_ARRIVAL,
        )
        .order_by(InboundSupply.expected_at, InboundSupply.external_id)
        .with_for_update()
    )
    due: dict[tuple[str, uuid.UUID], list[tuple[InboundSupply, int]]] = defaultdict(list)
    for row in rows:
        due[(row.sku, row.location_id)].append((row, rules.still_due(row.quantity, row.quantity_received)))
    received = []
    for key, supplies in due.items():
        for supply, units in rules.counted_in(rises[key], supplies):
            _received(supply, units, at)
            received.append(supply)
    if received:
        await _arrived(session, skus={s.sku for s in received}, actor=actor)
    return received


async def list_inbound_supply(
    session: AsyncSession,
    *,
    location_code: str | None,
    sku: str | None,
    statuses: Sequence[SupplyStatus] | None,
    overdue: bool | None,
    first: int,
    now: datetime | None = None,
) -> list[Supply]:
    """By expected date (then external id): of a location, of a sku, of some statuses, overdue or not."""
    if not 0 < first <= MAX_PAGE:
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["first"], f"1 to {MAX_PAGE}")
    now = now or utcnow()
    query = select(InboundSupply, Location.code).join(Location, Location.id == InboundSupply.location_id)
    if location_code is not None:
        query = query.where(Location.code == location_code)
    if sku is not None:
        query = query.where(InboundSupply.sku == sku)
    if statuses:
        query = query.where(InboundSupply.status.in_(list(statuses)))
    if overdue is not None:
        late = (InboundSupply.status == SupplyStatus.OPEN) & (InboundSupply.expected_at < now)
        query = query.where(late if overdue else ~late)
    rows = await session.execute(query.order_by(InboundSupply.expected_at, InboundSupply.external_id).limit(first))
    return [Supply(row, code, rules.overdue(row.expected_at, now, row.status)) for row, code in rows]
