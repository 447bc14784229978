"""Routing engine plan time, printed as a table. Run on demand: .venv/bin/python bench/routing.py

10 lines over 500 locations (target p95 < 20 ms): when warehouses can serve the whole order, when
stock is scattered so that every plan must split, a transfer's sources for a pickup store that has none
of the cart (every location may send, stores as warehouses: no ship-from-store limits, no daily capacity),
and the scattered case under a 20-rule strategy whose last rule matches (every condition looked at, the
candidates kept to a group of half the locations, weights changed).
bench/routing_transfers.py times routing with its SQL.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datetime import UTC, datetime  # noqa: E402
from decimal import Decimal  # noqa: E402

from oms_graph.domain import strategies as rules  # noqa: E402
from oms_graph.domain.orders import FulfilmentMethod  # noqa: E402
from oms_graph.domain.routing import Candidate, Demand, Profile, route  # noqa: E402
from oms_graph.services.routing.strategies import InForce  # noqa: E402

LOCATIONS = 500
SKUS = [f"S-{i}" for i in range(10)]


def network(rng: random.Random, scattered: bool, transfer: bool = False) -> list[Candidate]:
    candidates = []
    for i in range(LOCATIONS):
        warehouse = i < 10
        if scattered:  # each location holds a few skus, a few units each
            stock = {sku: rng.randint(1, 3) for sku in rng.sample(SKUS, 3)}
        else:
            stock = {sku: rng.randint(0, 40 if warehouse else 4) for sku in SKUS}
        candidates.append(
            Candidate(
                id=i,
                code=f"L-{i:03d}",
                latitude=47.5 + rng.random() * 7,
                longitude=6 + rng.random() * 9,
                region=f"R-{i % 16}",
                priority=10 if warehouse else rng.randint(0, 5),
                handling_cost=1.0 if warehouse else 2.5,
                is_store=not warehouse and not transfer,
                capacity_left=None if warehouse or transfer else rng.randint(0, 40),
                stock=stock,
            )
        )
    return candidates


def strategy() -> InForce:
    """20 rules: 19 that do not match the orders below (each a different part of a condition), then one
    that does, keeping them to the even-numbered half of the locations with other weights."""
    misses = [
        rules.Condition(countries=frozenset({"AT"})),
        rules.Condition(regions=frozenset({"R-99"})),
        rules.Condition(postal_prefixes=("99",)),
        rules.Condition(categories=frozenset({"Garden"})),
        rules.Condition(min_value=Decimal("100000")),
        rules.Condition(max_weight_grams=1),
        rules.Condition(method=FulfilmentMethod.PICKUP),
    ]
    ordered = [rules.Rule(f"miss-{n}", misses[n % len(misses)]) for n in range(19)]
    ordered.append(
        rules.Rule(
            "even half",
            rules.Condition(countries=frozenset({"DE"}), min_weight_grams=1),
            rules.Effect(allow_groups=("EVEN",), distance_weight=2.0, max_splits=5),
        )
    )
    groups = {"EVEN": frozenset(f"L-{i:03d}" for i in range(0, LOCATIONS, 2))}
    return InForce({"web": (1, ordered)}, groups, {sku: "Apparel" for sku in SKUS})


FACTS = rules.Facts(
    "DE", "R-1", "10117", frozenset({"Apparel"}), Decimal(50), 8000, FulfilmentMethod.DELIVERY, datetime.now(UTC).date()
)


def measure(
    scattered: bool, rounds: int = 200, transfer: bool = False, strategic: bool = False
) -> tuple[float, float, float]:
    rng = random.Random(7)
    times, splits = [], []
    profile = Profile(max_splits=5, allow_ship_from_store=True) if transfer else Profile(max_splits=5)
    in_force = strategy()
    for _ in range(rounds):
        candidates = network(rng, scattered, transfer)
        demand = Demand(
            lines={sku: rng.randint(1, 3) for sku in SKUS},
            weights={s: 400 for s in SKUS},
            destination=(47.5 + rng.random() * 7, 6 + rng.random() * 9),
        )
        started = time.perf_counter()
        used, offered = profile, candidates
        if strategic:
            applied = in_force.apply("web", lambda: FACTS, profile, candidates)  # type: ignore[arg-type]
            used, offered = applied.profile, applied.candidates
        decision = route(demand, offered, used)
        times.append((time.perf_counter() - started) * 1000)
        if decision.chosen:
            splits.append(len(decision.chosen.allocations))
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], statistics.mean(splits) if splits else 0


def main() -> None:
    rows = [("benchmark", "p50", "p95", "fulfilments per plan", "target")]
    for label, scattered, transfer, strategic in (
        ("10 lines, 500 locations, warehouses hold all", False, False, False),
        ("10 lines, 500 locations, stock scattered", True, False, False),
        ("transfer to a store: 500 may send, scattered", True, True, False),
        ("scattered, under a 20-rule strategy", True, False, True),
    ):
        p50, p95, splits = measure(scattered, transfer=transfer, strategic=strategic)
        rows.append((label, f"{p50:.1f} ms", f"{p95:.1f} ms", f"{splits:.1f}", "p95 < 20 ms"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for i, row in enumerate(rows):
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if i == 0:
            print(" | ".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
