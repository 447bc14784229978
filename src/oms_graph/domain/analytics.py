"""Analytics rules: how an order line's figures split over the locations fulfilling it, how lines add
up to rows, and the statistics the dashboards show. Pure: the services load the lines and store rows.

A sales row counts the orders placed in a range and what became of their units so far: ordered,
cancelled, returned (attributed to the order's placement day, whenever they happened). Revenue is the
unit price of every unit not cancelled; net revenue also leaves out the returned ones.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum


class Dimension(Enum):
    CHANNEL = "CHANNEL"
    REGION = "REGION"
    CATEGORY = "CATEGORY"
    LOCATION = "LOCATION"
    DAY = "DAY"


# The dimensions an order has one value of; CATEGORY and LOCATION belong to its lines and their units.
ORDER_DIMENSIONS = (Dimension.DAY, Dimension.CHANNEL, Dimension.REGION)
TURNOVER_DIMENSIONS = frozenset({Dimension.CATEGORY, Dimension.LOCATION})


def grain(group_by: Iterable[Dimension]) -> int:
    """Which stored summary answers a grouping: 1 adds category, 2 adds location (so 0 to 3)."""
    dims = set(group_by)
    return (1 if Dimension.CATEGORY in dims else 0) | (2 if Dimension.LOCATION in dims else 0)


GRAINS = (0, 1, 2, 3)


@dataclass(frozen=True)
class OrderedLine:
    """A line of an order, with the order's dimensions and what became of its units."""

    order_id: uuid.UUID
    day: date
    channel: str
    region: str | None
    currency: str
    category: str
    sku: str
    quantity: int
    unit_price: Decimal
    cancelled: int
    returned: int
    # Of the order: fulfilled from more than one location (a split shipment); waiting for stock now.
    split: bool = False
    backordered: bool = False


@dataclass(frozen=True)
class Assignment:
    """Units of an order's sku given to a location (a fulfilment line not rejected; picked units where
    picked, since a short pick sends the rest elsewhere). A cancelled fulfilment's units were cancelled
    there."""

    order_id: uuid.UUID
    sku: str
    location: str
    units: int
    cancelled: bool


@dataclass(frozen=True)
class Share:
    """The part of a line's units at one location (None: not assigned to any, or cancelled off their assignment)."""

    line: OrderedLine
    location: str | None
    units: int
    cancelled: int
    returned: int


def fill(total: int, capacities: Sequence[int]) -> list[int]:
    """`total` poured into `capacities` in order, each taking what fits; the rest is dropped."""
    taken = []
    for capacity in capacities:
        take = max(0, min(total, capacity))
        taken.append(take)
        total -= take
    return taken


def shares(lines: Sequence[OrderedLine], assignments: Sequence[Assignment]) -> list[Share]:
    """Split each line of one order's sku over the locations its units were assigned to (in location
    code order, lines in order). Cancelled units go first to cancelled assignments, then to units never
    assigned; returned units to the locations that kept their units, then to the unassigned rest."""
    placed = sorted(assignments, key=lambda a: a.location)
    left = [a.units for a in placed]
    result: list[Share] = []
    for line in lines:
        taken = fill(line.quantity, left)
        left = [n - t for n, t in zip(left, taken, strict=True)]
        parts: list[tuple[str | None, int, bool]] = [
            (a.location, t, a.cancelled) for a, t in zip(placed, taken, strict=True) if t
        ]
        if line.quantity > sum(taken):
            parts.append((None, line.quantity - sum(taken), False))
        # cancelled: cancelled assignments, then the unassigned part, then any other
        order = sorted(range(len(parts)), key=lambda i: (not parts[i][2], parts[i][0] is not None))
        cancelled = dict(zip(order, fill(line.cancelled, [parts[i][1] for i in order]), strict=True))
        kept = [parts[i][1] - cancelled[i] for i in range(len(parts))]
        located = sorted(range(len(parts)), key=lambda i: parts[i][0] is None)
        returned = dict(zip(located, fill(line.returned, [kept[i] for i in located]), strict=True))
        result.extend(
            Share(line, location, units, cancelled[i], returned[i]) for i, (location, units, _) in enumerate(parts)
        )
    return result


@dataclass(frozen=True)
class Key:
    """A row's values of the dimensions it is grouped by (None where not grouped); always the currency."""

    currency: str
    day: date | None = None
    channel: str | None = None
    region: str | None = None
    category: str | None = None
    location: str | None = None


