"""Routing strategies as data: per channel, an ordered list of rules, each a condition on the order (where it
goes, what it holds, what it is worth and weighs, how it is delivered, when it was placed) and an effect on
how it is routed (which location groups may serve it, the weights, the splits, ship-from-store, the
carrier). The first rule whose condition holds applies; an order no rule matches is routed by the channel's
profile alone. Saved strategies are versions; an order records the version that routed it. Pure rules."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import Decimal
from typing import Any

from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.domain.orders import FulfilmentMethod
from oms_graph.domain.routing import Profile

MAX_RULES = 100
MAX_SPLITS = 20


@dataclass(frozen=True)
class Facts:
    """What a rule's condition looks at."""

    country: str | None
    region: str | None
    postal_code: str | None
    categories: frozenset[str]
    value: Decimal  # the lines' total
    weight_grams: int
    method: FulfilmentMethod
    placed_on: date
    customer_tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Condition:
    """Every part given must hold (a list: any of its values); nothing given holds for every order."""

    countries: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    postal_prefixes: tuple[str, ...] | None = None
    categories: frozenset[str] | None = None  # any line of one of them
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    min_weight_grams: int | None = None
    max_weight_grams: int | None = None
    method: FulfilmentMethod | None = None
    placed_from: date | None = None  # a date window, both ends included
    placed_to: date | None = None
    customer_tags: frozenset[str] | None = None  # the customer has any of them

    def holds(self, facts: Facts) -> bool:
        checks = (
            self.countries is None or (facts.country or "").upper() in self.countries,
            self.regions is None or facts.region in self.regions,
            self.postal_prefixes is None
            or any((facts.postal_code or "").replace(" ", "").startswith(p) for p in self.postal_prefixes),
            self.categories is None or bool(self.categories & facts.categories),
            self.min_value is None or facts.value >= self.min_value,
            self.max_value is None or facts.value <= self.max_value,
            self.min_weight_grams is None or facts.weight_grams >= self.min_weight_grams,
            self.max_weight_grams is None or facts.weight_grams <= self.max_weight_grams,
            self.method is None or facts.method is self.method,
            self.placed_from is None or facts.placed_on >= self.placed_from,
            self.placed_to is None or facts.placed_on <= self.placed_to,
            self.customer_tags is None or bool(self.customer_tags & facts.customer_tags),
        )
        return all(checks)


@dataclass(frozen=True)
class Effect:
    """What a matching rule changes: unset parts keep the channel's profile."""

    allow_groups: tuple[str, ...] | None = None  # only locations of these groups
    exclude_groups: tuple[str, ...] = ()  # never locations of these
    distance_weight: float | None = None
    cost_weight: float | None = None
    priority_weight: float | None = None
    split_penalty: float | None = None
    max_splits: int | None = None
    ship_from_store: bool | None = None
    preferred_carrier: str | None = None  # for an order that names no carrier

    def profile(self, base: Profile) -> Profile:
        changes: dict[str, Any] = {
            "distance_weight": self.distance_weight,
            "cost_weight": self.cost_weight,
            "priority_weight": self.priority_weight,
            "split_penalty": self.split_penalty,
            "max_splits": self.max_splits,
            "allow_ship_from_store": self.ship_from_store,
        }
        return replace(base, **{k: v for k, v in changes.items() if v is not None})

    def admits(self, location_code: str, groups: Mapping[str, frozenset[str]]) -> bool:
        """Whether a location may serve an order this effect applies to."""
        if any(location_code in groups.get(g, frozenset()) for g in self.exclude_groups):
            return False
        return self.allow_groups is None or any(location_code in groups.get(g, frozenset()) for g in self.allow_groups)


@dataclass(frozen=True)
class Rule:
    name: str
    condition: Condition = field(default_factory=Condition)
    effect: Effect = field(default_factory=Effect)


def first_match(rules: Sequence[Rule], facts: Facts) -> Rule | None:
    return next((rule for rule in rules if rule.condition.holds(facts)), None)


