"""The pure parts of what-if routing: the replay's stock, and the figures worked out by hand."""

from __future__ import annotations

from datetime import date

from oms_graph.domain import routing as scoring
from oms_graph.domain.simulation import Figures, Stock, overrun

DAY = date(2026, 12, 5)
STORE = scoring.Candidate(id="s", code="ST", latitude=0, longitude=0, region="R", is_store=True)
WAREHOUSE = scoring.Candidate(id="w", code="WH", latitude=0, longitude=0, region="R")


def plan(*parts: tuple[scoring.Candidate, float]) -> scoring.Plan:
    allocations = tuple(scoring.Allocation(c, {"A": 1}, km, 2.0) for c, km in parts)
    return scoring.Plan(allocations, 0.0, ())


def test_the_stock_moves_and_is_taken_by_plans():
    stock = Stock()
    stock.move("A", "w", 3)
    stock.move("B", "w", 1)
    assert stock.held(["A", "B", "C"], "w") == {"A": 3, "B": 1}
    stock.allocate(plan((WAREHOUSE, 10.0)), {"w": DAY})
    assert stock.held(["A"], "w") == {"A": 2} and stock.taken[("w", DAY)] == 1


def test_figures_by_hand():
    figures = Figures()
    figures.add(plan((WAREHOUSE, 10.0)), actual=frozenset({"WH"}), overrun=0)
    figures.add(plan((WAREHOUSE, 30.0), (STORE, 20.0)), actual=frozenset({"WH"}), overrun=1)
    figures.add(None, actual=frozenset({"ST"}), overrun=0)
    figures.add(plan((STORE, None)), actual=frozenset({"ST"}), overrun=0)  # type: ignore[arg-type]
    assert figures.summary() == {
        "orders": 4,
        "unsplit": 2,
        "splits": 1,  # 4 fulfilments for 3 routed orders
        "averageKm": 90.0,  # (10 + 30 + 20 + 300 for a place it could not measure) / 4
        "p95Km": 300.0,
        "deliveryCost": 8.0,
        "shipFromStoreShare": 0.5,
        "capacityOverruns": 1,
        "backorders": 1,
        "sameAsActual": 2,
    }
    assert Figures().summary()["averageKm"] is None


def test_an_overrun_is_a_fulfilment_beyond_the_days_capacity():
    taken = {("s", DAY): 2}
    both = plan((STORE, 1.0), (WAREHOUSE, 1.0))
    assert overrun(both, taken, {"s": 2, "w": None}, {"s": DAY, "w": DAY}) == 1
    assert overrun(both, taken, {"s": 3, "w": None}, {"s": DAY, "w": DAY}) == 0
