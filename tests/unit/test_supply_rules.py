"""The pure rules of selling against inbound supply: what may be promised, when it is due, what a count takes
in, when a quantity can be had, and which promised dates a channel may send."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from oms_graph.domain import supply as rules
from oms_graph.domain.errors import ErrorList
from oms_graph.domain.placement import check_promised_date
from oms_graph.domain.supply import SupplyPolicy, SupplyStatus

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
DAY = timedelta(days=1)


def test_status_follows_what_arrived():
    assert rules.status_after(50, 0) is SupplyStatus.OPEN
    assert rules.status_after(50, 49) is SupplyStatus.OPEN
    assert rules.status_after(50, 50) is SupplyStatus.RECEIVED
    assert rules.status_after(20, 20) is SupplyStatus.RECEIVED  # cut to what arrived, all of which came
    assert rules.status_after(0, 0) is SupplyStatus.CLOSED  # cancelled before anything came
    assert rules.quantity_problem(10, 12) is not None and rules.quantity_problem(12, 12) is None
    assert rules.quantity_problem(rules.MAX_QUANTITY + 1, 0) is not None


def test_cover_by_policy():
    assert rules.supply_cover(SupplyPolicy.NONE, due=50, limit=None) == 0
    assert rules.supply_cover(SupplyPolicy.BACKORDER, due=50, limit=10) == 50  # the limit is for pre-orders
    assert rules.supply_cover(SupplyPolicy.PREORDER, due=50, limit=10) == 10
    assert rules.supply_cover(SupplyPolicy.PREORDER, due=5, limit=10) == 5
    assert rules.supply_cover(SupplyPolicy.PREORDER, due=50, limit=None) == 50


def test_due_date_serves_the_earlier_promises_first():
    supply = [(NOW + 5 * DAY, 10), (NOW + 2 * DAY, 10)]
    assert rules.due_date(supply, before=0, units=10) == NOW + 2 * DAY
    assert rules.due_date(supply, before=5, units=10) == NOW + 5 * DAY
    assert rules.due_date(supply, before=10, units=10) == NOW + 5 * DAY
    assert rules.due_date(supply, before=15, units=10) is None


def test_a_count_takes_in_the_earliest_supply_up_to_what_it_found():
    due = [("a", 10), ("b", 20), ("c", 5)]
    assert rules.counted_in(12, due) == [("a", 10), ("b", 2)]
    assert rules.counted_in(50, due) == [("a", 10), ("b", 20), ("c", 5)]
    assert rules.counted_in(0, due) == [] and rules.counted_in(-3, due) == []
    assert rules.counted_in(5, []) == []


def test_available_from_gives_supply_to_earlier_promises_first():
    supply = [(NOW + 2 * DAY, 10), (NOW + 6 * DAY, 10)]
    transfers = [(NOW + DAY, 3)]
    kwargs = dict(now=NOW, supply=supply, transfers=transfers)
    assert rules.available_from(available=5, promised_future=0, quantity=5, **kwargs) == NOW
    assert rules.available_from(available=5, promised_future=0, quantity=8, **kwargs) == NOW + DAY
    assert rules.available_from(available=0, promised_future=0, quantity=12, **kwargs) == NOW + 2 * DAY
    # 10 already promised against supply: the first delivery is theirs
    assert rules.available_from(available=0, promised_future=10, quantity=12, **kwargs) == NOW + 6 * DAY
    assert rules.available_from(available=0, promised_future=10, quantity=14, **kwargs) is None
    late = [(NOW - DAY, 4)]  # overdue supply is counted from now, not from its past date
    assert rules.available_from(now=NOW, available=0, supply=late, transfers=[], promised_future=0, quantity=4) == NOW


def test_a_channel_may_promise_from_today_to_a_year_ahead():
    today = date(2026, 12, 1)

    def problems(promised):  # type: ignore[no-untyped-def]
        errors = ErrorList()
        check_promised_date(promised, today, errors)
        return [list(e.field or ()) for e in errors.errors]

    assert problems(None) == [] and problems(today) == [] and problems(today + timedelta(days=366)) == []
    assert problems(today - DAY) == [["input", "delivery", "promisedDate"]]
    assert problems(today + timedelta(days=367)) == [["input", "delivery", "promisedDate"]]
