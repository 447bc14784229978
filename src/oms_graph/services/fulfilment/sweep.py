"""The fulfilment sweep: what a schedule does when nobody acts in time (assignments not accepted, parcels
not collected)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import (
    Fulfilment,
    Location,
)
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.fulfilment import (
    Action,
    FulfilmentStatus,
    RejectionReason,
)
from oms_graph.services import calendars
from oms_graph.services.fulfilment import work as steps
from oms_graph.services.fulfilment.transitions import reject

SWEEP_BATCH = 200  # fulfilments one scheduled sweep looks at
# Who acts when a schedule does (accept timeouts, pickup expiry).
SCHEDULE = Principal(key_id=uuid.UUID(int=0), name="schedule", role=Role.ADMIN)


async def stale_assignments(session: AsyncSession, *, now: datetime, accept_within: timedelta) -> list[uuid.UUID]:
    """Fulfilments assigned longer than `accept_within` ago and still not accepted, oldest first (a pickup
    that waited for a transfer was assigned when it arrived: its last change)."""
    cutoff = now - accept_within
    rows = await session.scalars(
        select(Fulfilment.id)
        .where(
            Fulfilment.status == FulfilmentStatus.ASSIGNED,
            Fulfilment.created_at < cutoff,
            Fulfilment.updated_at < cutoff,
        )
        .order_by(Fulfilment.created_at)
        .limit(SWEEP_BATCH)
    )
    return list(rows)


async def reassign_if_stale(
    session: AsyncSession, *, fulfilment_id: uuid.UUID, now: datetime, accept_within: timedelta
) -> Fulfilment | None:
    """A location that did not accept in time loses the work: rejected (NO_CAPACITY) and routed elsewhere.
    The time runs on the location's open days only (its calendar)."""
    work = await steps.for_work(session, fulfilment_id, SCHEDULE)
    if work.status is not FulfilmentStatus.ASSIGNED or work.fulfilment.updated_at >= now - accept_within:
        return None  # accepted (or moved on) meanwhile
    location = await session.get_one(Location, work.fulfilment.location_id)
    calendar = (await calendars.calendars(session, locations=[location], at=work.fulfilment.updated_at))[location.id]
    if now < calendar.deadline(work.fulfilment.updated_at, accept_within):
        return None  # it was closed for part of the time
    minutes = int(accept_within.total_seconds() // 60)
    note = f"not accepted within {minutes} minutes"
    return await reject(
        session, fulfilment_id=fulfilment_id, reason=RejectionReason.NO_CAPACITY, note=note, principal=SCHEDULE
    )


async def expired_pickups(session: AsyncSession, *, now: datetime) -> list[uuid.UUID]:
    """Click & collect parcels whose pickup time is over, the longest waiting first."""
    rows = await session.scalars(
        select(Fulfilment.id)
        .where(Fulfilment.status == FulfilmentStatus.READY_FOR_PICKUP, Fulfilment.pickup_expires_at < now)
        .order_by(Fulfilment.pickup_expires_at)
        .limit(SWEEP_BATCH)
    )
    return list(rows)


async def expire_pickup(session: AsyncSession, *, fulfilment_id: uuid.UUID, now: datetime) -> Fulfilment | None:
    """An uncollected parcel goes back to the shelf: the fulfilment is CANCELLED, its reservation released
    (the units stay on hand), and its units cancelled from the order (the whole order when none are left)."""
    work = await steps.for_work(session, fulfilment_id, SCHEDULE)
    expires = work.fulfilment.pickup_expires_at
    if work.status is not FulfilmentStatus.READY_FOR_PICKUP or expires is None or expires >= now:
        return None  # collected meanwhile, or not due
    target = steps.move(work, Action.CANCEL)
    units = await steps.units(session, work.fulfilment)
    await steps.give_back(session, work, units, gone=None, actor=SCHEDULE.name)
    work.fulfilment.status = target
    await steps.cancel_pickup_units(session, work, units, SCHEDULE)
    await steps.done(session, work, target, SCHEDULE, data={"reason": f"not collected by {expires.isoformat()}"})
    return work.fulfilment
