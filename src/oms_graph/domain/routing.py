"""The routing engine: which locations should fulfil an order, and why. Pure functions, no I/O.

A plan allocates every ordered unit to locations that hold it. Plans are scored by weighted factors
(lower is better): distance from each location to the customer, delivery cost, location priority
(higher priority lowers the score) and a penalty for every fulfilment beyond the first. An order is
split only when no single location can serve it, a line only when no single location can serve that
line. The search stays small with hundreds of locations: it scores every location that can serve the
whole order; failing that, it grows split plans greedily from the most promising first picks (most
units first, among the best-ranked locations before all of them), improves them by swapping locations,
and keeps a bounded number of alternatives.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from oms_graph.domain.geo import distance_km

# Without coordinates on the address, distance is guessed from regions.
SAME_REGION_KM = 30.0
OTHER_REGION_KM = 300.0
# Delivery cost of a fulfilment: the location's handling cost plus a rate per km, growing with weight.
RATE_PER_KM = 0.01
RATE_PER_KM_AND_KG = 0.002
FIRST_PICKS = 8  # split plans are grown from this many different first locations
SWAP_POOL = 40  # locations tried when improving a split plan
GREEDY_POOL = 120  # the best-ranked locations a split plan is grown from before trying them all


@dataclass(frozen=True)
class Profile:
    """A channel's routing preferences (RoutingProfile in the API)."""

    distance_weight: float = 1.0
    cost_weight: float = 1.0
    priority_weight: float = 0.5
    split_penalty: float = 5.0
    max_splits: int = 3
    allow_ship_from_store: bool = True
    # A pickup its store cannot hold whole gets the missing units by transfer from another location.
    allow_transfer_to_pickup: bool = False
    # A delivery order stock can promise only in part, the rest sold against inbound supply, ships what
    # stock has at once and the rest when the supply arrives (else all of it then).
    split_for_supply: bool = False
    # An exchange's replacement ships at once, before the returned units arrive (else once they are received).
    exchange_before_return: bool = False


@dataclass(frozen=True)
class Candidate:
    """A location that might fulfil the order, with the units it can give now."""

    id: Hashable
    code: str
    latitude: float
    longitude: float
    region: str
    priority: int = 0
    handling_cost: float = 0.0
    is_store: bool = False
    capacity_left: int | None = None  # fulfilments it can still take today; None is unlimited
    stock: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Demand:
    lines: Mapping[str, int]  # units per sku
    weights: Mapping[str, int] = field(default_factory=dict)  # grams per unit
    destination: tuple[float, float] | None = None
    region: str | None = None
    # km per location id, filled as plans are scored (the same locations are scored many times)
    distances: dict[Hashable, tuple[float | None, float]] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Factor:
    name: str
    value: float
    weight: float


@dataclass(frozen=True)
class Allocation:
    location: Candidate
    lines: Mapping[str, int]
    distance_km: float | None
    cost: float


@dataclass(frozen=True)
class Plan:
    allocations: tuple[Allocation, ...]
    score: float
    factors: tuple[Factor, ...]

    @property
    def locations(self) -> frozenset[Hashable]:
        return frozenset(a.location.id for a in self.allocations)


@dataclass(frozen=True)
class Decision:
    """The best plan (None when the order cannot be served in full) and the best ones it beat."""

    chosen: Plan | None
    alternatives: tuple[Plan, ...]


def route(demand: Demand, candidates: Iterable[Candidate], profile: Profile, *, alternatives: int = 3) -> Decision:
    """Choose the locations for an order; see the module's docstring for how."""
    pool = [c for c in candidates if _eligible(c, demand, profile)]
    plans: dict[frozenset[Hashable], Plan] = {}

    def keep(plan: Plan | None) -> None:
        if plan is not None and (plan.locations not in plans or plan.score < plans[plan.locations].score):
            plans[plan.locations] = plan

    for candidate in pool:
        if all(candidate.stock.get(sku, 0) >= qty for sku, qty in demand.lines.items()):
            keep(_plan([(candidate, dict(demand.lines))], demand, profile))
    # An order is split only when no single location can serve it.
    if not plans and profile.max_splits > 1:
        ranked = sorted(pool, key=lambda c: _solo_score(c, demand, profile))
        whole = {sku for sku, qty in demand.lines.items() if any(c.stock.get(sku, 0) >= qty for c in pool)}
        for first in ranked[:FIRST_PICKS]:
            # Grown from the most promising locations first; from all of them only when those cannot serve it.
            grown = _greedy(first, ranked[:GREEDY_POOL], whole, demand, profile) or _greedy(
                first, ranked, whole, demand, profile
            )
            keep(_improve(grown, ranked[:SWAP_POOL], demand, profile))
    best = sorted(plans.values(), key=lambda p: (p.score, sorted(a.location.code for a in p.allocations)))
    if not best:
        return Decision(chosen=None, alternatives=())
    return Decision(chosen=best[0], alternatives=tuple(best[1 : 1 + alternatives]))


