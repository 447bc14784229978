"""The routing engine chooses locations by weighted factors and explains the choice."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from oms_graph.domain.routing import Candidate, Demand, Profile, route

BERLIN = (52.52, 13.405)
POTSDAM = (52.39, 13.06)  # ~27 km from Berlin
HAMBURG = (53.55, 9.99)  # ~255 km
MUNICH = (48.14, 11.58)  # ~505 km


def location(code: str, at: tuple[float, float], stock: dict[str, int], **extra) -> Candidate:  # type: ignore[no-untyped-def]
    return Candidate(
        id=code, code=code, latitude=at[0], longitude=at[1], region=extra.pop("region", "DE"), stock=stock, **extra
    )


def chosen_codes(decision) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(a.location.code for a in decision.chosen.allocations)


ORDER = Demand(lines={"A": 2}, weights={"A": 500}, destination=BERLIN)


def test_the_nearest_location_wins_when_all_else_is_equal():
    decision = route(
        ORDER,
        [location("HAM", HAMBURG, {"A": 5}), location("POT", POTSDAM, {"A": 5}), location("MUC", MUNICH, {"A": 5})],
        Profile(),
    )
    assert chosen_codes(decision) == ["POT"]
    assert [chosen_codes_of(p) for p in decision.alternatives] == [["HAM"], ["MUC"]]
    distance = next(f for f in decision.chosen.factors if f.name == "distance")
    assert 0.2 < distance.value < 0.35 and distance.weight == 1.0


def chosen_codes_of(plan) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(a.location.code for a in plan.allocations)


def test_priority_and_cost_weights_change_the_winner():
    near = location("POT", POTSDAM, {"A": 5}, priority=0, handling_cost=4.0)
    far = location("HAM", HAMBURG, {"A": 5}, priority=2, handling_cost=0.5)
    assert chosen_codes(route(ORDER, [near, far], Profile())) == ["POT"]
    assert chosen_codes(route(ORDER, [near, far], Profile(priority_weight=1.0))) == ["HAM"]
    assert chosen_codes(route(ORDER, [near, far], Profile(priority_weight=0, cost_weight=5.0))) == ["HAM"]
    assert chosen_codes(route(ORDER, [near, far], Profile(priority_weight=0, cost_weight=0.1))) == ["POT"]


def test_an_order_is_split_only_when_no_single_location_can_serve_it():
    demand = Demand(lines={"A": 1, "B": 1}, destination=BERLIN)
    near_a, near_b = location("POT-A", POTSDAM, {"A": 1}), location("BER-B", BERLIN, {"B": 1})
    far_both = location("MUC", MUNICH, {"A": 1, "B": 1})
    assert chosen_codes(route(demand, [near_a, near_b, far_both], Profile(split_penalty=0))) == ["MUC"]
    split = route(demand, [near_a, near_b], Profile())
    assert chosen_codes(split) == ["BER-B", "POT-A"]
    assert next(f for f in split.chosen.factors if f.name == "splits").value == 1


def test_a_line_is_split_only_when_no_location_holds_all_of_it():
    demand = Demand(lines={"A": 5, "B": 1}, destination=BERLIN)
    candidates = [
        location("POT", POTSDAM, {"A": 3, "B": 1}),
        location("HAM", HAMBURG, {"A": 3}),
        location("MUC", MUNICH, {"A": 2}),
    ]
    plan = route(demand, candidates, Profile()).chosen
    lines = {a.location.code: dict(a.lines) for a in plan.allocations}
    assert lines == {"POT": {"A": 3, "B": 1}, "HAM": {"A": 2}}


def test_max_splits_is_respected():
    demand = Demand(lines={"A": 1, "B": 1, "C": 1}, destination=BERLIN)
    candidates = [location(sku, BERLIN, {sku: 1}) for sku in "ABC"]
    assert route(demand, candidates, Profile(max_splits=3)).chosen is not None
    assert route(demand, candidates, Profile(max_splits=2)).chosen is None


def test_locations_at_capacity_and_stores_the_profile_excludes_are_not_used():
    store = location("ST", POTSDAM, {"A": 5}, is_store=True)
    full = location("WH-FULL", BERLIN, {"A": 5}, capacity_left=0)
    warehouse = location("WH", HAMBURG, {"A": 5}, capacity_left=3)
    assert chosen_codes(route(ORDER, [store, full, warehouse], Profile())) == ["ST"]
    assert chosen_codes(route(ORDER, [store, full, warehouse], Profile(allow_ship_from_store=False))) == ["WH"]
    assert route(ORDER, [store, full], Profile(allow_ship_from_store=False)).chosen is None


def test_without_coordinates_the_customers_region_comes_first():
    demand = Demand(lines={"A": 1}, region="DE-BY")
    decision = route(
        demand,
        [location("HAM", HAMBURG, {"A": 1}, region="DE-HH"), location("MUC", MUNICH, {"A": 1}, region="DE-BY")],
        Profile(),
    )
    assert chosen_codes(decision) == ["MUC"] and decision.chosen.allocations[0].distance_km is None


SKUS = ["A", "B", "C", "D"]


@settings(max_examples=200, deadline=None)
@given(
    lines=st.dictionaries(st.sampled_from(SKUS), st.integers(1, 6), min_size=1, max_size=4),
    stocks=st.lists(st.dictionaries(st.sampled_from(SKUS), st.integers(0, 6)), min_size=1, max_size=8),
    max_splits=st.integers(1, 4),
)
def test_every_plan_allocates_exactly_the_order_from_locations_that_hold_it(lines, stocks, max_splits):
    candidates = [location(f"L{i}", (50 + i * 0.3, 8 + i * 0.4), stock) for i, stock in enumerate(stocks)]
    decision = route(Demand(lines=lines, destination=BERLIN), candidates, Profile(max_splits=max_splits))
    for plan in [p for p in (decision.chosen, *decision.alternatives) if p is not None]:
        assert len(plan.allocations) <= max_splits
        assert len({a.location.id for a in plan.allocations}) == len(plan.allocations)
        totals: dict[str, int] = {}
        for allocation in plan.allocations:
            for sku, qty in allocation.lines.items():
                assert 0 < qty <= allocation.location.stock.get(sku, 0)
                totals[sku] = totals.get(sku, 0) + qty
        assert totals == lines
    single = [c for c in candidates if all(c.stock.get(s, 0) >= q for s, q in lines.items())]
    if single:
        assert decision.chosen is not None and len(decision.chosen.allocations) == 1
    total_stock = {s: sum(c.stock.get(s, 0) for c in candidates) for s in lines}
    if any(total_stock[s] < q for s, q in lines.items()):
        assert decision.chosen is None


def test_after_a_plan_the_pool_has_its_units_and_one_fulfilment_of_capacity_less():
    from oms_graph.domain.routing import after

    pot = location("POT", POTSDAM, {"A": 5, "B": 1}, capacity_left=2)
    ham = location("HAM", HAMBURG, {"A": 5})
    plan = route(Demand(lines={"A": 2, "B": 1}, destination=BERLIN), [pot, ham], Profile()).chosen
    assert chosen_codes_of(plan) == ["POT"]
    left = {c.code: c for c in after([pot, ham], plan)}
    assert left["POT"].stock == {"A": 3} and left["POT"].capacity_left == 1
    assert left["HAM"] == ham
    # the next order of a batch cannot take what the first one took
    second = route(Demand(lines={"A": 1, "B": 1}, destination=BERLIN), list(left.values()), Profile())
    assert second.chosen is None
