"""The pure rules of routing strategies: conditions, the first match, what an effect changes and admits, and
the round trip through storage."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from oms_graph.domain import strategies as rules
from oms_graph.domain.orders import FulfilmentMethod
from oms_graph.domain.routing import Profile

FACTS = rules.Facts(
    country="DE",
    region="DE-BE",
    postal_code="10 117",
    categories=frozenset({"Apparel"}),
    value=Decimal("120.00"),
    weight_grams=31_000,
    method=FulfilmentMethod.DELIVERY,
    placed_on=date(2026, 12, 5),
)


def test_every_part_of_a_condition_must_hold():
    assert rules.Condition().holds(FACTS)
    assert rules.Condition(countries=frozenset({"DE", "AT"}), min_weight_grams=30_000).holds(FACTS)
    assert not rules.Condition(countries=frozenset({"AT"})).holds(FACTS)
    assert rules.Condition(postal_prefixes=("101",)).holds(FACTS)  # spaces in the postal code do not count
    assert not rules.Condition(postal_prefixes=("20",)).holds(FACTS)
    assert not rules.Condition(categories=frozenset({"Home"})).holds(FACTS)
    assert rules.Condition(min_value=Decimal("120.00"), max_value=Decimal("120.00")).holds(FACTS)
    assert not rules.Condition(max_weight_grams=30_000).holds(FACTS)
    assert not rules.Condition(method=FulfilmentMethod.PICKUP).holds(FACTS)
    assert rules.Condition(placed_from=date(2026, 12, 5), placed_to=date(2026, 12, 5)).holds(FACTS)
    assert not rules.Condition(placed_from=date(2026, 12, 6)).holds(FACTS)
    assert not rules.Condition(customer_tags=frozenset({"vip"})).holds(FACTS)  # the customer has no tags


def test_the_first_matching_rule_applies():
    light = rules.Rule("light", rules.Condition(max_weight_grams=30_000))
    heavy = rules.Rule("heavy", rules.Condition(min_weight_grams=30_000))
    rest = rules.Rule("rest")
    assert rules.first_match([light, heavy, rest], FACTS) is heavy
    assert rules.first_match([rest, heavy], FACTS) is rest
    assert rules.first_match([light], FACTS) is None


def test_an_effect_changes_the_profile_and_the_locations_it_admits():
    effect = rules.Effect(allow_groups=("WH",), exclude_groups=("CLOSED",), max_splits=1, ship_from_store=False)
    profile = effect.profile(Profile())
    assert (profile.max_splits, profile.allow_ship_from_store, profile.distance_weight) == (1, False, 1.0)
    groups = {"WH": frozenset({"WH-1", "WH-2"}), "CLOSED": frozenset({"WH-2"})}
    assert [c for c in ("WH-1", "WH-2", "ST-1") if effect.admits(c, groups)] == ["WH-1"]
    assert rules.Effect().admits("ST-1", groups)


def test_rules_survive_storage():
    rule = rules.Rule(
        "all of it",
        rules.Condition(
            countries=frozenset({"DE"}),
            categories=frozenset({"Apparel", "Home"}),
            min_value=Decimal("10.50"),
            method=FulfilmentMethod.DELIVERY,
            placed_from=date(2026, 1, 1),
            postal_prefixes=("10", "12"),
            customer_tags=frozenset({"vip"}),
        ),
        rules.Effect(allow_groups=("WH",), cost_weight=2.5, preferred_carrier="dhl"),
    )
    assert rules.loaded(rules.stored([rule])) == [rule]
