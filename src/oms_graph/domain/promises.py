"""Watching the promise: why an order may not meet the date it was promised. Pure rules over what routing,
the locations and the carriers did."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.domain.orders import OrderStatus


class RiskCause(StrEnum):
    NOT_ACCEPTED = "NOT_ACCEPTED"  # a location has not taken its part in time
    BACKORDERED = "BACKORDERED"  # no stock to route it to
    SUPPLY_OVERDUE = "SUPPLY_OVERDUE"  # the supply it waits for is late
    CARRIER_LATE = "CARRIER_LATE"  # a parcel on the road past its date
    LATE = "LATE"  # routing now expects it after the promise


# Orders the promise is still to be kept for.
WATCHED = frozenset(
    {
        OrderStatus.PLACED,
        OrderStatus.BACKORDERED,
        OrderStatus.AWAITING_SUPPLY,
        OrderStatus.ROUTED,
        OrderStatus.IN_FULFILMENT,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
    }
)


@dataclass(frozen=True)
class Part:
    status: FulfilmentStatus
    since: datetime  # its last change
    expected: date | None


def causes(
    *,
    status: OrderStatus,
    promised: date | None,
    expected: date | None,
    supply_due_at: datetime | None,
    parts: Iterable[Part],
    now: datetime,
    accept_within: timedelta,
) -> set[RiskCause]:
    """Why an order may miss its promise now (nothing when it was promised nothing)."""
    if promised is None or status not in WATCHED:
        return set()
    found = set()
    if status is OrderStatus.BACKORDERED:
        found.add(RiskCause.BACKORDERED)
    if status is OrderStatus.AWAITING_SUPPLY and supply_due_at is not None and supply_due_at < now:
        found.add(RiskCause.SUPPLY_OVERDUE)
    if expected is not None and expected > promised:
        found.add(RiskCause.LATE)
    for part in parts:
        if part.status is FulfilmentStatus.ASSIGNED and part.since < now - accept_within:
            found.add(RiskCause.NOT_ACCEPTED)
        if part.status is FulfilmentStatus.SHIPPED and part.expected is not None and part.expected < now.date():
            found.add(RiskCause.CARRIER_LATE)
    return found


class PromiseDimension(StrEnum):
    """What the on-time figures can be grouped by."""

    CHANNEL = "CHANNEL"
    LOCATION = "LOCATION"
    CARRIER = "CARRIER"
    WEEK = "WEEK"  # of the promised date, ISO (2026-W49)


@dataclass
class Kept:
    """Of the parts done (delivered, or ready for pickup) of orders with a promise: how many, how many by the
    promised date, and the days the others were late, summed."""

    parts: int = 0
    on_time: int = 0
    days_late: int = 0

    def add(self, done: date, promised: date) -> None:
        self.parts += 1
        late = (done - promised).days
        if late <= 0:
            self.on_time += 1
        else:
            self.days_late += late

    @property
    def rate(self) -> float | None:
        return None if not self.parts else self.on_time / self.parts

    @property
    def average_days_late(self) -> float | None:
        """Over the late ones."""
        late = self.parts - self.on_time
        return None if not late else self.days_late / late


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