class DecisionKind(StrEnum):
    """What a routing decision in an order's history did."""

    ROUTED = "ROUTED"  # first routed: its fulfilments made
    REROUTED = "REROUTED"  # units a location gave back (rejected, picked short) routed elsewhere
    TRANSFERS = "TRANSFERS"  # a pickup's missing units planned as transfers to its store
    BACKORDERED = "BACKORDERED"  # nowhere could serve it: it waits for stock


@dataclass(frozen=True)
class Refusal:
    """Why one location could not serve an order whole."""

    code: str
    reasons: tuple[str, ...]


def refusals(
    demand: Demand,
    candidates: Iterable[Candidate],
    profile: Profile,
    *,
    excluded: frozenset[Hashable] = frozenset(),
    outside_pool: frozenset[Hashable] = frozenset(),
) -> list[Refusal]:
    """A backorder's explanation: each location that holds any of the skus, and why it could not serve the
    order (excluded after giving it back, outside the channel's pool, a store with ship-from-store off, no
    capacity left today, short of units; else only together with others, beyond the profile's splits)."""
    found = []
    for candidate in sorted(candidates, key=lambda c: c.code):
        reasons = []
        if candidate.id in excluded:
            reasons.append("excluded: it gave these units back")
        if candidate.id in outside_pool:
            reasons.append("outside the channel's availability pool")
        if candidate.is_store and not profile.allow_ship_from_store:
            reasons.append("a store, and ship-from-store is off for the channel")
        if candidate.capacity_left is not None and candidate.capacity_left <= 0:
            reasons.append("no shipping capacity left today")
        short = [
            f"{sku} {candidate.stock.get(sku, 0)} of {quantity}"
            for sku, quantity in sorted(demand.lines.items())
            if candidate.stock.get(sku, 0) < quantity
        ]
        if short:
            reasons.append("short: " + ", ".join(short))
        if not reasons:
            reasons.append(f"only with others, in more than {profile.max_splits} fulfilments")
        found.append(Refusal(candidate.code, tuple(reasons)))
    return found


def after(candidates: Iterable[Candidate], plan: Plan) -> list[Candidate]:
    """The candidates once `plan` has taken its units and one fulfilment of each location's capacity: the
    pool the next order of a batch is routed against."""
    taken = {a.location.id: a.lines for a in plan.allocations}
    pool = []
    for candidate in candidates:
        lines = taken.get(candidate.id)
        if lines is None:
            pool.append(candidate)
            continue
        stock = {sku: units - lines.get(sku, 0) for sku, units in candidate.stock.items()}
        capacity = None if candidate.capacity_left is None else candidate.capacity_left - 1
        pool.append(replace(candidate, stock={s: u for s, u in stock.items() if u > 0}, capacity_left=capacity))
    return pool


def _eligible(candidate: Candidate, demand: Demand, profile: Profile) -> bool:
    if candidate.is_store and not profile.allow_ship_from_store:
        return False
    if candidate.capacity_left is not None and candidate.capacity_left <= 0:
        return False
    return any(candidate.stock.get(sku, 0) > 0 for sku in demand.lines)


def _greedy(
    first: Candidate, ranked: Sequence[Candidate], whole_somewhere: set[str], demand: Demand, profile: Profile
) -> Plan | None:
    """Grow a plan from `first`, each time adding the location that takes the most remaining units."""
    remaining = dict(demand.lines)
    chosen: list[tuple[Candidate, dict[str, int]]] = []
    pick: Candidate | None = first
    while pick is not None:
        taken = _takes(pick, remaining, whole_somewhere)
        if taken:
            chosen.append((pick, taken))
            for sku, qty in taken.items():
                remaining[sku] -= qty
                if not remaining[sku]:
                    del remaining[sku]
        if not remaining or len(chosen) >= profile.max_splits:
            break
        used = {c.id for c, _ in chosen}
        pick, most = None, 0
        for c in ranked:  # ranked order breaks ties
            if c.id not in used and (units := _units_taken(c, remaining, whole_somewhere)) > most:
                pick, most = c, units
    return None if remaining else _plan(chosen, demand, profile)


