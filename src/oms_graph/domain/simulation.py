"""What-if routing: a period's orders replayed, in the order they came, against the stock as it stood (the
ledger's counts at the start, its movements other than sales as they happened, and what the replay itself
allocated), under a strategy; and the figures two replays are compared by. Pure rules."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from oms_graph.domain import routing as scoring


@dataclass
class Stock:
    """Units per (sku, location) as the replay goes, and deliveries taken per (location, day)."""

    units: dict[tuple[str, Hashable], int] = field(default_factory=lambda: defaultdict(int))
    taken: dict[tuple[Hashable, date], int] = field(default_factory=lambda: defaultdict(int))

    def move(self, sku: str, location: Hashable, delta: int) -> None:
        self.units[(sku, location)] += delta

    def held(self, skus: Sequence[str], location: Hashable) -> dict[str, int]:
        return {sku: n for sku in skus if (n := self.units.get((sku, location), 0)) > 0}

    def allocate(self, plan: scoring.Plan, days: Mapping[Hashable, date]) -> None:
        """The plan's units leave, and each location's day (its own, in `days`) took one more delivery."""
        for allocation in plan.allocations:
            self.taken[(allocation.location.id, days[allocation.location.id])] += 1
            for sku, n in allocation.lines.items():
                self.units[(sku, allocation.location.id)] -= n


@dataclass
class Figures:
    """One replay's figures."""

    orders: int = 0
    unsplit: int = 0
    fulfilments: int = 0
    backorders: int = 0
    from_stores: int = 0
    delivery_cost: float = 0.0
    capacity_overruns: int = 0
    same_as_actual: int = 0
    distances: list[float] = field(default_factory=list)

    def add(self, plan: scoring.Plan | None, *, actual: frozenset[str], overrun: int) -> None:
        self.orders += 1
        if plan is None:
            self.backorders += 1
            return
        self.unsplit += len(plan.allocations) == 1
        self.fulfilments += len(plan.allocations)
        self.from_stores += sum(a.location.is_store for a in plan.allocations)
        self.delivery_cost += sum(a.cost for a in plan.allocations)
        self.capacity_overruns += overrun
        self.same_as_actual += frozenset(a.location.code for a in plan.allocations) == actual
        self.distances += [
            a.distance_km if a.distance_km is not None else scoring.OTHER_REGION_KM for a in plan.allocations
        ]

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.distances)
        p95 = ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)] if ordered else None
        routed = self.orders - self.backorders
        return {
            "orders": self.orders,
            "unsplit": self.unsplit,
            "splits": self.fulfilments - routed,
            "averageKm": round(sum(ordered) / len(ordered), 1) if ordered else None,
            "p95Km": None if p95 is None else round(p95, 1),
            "deliveryCost": round(self.delivery_cost, 2),
            "shipFromStoreShare": round(self.from_stores / self.fulfilments, 4) if self.fulfilments else None,
            "capacityOverruns": self.capacity_overruns,
            "backorders": self.backorders,
            "sameAsActual": self.same_as_actual,
        }


def overrun(
    plan: scoring.Plan,
    taken: Mapping[tuple[Hashable, date], int],
    capacity: Mapping[Hashable, int | None],
    days: Mapping[Hashable, date],
) -> int:
    """How many of a plan's fulfilments go beyond their location's capacity on its day."""
    beyond = 0
    for allocation in plan.allocations:
        where = allocation.location.id
        limit = capacity.get(where)
        if limit is not None and taken.get((where, days[where]), 0) >= limit:
            beyond += 1
    return beyond