def key_of(share: Share, group_by: Iterable[Dimension]) -> Key:
    dims = set(group_by)
    line = share.line
    return Key(
        currency=line.currency,
        day=line.day if Dimension.DAY in dims else None,
        channel=line.channel if Dimension.CHANNEL in dims else None,
        region=line.region if Dimension.REGION in dims else None,
        category=line.category if Dimension.CATEGORY in dims else None,
        location=share.location if Dimension.LOCATION in dims else None,
    )


@dataclass
class Figures:
    """What a row adds up. `orders` counts distinct orders where known (`order_ids`), else as summed."""

    orders: int = 0
    units: int = 0
    revenue: Decimal = Decimal(0)
    net_revenue: Decimal = Decimal(0)
    cancelled_units: int = 0
    returned_units: int = 0
    split_orders: int = 0
    backordered_orders: int = 0
    order_ids: set[uuid.UUID] = field(default_factory=set)

    def add_share(self, share: Share) -> None:
        price, order_id = share.line.unit_price, share.line.order_id
        if order_id not in self.order_ids:
            self.order_ids.add(order_id)
            self.orders += 1
            self.split_orders += share.line.split
            self.backordered_orders += share.line.backordered
        self.units += share.units
        self.cancelled_units += share.cancelled
        self.returned_units += share.returned
        self.revenue += price * (share.units - share.cancelled)
        self.net_revenue += price * (share.units - share.cancelled - share.returned)

    def add(self, other: Figures) -> None:
        """Add figures of other orders (other days), so order counts add up."""
        self.orders += other.orders
        self.units += other.units
        self.revenue += other.revenue
        self.net_revenue += other.net_revenue
        self.cancelled_units += other.cancelled_units
        self.returned_units += other.returned_units
        self.split_orders += other.split_orders
        self.backordered_orders += other.backordered_orders


def splits(assignments: Iterable[Assignment]) -> set[uuid.UUID]:
    """The orders fulfilled from more than one location (cancelled assignments aside)."""
    locations: dict[uuid.UUID, set[str]] = {}
    for a in assignments:
        if not a.cancelled:
            locations.setdefault(a.order_id, set()).add(a.location)
    return {order_id for order_id, at in locations.items() if len(at) > 1}


def group(all_shares: Iterable[Share], group_by: Iterable[Dimension]) -> dict[Key, Figures]:
    dims = list(group_by)
    rows: dict[Key, Figures] = {}
    for share in all_shares:
        rows.setdefault(key_of(share, dims), Figures()).add_share(share)
    return rows


def merge(into: dict[Key, Figures], rows: dict[Key, Figures]) -> dict[Key, Figures]:
    """Rows of disjoint sets of orders added together."""
    for key, figures in rows.items():
        into.setdefault(key, Figures()).add(figures)
    return into


def summary_dimensions(grain_no: int) -> list[Dimension]:
    """The dimensions a stored summary of a grain keeps per day."""
    dims = [*ORDER_DIMENSIONS]
    if grain_no & 1:
        dims.append(Dimension.CATEGORY)
    if grain_no & 2:
        dims.append(Dimension.LOCATION)
    return dims


TENTHS_PER_HOUR = 10


def tenths_of_an_hour(seconds: float) -> int:
    """A fulfilment time as counted: in whole tenths of an hour (six minutes), rounded down."""
    return math.floor(seconds / 3600 * TENTHS_PER_HOUR + 1e-9)


def percentile(counts: dict[int, int], q: float) -> float | None:
    """The q-quantile of values given as value -> how many, interpolated between the neighbouring ranks
    (as PostgreSQL's percentile_cont over the values one by one)."""
    total = sum(counts.values())
    if not total:
        return None
    at = (total - 1) * q
    low, high = math.floor(at), math.ceil(at)
    found: dict[int, float] = {}
    seen = 0
    for value in sorted(counts):
        for rank in (low, high):
            if seen <= rank < seen + counts[value]:
                found.setdefault(rank, value)
        seen += counts[value]
    return found[low] + (found[high] - found[low]) * (at - low)


def utilisation(assigned: int, capacity: int | None) -> float | None:
    """Share of a day's ship capacity taken; None where capacity is unlimited, or zero."""
    if not capacity:
        return None
    return assigned / capacity


def turnover(units_sold: int, average_on_hand: float) -> float | None:
    """Units sold per unit held on average; None when nothing was held."""
    return units_sold / average_on_hand if average_on_hand > 0 else None