def _units_taken(candidate: Candidate, remaining: Mapping[str, int], whole_somewhere: set[str]) -> int:
    # Walks the location's few skus rather than the order's many: this runs for every location at
    # every greedy step.
    units = 0
    for sku, have in candidate.stock.items():
        qty = remaining.get(sku)
        if qty is None or have <= 0:
            continue
        if have >= qty:
            units += qty
        elif sku not in whole_somewhere:
            units += have
    return units


def _takes(candidate: Candidate, remaining: Mapping[str, int], whole_somewhere: set[str]) -> dict[str, int]:
    """What a location can take of the remaining units: lines whole, or in part if no one has them whole."""
    taken = {}
    for sku, have in candidate.stock.items():
        qty = remaining.get(sku)
        if qty is None or have <= 0:
            continue
        if have >= qty:
            taken[sku] = qty
        elif sku not in whole_somewhere:
            taken[sku] = have
    return taken


def _improve(plan: Plan | None, pool: Sequence[Candidate], demand: Demand, profile: Profile) -> Plan | None:
    """Swap one location of the plan for another that can take the same lines, while that lowers the score."""
    improved = True
    while plan is not None and improved:
        improved = False
        for i, allocation in enumerate(plan.allocations):
            used = plan.locations
            for other in pool:
                if other.id in used or any(other.stock.get(s, 0) < q for s, q in allocation.lines.items()):
                    continue
                parts = [(a.location, dict(a.lines)) for a in plan.allocations]
                parts[i] = (other, dict(allocation.lines))
                swapped = _plan(parts, demand, profile)
                if swapped is not None and swapped.score < plan.score - 1e-9:
                    plan, improved = swapped, True
                    break
            if improved:
                break
    return plan


def _distance(candidate: Candidate, demand: Demand) -> tuple[float | None, float]:
    """(great-circle km, or None without coordinates; the km used for scoring)."""
    known = demand.distances.get(candidate.id)
    if known is not None:
        return known
    if demand.destination is not None:
        km = distance_km(candidate.latitude, candidate.longitude, *demand.destination)
        known = (km, km)
    else:
        known = (None, SAME_REGION_KM if demand.region and candidate.region == demand.region else OTHER_REGION_KM)
    demand.distances[candidate.id] = known
    return known


def _cost(candidate: Candidate, km: float, lines: Mapping[str, int], demand: Demand) -> float:
    kg = sum(demand.weights.get(sku, 0) * qty for sku, qty in lines.items()) / 1000
    return candidate.handling_cost + km * (RATE_PER_KM + RATE_PER_KM_AND_KG * kg)


def _plan(parts: Sequence[tuple[Candidate, Mapping[str, int]]], demand: Demand, profile: Profile) -> Plan | None:
    if not parts:
        return None
    allocations = []
    for candidate, lines in parts:
        km, scoring_km = _distance(candidate, demand)
        allocations.append(
            Allocation(candidate, dict(lines), km, round(_cost(candidate, scoring_km, lines, demand), 2))
        )
    scoring_km = sum(_distance(a.location, demand)[1] for a in allocations)
    factors = (
        Factor("distance", scoring_km / 100, profile.distance_weight),
        Factor("cost", sum(a.cost for a in allocations), profile.cost_weight),
        Factor("priority", -sum(a.location.priority for a in allocations) / len(allocations), profile.priority_weight),
        Factor("splits", len(allocations) - 1, profile.split_penalty),
    )
    return Plan(tuple(allocations), sum(f.value * f.weight for f in factors), factors)


def _solo_score(candidate: Candidate, demand: Demand, profile: Profile) -> float:
    """How good a location is as a first pick: its score as if it took the whole order."""
    km = _distance(candidate, demand)[1]
    return (
        profile.distance_weight * km / 100
        + profile.cost_weight * _cost(candidate, km, demand.lines, demand)
        - profile.priority_weight * candidate.priority
    )