def check_rules(rules: Sequence[Rule], groups: Iterable[str], errors: ErrorList) -> None:
    """Names unique, weights finite and not negative, splits 1 to 20, ranges the right way round, and every
    group known."""
    known = set(groups)
    if len(rules) > MAX_RULES:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "rules"], f"at most {MAX_RULES} rules")
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        at: list[str | int] = ["input", "rules", i]
        if not rule.name.strip() or rule.name in seen:
            errors.add(ErrorCode.INVALID_INPUT, [*at, "name"], "a name of its own")
        seen.add(rule.name)
        c, e = rule.condition, rule.effect
        for low, high, name in (
            (c.min_value, c.max_value, "minValue"),
            (c.min_weight_grams, c.max_weight_grams, "minWeightGrams"),
            (c.placed_from, c.placed_to, "placedFrom"),
        ):
            if low is not None and high is not None and low > high:  # type: ignore[operator]
                errors.add(ErrorCode.INVALID_INPUT, [*at, "condition", name], "the range ends before it starts")
        for name in ("distance_weight", "cost_weight", "priority_weight", "split_penalty"):
            value = getattr(e, name)
            if value is not None and (not math.isfinite(value) or value < 0):
                field_name = "".join(w.capitalize() if n else w for n, w in enumerate(name.split("_")))
                errors.add(ErrorCode.INVALID_INPUT, [*at, "effect", field_name], "a number of at least 0")
        if e.max_splits is not None and not 1 <= e.max_splits <= MAX_SPLITS:
            errors.add(ErrorCode.INVALID_INPUT, [*at, "effect", "maxSplits"], f"1 to {MAX_SPLITS}")
        for name, codes in (("allowGroups", e.allow_groups or ()), ("excludeGroups", e.exclude_groups)):
            unknown = sorted(set(codes) - known)
            if unknown:
                errors.add(ErrorCode.UNKNOWN_LOCATION, [*at, "effect", name], f"no location group {', '.join(unknown)}")


def stored(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """As kept in the database (JSON)."""

    def plain(part: Condition | Effect) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(part):
            value = getattr(part, f.name)
            if value is None or value == ():
                continue
            if isinstance(value, frozenset | tuple):
                value = sorted(value)
            elif isinstance(value, Decimal | date):
                value = str(value)
            elif isinstance(value, FulfilmentMethod):
                value = value.value
            out[f.name] = value
        return out

    return [{"name": r.name, "condition": plain(r.condition), "effect": plain(r.effect)} for r in rules]


def loaded(rows: Sequence[dict[str, Any]]) -> list[Rule]:
    """From the database."""
    rules = []
    for row in rows:
        c, e = row.get("condition", {}), row.get("effect", {})

        def some(value: Any, kind: Any) -> Any:
            return None if value is None else kind(value)

        condition = Condition(
            countries=some(c.get("countries"), frozenset),
            regions=some(c.get("regions"), frozenset),
            postal_prefixes=some(c.get("postal_prefixes"), tuple),
            categories=some(c.get("categories"), frozenset),
            min_value=some(c.get("min_value"), Decimal),
            max_value=some(c.get("max_value"), Decimal),
            min_weight_grams=c.get("min_weight_grams"),
            max_weight_grams=c.get("max_weight_grams"),
            method=some(c.get("method"), FulfilmentMethod),
            placed_from=some(c.get("placed_from"), date.fromisoformat),
            placed_to=some(c.get("placed_to"), date.fromisoformat),
            customer_tags=some(c.get("customer_tags"), frozenset),
        )
        effect = Effect(
            allow_groups=some(e.get("allow_groups"), tuple),
            exclude_groups=tuple(e.get("exclude_groups", ())),
            distance_weight=e.get("distance_weight"),
            cost_weight=e.get("cost_weight"),
            priority_weight=e.get("priority_weight"),
            split_penalty=e.get("split_penalty"),
            max_splits=e.get("max_splits"),
            ship_from_store=e.get("ship_from_store"),
            preferred_carrier=e.get("preferred_carrier"),
        )
        rules.append(Rule(row["name"], condition, effect))
    return rules
