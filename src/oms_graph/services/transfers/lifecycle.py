"""Transfer commands: request one, work it at the source (accept, reject, pick, pack, ship), receive it at the
destination, or cancel it. One transaction each: the transfer's order first when it serves one, then the
transfer, then the skus' products and stock through the ledger. Units that will not come to a pickup are
brought from elsewhere or cancelled on its order (`ship_to_store.rescue`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import Fulfilment, Location, Order, Product, Transfer
from oms_graph.domain import transfers as rules
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.fulfilment import SHORT_PICK, FulfilmentStatus, RejectionReason, picked_units
from oms_graph.domain.text import text_problem
from oms_graph.domain.transfers import TransferAction, TransferStatus
from oms_graph.services.fulfilment.work import cancel_units
from oms_graph.services.orders.backorders import requeue_backorders
from oms_graph.services.stock import figures, ledger
from oms_graph.services.transfers import ship_to_store as pickups
from oms_graph.services.transfers.requesting import Request, reserve_at_source, write_transfer
from oms_graph.services.transfers.transit import transit_time


class TransferLineFields(Protocol):
    sku: str
    quantity: int


class ReceivedLineFields(Protocol):
    sku: str
    received: int
    damaged: int


async def create_transfer(
    session: AsyncSession,
    *,
    from_code: str,
    to_code: str,
    lines: Sequence[TransferLineFields],
    reason: str,
    principal: Principal,
) -> Transfer:
    """Request a transfer: its units reserved at the source (never what orders hold or promised), or
    nothing written (INSUFFICIENT_STOCK per line there are not enough of)."""
    errors = ErrorList()
    reason = reason.strip()
    if not reason or len(reason) > 200:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "reason"], "say why, in at most 200 characters")
    if not 0 < len(lines) <= rules.MAX_LINES:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "lines"], f"1 to {rules.MAX_LINES} lines")
    units: dict[str, int] = {}
    first: dict[str, int] = {}
    for i, line in enumerate(lines):
        if not 0 < line.quantity <= rules.MAX_UNITS:
            errors.add(ErrorCode.INVALID_INPUT, ["input", "lines", i, "quantity"], "must be positive")
        elif line.sku in units:
            errors.add(ErrorCode.INVALID_INPUT, ["input", "lines", i, "sku"], f"{line.sku} is given twice")
        else:
            units[line.sku], first[line.sku] = line.quantity, i
    found = {
        loc.code: loc for loc in await session.scalars(select(Location).where(Location.code.in_({from_code, to_code})))
    }
    for code, name in ((from_code, "from"), (to_code, "to")):
        location = found.get(code)
        if location is None:
            errors.add(ErrorCode.UNKNOWN_LOCATION, ["input", name], f"no location with code {code!r}")
        elif not location.active:
            errors.add(ErrorCode.INVALID_INPUT, ["input", name], f"{code} is not active")
    if from_code == to_code:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "to"], "a transfer goes to another location")
    asked = {line.sku for line in lines}
    known = set(await session.scalars(select(Product.sku).where(Product.sku.in_(asked))))
    for i, line in enumerate(lines):
        if line.sku not in known:
            errors.add(ErrorCode.UNKNOWN_SKU, ["input", "lines", i, "sku"], f"no product with sku {line.sku!r}")
    errors.raise_if_any()
    if principal.role is Role.STORE and not (
        principal.may_use_location(from_code) or principal.may_use_location(to_code)
    ):
        raise DomainError.one(
            ErrorCode.PERMISSION_DENIED, ["input", "from"], "a STORE key requests transfers from or to its location"
        )
    source, destination, now = found[from_code], found[to_code], utcnow()
    request = Request(source, destination, units, reason, principal.name, now)
    promised = await ledger.lock_products(session, skus=units)
    short = await reserve_at_source(session, request, promised)
    if short:
        level = figures.levels.c
        available: dict[str, int] = dict(
            (
                await session.execute(
                    select(level.sku, figures.AVAILABLE).where(level.location_id == source.id, level.sku.in_(short))
                )
            ).all()
        )
        for sku in short:
            errors.add(
                ErrorCode.INSUFFICIENT_STOCK,
                ["input", "lines", first[sku], "quantity"],
                f"{sku}: {units[sku]} wanted, {max(0, available.get(sku, 0))} free at {from_code} "
                "(what orders hold there, or the network promised, stays)",
            )
        errors.raise_if_any()
    expected = now + await transit_time(session, source=source, destination=destination)
    return await write_transfer(session, request, expected_at=expected)


@dataclass
class Work:
    """A transfer locked for change, with its order (locked first) when it serves one, and its two ends."""

    transfer: Transfer
    order: Order | None
    source: Location
    destination: Location

    @property
    def status(self) -> TransferStatus:
        return TransferStatus(self.transfer.status)


_ORDER_OF = select(Transfer.order_id).where(Transfer.id == bindparam("b_transfer"))


async def for_work(session: AsyncSession, transfer_id: uuid.UUID, principal: Principal, *, at: str) -> Work:
    """The transfer (its order locked first), if the caller works at `at` ("source", "destination" or
    "either") of it; NOT_FOUND for a transfer a STORE key has no part in."""
    order_id = await session.scalar(_ORDER_OF, {"b_transfer": transfer_id})
    order = (
        await session.scalar(select(Order).where(Order.id == order_id).with_for_update())
        if order_id is not None
        else None
    )
    transfer = await session.scalar(select(Transfer).where(Transfer.id == transfer_id).with_for_update())
    if transfer is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such transfer")
    source = await session.get_one(Location, transfer.from_location_id)
    destination = await session.get_one(Location, transfer.to_location_id)
    if principal.role is Role.STORE:
        ends = {"source": [source], "destination": [destination], "either": [source, destination]}[at]
        if not any(principal.may_use_location(loc.code) for loc in (source, destination)):
            raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such transfer")
        if not any(principal.may_use_location(loc.code) for loc in ends):
            raise DomainError.one(ErrorCode.PERMISSION_DENIED, ["id"], f"only the {at} works this step of a transfer")
    return Work(transfer, order, source, destination)


def _move(work: Work, action: TransferAction) -> TransferStatus:
    target = rules.next_status(action, work.status)
    if target is None:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION, ["id"], f"a transfer {work.status.value} cannot {action.value}"
        )
    return target


async def accept(session: AsyncSession, *, transfer_id: uuid.UUID, principal: Principal) -> Transfer:
    """The source takes the work."""
    work = await for_work(session, transfer_id, principal, at="source")
    await pickups.moved(session, work.transfer, _move(work, TransferAction.ACCEPT), principal.name, utcnow())
    return work.transfer


async def pack(session: AsyncSession, *, transfer_id: uuid.UUID, principal: Principal) -> Transfer:
    """Packed at the source, with its manifest, for the road."""
    work = await for_work(session, transfer_id, principal, at="source")
    await pickups.moved(session, work.transfer, _move(work, TransferAction.PACK), principal.name, utcnow())
    return work.transfer


async def reject(
    session: AsyncSession, *, transfer_id: uuid.UUID, reason: RejectionReason, note: str | None, principal: Principal
) -> Transfer:
    """The source cannot send it: its reservation is given back (and, when the units are not there or not
    sellable, they leave its onHand); a pickup it served gets them from elsewhere."""
    work = await for_work(session, transfer_id, principal, at="source")
    target = _move(work, TransferAction.REJECT)
    if note is not None and (len(note) > 500 or text_problem(note)):
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["note"], "at most 500 characters of plain text")
    now = utcnow()
    units = await pickups.held_at_source(session, work.transfer)
    await ledger.lock_products(session, skus=units)
    gone = rules.STOCK_GONE.get(reason)
    await _give_back(session, work, units, gone=gone, actor=principal.name, at=now)
    work.transfer.rejection_reason, work.transfer.note = reason, (note or "").strip() or None
    await pickups.moved(session, work.transfer, target, principal.name, now, {"reason": reason.value})
    await _not_coming(session, work, units, principal, now)
    return work.transfer


async def pick(
    session: AsyncSession, *, transfer_id: uuid.UUID, lines: Sequence[TransferLineFields], principal: Principal
) -> Transfer:
    """What was picked of each line (what ships); what was not is a short pick: off the source's onHand.
    Nothing picked at all rejects it as OUT_OF_STOCK."""
    work = await for_work(session, transfer_id, principal, at="source")
    target = _move(work, TransferAction.PICK)
    asked = {line.sku: line for line in await pickups.transfer_lines(session, work.transfer.id)}
    picked = picked_units({sku: line.quantity for sku, line in asked.items()}, lines, holder="transfer")
    now = utcnow()
    short = {sku: asked[sku].quantity - n for sku, n in picked.items() if n < asked[sku].quantity}
    await ledger.lock_products(session, skus=short)
    for sku, n in picked.items():
        asked[sku].quantity_picked = n
    await _give_back(session, work, short, gone=SHORT_PICK, actor=principal.name, at=now)
    if not any(picked.values()):
        work.transfer.rejection_reason, target = RejectionReason.OUT_OF_STOCK, TransferStatus.REJECTED
    await pickups.moved(session, work.transfer, target, principal.name, now, {"picked": picked, "short": short})
    await _not_coming(session, work, short, principal, now)
    return work.transfer


async def ship(session: AsyncSession, *, transfer_id: uuid.UUID, principal: Principal) -> Transfer:
    """The parcels leave the source: the picked units leave its onHand and are in transit to the destination."""
    work = await for_work(session, transfer_id, principal, at="source")
    target = _move(work, TransferAction.SHIP)
    now = utcnow()
    units = await pickups.held_at_source(session, work.transfer)
    short = await ledger.send(
        session,
        from_location_id=work.source.id,
        to_location_id=work.destination.id,
        units=units,
        movement=ledger.Movement(rules.SENT_REASON, principal.name, now),
    )
    if short is not None:
        raise DomainError.one(
            ErrorCode.INSUFFICIENT_STOCK,
            ["id"],
            f"{work.source.code} has fewer than {units[short]} units of {short} on hand: correct its count first",
        )
    work.transfer.shipped_at = now
    await pickups.moved(session, work.transfer, target, principal.name, now, {"lines": units})
    return work.transfer


async def receive(
    session: AsyncSession, *, transfer_id: uuid.UUID, lines: Sequence[ReceivedLineFields], principal: Principal
) -> Transfer:
    """The destination counts what arrived of each shipped line: sellable units join its onHand (reserved for
    the pickup they were sent for), damaged ones are written off there, and what never came is recorded on
    the line. RECEIVED when all arrived sellable, else PARTLY_RECEIVED."""
    work = await for_work(session, transfer_id, principal, at="destination")
    _move(work, TransferAction.RECEIVE)
    shipped = {line.sku: line for line in await pickups.transfer_lines(session, work.transfer.id)}
    errors = ErrorList()
    receipts: dict[str, rules.Receipt] = {}
    for i, line in enumerate(lines):
        sent = shipped.get(line.sku)
        if sent is None:
            errors.add(ErrorCode.INVALID_INPUT, ["lines", i, "sku"], f"{line.sku} is not in this transfer")
        elif line.sku in receipts:
            errors.add(ErrorCode.INVALID_INPUT, ["lines", i, "sku"], f"{line.sku} is given twice")
        else:
            n = sent.quantity_picked or 0
            problem = rules.receipt_problem(shipped=n, received=line.received, damaged=line.damaged)
            if problem:
                errors.add(ErrorCode.INVALID_INPUT, ["lines", i, "received"], problem)
            else:
                receipts[line.sku] = rules.Receipt(n, line.received, line.damaged)
    for sku in sorted(s for s, line in shipped.items() if line.quantity_picked and s not in receipts):
        errors.add(ErrorCode.INVALID_INPUT, ["lines"], f"say how many units of {sku} arrived (0 if none)")
    errors.raise_if_any()
    now = utcnow()
    lacking = {sku: r.shipped - r.received for sku, r in receipts.items() if r.shipped > r.received}
    waiting = await _waiting_pickup(session, work)
    if waiting is not None:
        await ledger.lock_products(session, skus=lacking)
    await ledger.land(
        session,
        location_id=work.destination.id,
        arrived={sku: (r.shipped, r.received + r.damaged) for sku, r in receipts.items()},
        reserve={sku: r.received for sku, r in receipts.items()} if waiting is not None else {},
        movement=ledger.Movement(rules.RECEIVED_REASON, principal.name, now),
    )
    for sku, r in sorted(receipts.items()):
        if r.damaged:
            await ledger.write_off(
                session,
                sku=sku,
                location_id=work.destination.id,
                units=r.damaged,
                movement=ledger.Movement(rules.DAMAGED_REASON, principal.name, now),
            )
        shipped[sku].quantity_received, shipped[sku].quantity_damaged = r.received, r.damaged
    work.transfer.received_at = now
    status = rules.received_status(list(receipts.values()))
    data = {sku: {"received": r.received, "damaged": r.damaged, "missing": r.missing} for sku, r in receipts.items()}
    await pickups.moved(session, work.transfer, status, principal.name, now, {"lines": data})
    if waiting is None:  # free stock on a shelf: backorders of it may be served now
        await requeue_backorders(session, skus=[s for s, r in receipts.items() if r.received], actor=principal.name)
    await _not_coming(session, work, lacking, principal, now)
    await pickups.arrived_for_pickup(session, transfer=work.transfer, actor=principal.name, at=now)
    return work.transfer


async def cancel(session: AsyncSession, *, transfer_id: uuid.UUID, reason: str, principal: Principal) -> Transfer:
    """Call the transfer off: at the source its reservation is given back; on the road its units go back to
    the source's shelf (off the destination's in transit). A pickup it served gets them from elsewhere."""
    work = await for_work(session, transfer_id, principal, at="either")
    target = _move(work, TransferAction.CANCEL)
    reason = reason.strip()
    if not reason or len(reason) > 200 or text_problem(reason):
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["reason"], "say why, in at most 200 characters")
    now = utcnow()
    units = await pickups.held_at_source(session, work.transfer)
    await ledger.lock_products(session, skus=units)
    if work.status is TransferStatus.IN_TRANSIT:
        await ledger.call_back(session, to_location_id=work.destination.id, units=units, at=now)
        await ledger.receive(
            session,
            location_id=work.source.id,
            units=units,
            movement=ledger.Movement(rules.RETURNED_REASON, principal.name, now),
        )
        await requeue_backorders(session, skus=units, actor=principal.name)
    else:
        await _give_back(session, work, units, gone=None, actor=principal.name, at=now)
    await pickups.moved(session, work.transfer, target, principal.name, now, {"reason": reason})
    await _not_coming(session, work, units, principal, now)
    return work.transfer


async def _give_back(
    session: AsyncSession, work: Work, units: dict[str, int], *, gone: str | None, actor: str, at: datetime
) -> None:
    """Release units the transfer reserved at its source; with `gone` they also leave its onHand there."""
    await ledger.release(
        session,
        units={(sku, work.source.id): n for sku, n in units.items() if n},
        routed=False,
        at=at,
        write_off=ledger.Movement(gone, actor, at) if gone else None,
    )
    if not gone:
        await requeue_backorders(session, skus=units, actor=actor)


async def _waiting_pickup(session: AsyncSession, work: Work) -> Fulfilment | None:
    """The pickup fulfilment the transfer brings units for, while it still waits for them."""
    if work.transfer.fulfilment_id is None or work.order is None:
        return None
    fulfilment = await session.get(Fulfilment, work.transfer.fulfilment_id, with_for_update=True)
    if fulfilment is None or fulfilment.status != FulfilmentStatus.AWAITING_TRANSFER:
        return None
    return fulfilment


async def _not_coming(
    session: AsyncSession, work: Work, units: dict[str, int], principal: Principal, at: datetime
) -> None:
    """Units of a waiting pickup this transfer will not bring: brought from elsewhere (never from this
    source), else cancelled on the order; the pickup goes on once nothing more is on its way."""
    units = {sku: n for sku, n in units.items() if n}
    fulfilment = await _waiting_pickup(session, work)
    if not units or fulfilment is None or work.order is None:
        return
    missing = await pickups.rescue(
        session,
        order=work.order,
        fulfilment=fulfilment,
        units=units,
        exclude=[work.source.id],
        actor=principal.name,
        at=at,
    )
    if missing:
        await pickups.shrink_pickup(session, fulfilment_id=fulfilment.id, units=missing)
        await cancel_units(session, work.order, missing, principal)
    if not (await pickups.on_the_way(session, fulfilment_ids=[fulfilment.id])).get(fulfilment.id):
        await pickups.waiting_over(session, fulfilment=fulfilment, actor=principal.name, at=at)
