"""An order's units nothing was done with yet (still a promise or the pickup reservation, or in a fulfilment
its location has not accepted): how many there are, and giving some of them up. Cancelling lines and
editing an order both take units away this way."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import Fulfilment, FulfilmentLine, Location, Order
from oms_graph.domain.access import Principal
from oms_graph.domain.events import EventType
from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.domain.orders import FulfilmentMethod
from oms_graph.services.fulfilment.allocation import unallocated
from oms_graph.services.orders.backorders import requeue_backorders
from oms_graph.services.outbox import append_event
from oms_graph.services.stock import ledger


@dataclass(frozen=True)
class Untouched:
    """Units per sku no fulfilment holds, and the not yet accepted fulfilments' lines (fulfilment, location,
    sku, units), newest first: the last assigned gives its units up first."""

    waiting: dict[str, int]
    assigned: list[tuple[uuid.UUID, uuid.UUID, str, int]]

    @property
    def free(self) -> dict[str, int]:
        """Per sku, the units no location has started on."""
        free = Counter(self.waiting)
        for _, _, sku, held in self.assigned:
            free[sku] += held
        return dict(free)


async def free_units(session: AsyncSession, *, order_id: uuid.UUID) -> Untouched:
    """The order's units no location has started on (the fulfilments holding some are locked)."""
    waiting = await unallocated(session, order_id=order_id)
    rows = await session.execute(
        select(Fulfilment.id, Fulfilment.location_id, FulfilmentLine.sku, FulfilmentLine.quantity)
        .join(FulfilmentLine, FulfilmentLine.fulfilment_id == Fulfilment.id)
        .where(Fulfilment.order_id == order_id, Fulfilment.status == FulfilmentStatus.ASSIGNED)
        .order_by(Fulfilment.created_at.desc(), Fulfilment.id)
        .with_for_update(of=Fulfilment)
    )
    return Untouched(waiting, [tuple(row) for row in rows])  # type: ignore[misc]


async def give_up(
    session: AsyncSession,
    *,
    order: Order,
    untouched: Untouched,
    units: dict[str, int],
    reason: str,
    principal: Principal,
    now: datetime,
) -> None:
    """Give up free units of the order (`untouched`, read in this transaction, covers them): their promise
    or reservation is released; a fulfilment left with nothing is CANCELLED; released shelf units may serve
    backorders. The order's lines are the caller's."""
    waiting, assigned = untouched.waiting, untouched.assigned
    delivery = order.delivery_method == FulfilmentMethod.DELIVERY
    if delivery:  # every live delivery unit is in the promise, routed or not, or promised against supply
        await ledger.lock_products(session, skus=units)
        future = {sku: int(n) for sku, n in (order.future_units or {}).items()}
        from_supply = {sku: min(n, future.get(sku, 0)) for sku, n in units.items()}
        present = {sku: n - from_supply[sku] for sku, n in units.items()}
        await ledger.release_promise(session, channel_id=order.channel_id, units=present)
        await ledger.release_future(session, units=from_supply)
        if future:
            order.future_units = {sku: n - from_supply.get(sku, 0) for sku, n in future.items()}
            order.future_units = {sku: n for sku, n in order.future_units.items() if n} or None
    released: Counter[tuple[str, uuid.UUID]] = Counter()
    by_transfer = dict(order.transfer_units or {})  # an unrouted ship-to-store pickup's promised units
    if not delivery and by_transfer:
        await ledger.lock_products(session, skus=units)
    shrunk = False  # some fulfilment gave units up
    for sku, n in sorted(units.items()):
        from_promise = min(n, waiting.get(sku, 0))
        promised = min(from_promise, int(by_transfer.get(sku, 0))) if not delivery else 0
        if promised:  # the ones still to be brought go first: the store keeps what it holds
            await ledger.release_promise(session, channel_id=order.channel_id, units={sku: promised})
            by_transfer[sku] = int(by_transfer[sku]) - promised
        if not delivery and from_promise > promised:  # an unrouted pickup order holds a reservation at its store
            released[(sku, cast(uuid.UUID, order.pickup_location_id))] += from_promise - promised
        left = n - from_promise
        for fulfilment_id, location_id, line_sku, held in assigned:
            if line_sku != sku or not left:
                continue
            take = min(left, held)
            released[(sku, location_id)] += take
            await _shrink(session, fulfilment_id, sku, take, held)
            shrunk = True
            left -= take
    if order.transfer_units:
        order.transfer_units = {sku: n for sku, n in by_transfer.items() if n} or None
    await ledger.release(session, units=released, routed=delivery, at=now, channel_id=order.channel_id)
    freed = {sku for (sku, _), n in released.items() if n}  # on a shelf now: they may serve backorders
    await requeue_backorders(session, skus=freed, actor=principal.name)
    if shrunk:
        await _drop_empty_fulfilments(session, order, reason, principal, now)


async def _shrink(session: AsyncSession, fulfilment_id: uuid.UUID, sku: str, units: int, held: int) -> None:
    """Take units off a fulfilment's line of the sku (all of them: the line goes)."""
    key = (FulfilmentLine.fulfilment_id == fulfilment_id, FulfilmentLine.sku == sku)
    if units >= held:
        await session.execute(delete(FulfilmentLine).where(*key))
    else:
        await session.execute(update(FulfilmentLine).where(*key).values(quantity=FulfilmentLine.quantity - units))


async def _drop_empty_fulfilments(
    session: AsyncSession, order: Order, reason: str, principal: Principal, now: datetime
) -> None:
    """A fulfilment whose every unit was given up is CANCELLED: its location has nothing left to do."""
    await session.flush()
    empty = (
        await session.execute(
            select(Fulfilment, Location.code)
            .join(Location, Location.id == Fulfilment.location_id)
            .where(
                Fulfilment.order_id == order.id,
                Fulfilment.status == FulfilmentStatus.ASSIGNED,
                ~select(FulfilmentLine.id).where(FulfilmentLine.fulfilment_id == Fulfilment.id).exists(),
            )
        )
    ).all()
    for fulfilment, _ in empty:
        fulfilment.status, fulfilment.updated_at = FulfilmentStatus.CANCELLED, now
    await announce_cancelled(
        session,
        order=order,
        cancelled=[(f.id, code) for f, code in empty],
        reason=reason,
        actor=principal.name,
        now=now,
    )


async def announce_cancelled(
    session: AsyncSession,
    *,
    order: Order,
    cancelled: list[tuple[uuid.UUID, str]],
    reason: str,
    actor: str,
    now: datetime,
) -> None:
    """FULFILMENT_CANCELLED for each (fulfilment, location code) of the order: its location's queue drops it."""
    for fulfilment_id, code in cancelled:
        await append_event(
            session,
            order_id=order.id,
            type=EventType.FULFILMENT_CANCELLED,
            actor=actor,
            at=now,
            data={"fulfilment": str(fulfilment_id), "location": code, "reason": reason},
        )
