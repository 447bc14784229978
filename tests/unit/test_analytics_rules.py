"""The pure analytics rules: how a line's units split over locations, how rows add up, the statistics."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from oms_graph.domain import analytics as rules
from oms_graph.domain.analytics import Assignment, Dimension, OrderedLine
from oms_graph.seed.history import order_days

ORDER = uuid.uuid4()


def line(quantity: int, cancelled: int = 0, returned: int = 0, price: str = "10.00", sku: str = "A1") -> OrderedLine:
    return OrderedLine(
        order_id=ORDER,
        day=date(2026, 3, 1),
        channel="web",
        region="DE-BY",
        currency="EUR",
        category="Apparel",
        sku=sku,
        quantity=quantity,
        unit_price=Decimal(price),
        cancelled=cancelled,
        returned=returned,
    )


def split(lines: list[OrderedLine], assignments: list[Assignment]) -> list[tuple]:
    return [(s.location, s.units, s.cancelled, s.returned) for s in rules.shares(lines, assignments)]


def test_fill_pours_a_total_into_capacities_in_order() -> None:
    assert rules.fill(5, [2, 2, 2]) == [2, 2, 1]
    assert rules.fill(1, [0, 3]) == [0, 1]
    assert rules.fill(9, [1, 1]) == [1, 1]


def test_a_line_never_routed_is_all_at_no_location() -> None:
    assert split([line(3, cancelled=1)], []) == [(None, 3, 1, 0)]


def test_a_line_split_over_two_locations_keeps_its_returns_where_units_were_kept() -> None:
    assignments = [Assignment(ORDER, "A1", "WH-B", 1, False), Assignment(ORDER, "A1", "WH-A", 2, False)]
    assert split([line(3, returned=2)], assignments) == [("WH-A", 2, 0, 2), ("WH-B", 1, 0, 0)]


def test_cancelled_units_go_to_the_cancelled_assignment_first_then_to_units_never_assigned() -> None:
    assignments = [Assignment(ORDER, "A1", "WH-A", 2, True), Assignment(ORDER, "A1", "ST-B", 1, False)]
    assert split([line(4, cancelled=3)], assignments) == [("ST-B", 1, 0, 0), ("WH-A", 2, 2, 0), (None, 1, 1, 0)]


def test_two_lines_of_one_sku_take_the_assigned_units_in_line_order() -> None:
    assignments = [Assignment(ORDER, "A1", "WH-A", 3, False)]
    first, second = line(2, price="10.00"), line(2, price="8.00")
    assert split([first, second], assignments) == [("WH-A", 2, 0, 0), ("WH-A", 1, 0, 0), (None, 1, 0, 0)]


def test_rows_count_each_order_once_and_revenue_leaves_out_cancelled_units() -> None:
    another_order = replace(line(1, price="5.50"), order_id=uuid.uuid4())
    shares = rules.shares([line(2, cancelled=1, returned=1)], []) + rules.shares([another_order], [])
    rows = rules.group(shares, [Dimension.CHANNEL])
    ((key, figures),) = rows.items()
    assert key == rules.Key(currency="EUR", channel="web")
    assert (figures.orders, figures.units, figures.cancelled_units, figures.returned_units) == (2, 3, 1, 1)
    assert figures.revenue == Decimal("15.50") and figures.net_revenue == Decimal("5.50")


def test_a_grouping_reads_the_summary_grain_that_keeps_its_dimensions() -> None:
    assert rules.grain([Dimension.DAY, Dimension.CHANNEL, Dimension.REGION]) == 0
    assert rules.grain([Dimension.CATEGORY]) == 1
    assert rules.grain([Dimension.LOCATION, Dimension.DAY]) == 2
    assert rules.grain([Dimension.CATEGORY, Dimension.LOCATION]) == 3
    assert rules.summary_dimensions(3) == [*rules.ORDER_DIMENSIONS, Dimension.CATEGORY, Dimension.LOCATION]


def test_percentiles_of_counted_values_interpolate_between_neighbouring_ranks() -> None:
    assert rules.percentile({}, 0.5) is None
    assert rules.percentile({7: 1}, 0.9) == 7
    assert rules.percentile({60: 1, 260: 1}, 0.5) == pytest.approx(160)
    assert rules.percentile({1: 1, 2: 1, 3: 1, 4: 1, 5: 1}, 0.9) == pytest.approx(4.6)
    assert rules.percentile({1: 3, 9: 1}, 0.5) == 1  # ranks 0-2 are 1, rank 3 is 9
    assert rules.percentile({1: 3, 9: 1}, 0.9) == pytest.approx(1 + 8 * 0.7)


def test_fulfilment_times_count_in_whole_tenths_of_an_hour() -> None:
    assert rules.tenths_of_an_hour(26 * 3600) == 260
    assert rules.tenths_of_an_hour(359) == 0 and rules.tenths_of_an_hour(360) == 1


def test_an_order_is_split_when_more_than_one_location_fulfils_it() -> None:
    other = uuid.uuid4()
    assignments = [
        Assignment(ORDER, "A1", "WH-A", 1, False),
        Assignment(ORDER, "B1", "ST-B", 1, False),
        Assignment(other, "A1", "WH-A", 1, False),
        Assignment(other, "B1", "ST-B", 1, True),  # cancelled there: it did not fulfil anything
    ]
    assert rules.splits(assignments) == {ORDER}


def test_utilisation_and_turnover_are_null_where_they_mean_nothing() -> None:
    assert rules.utilisation(3, 4) == 0.75
    assert rules.utilisation(3, None) is None and rules.utilisation(3, 0) is None
    assert rules.turnover(6, 3.0) == 2.0 and rules.turnover(6, 0.0) is None


def test_history_puts_more_orders_in_december_and_at_weekends_and_places_them_all() -> None:
    end = datetime(2026, 1, 1, tzinfo=UTC)
    counts = order_days(36_500, days=365, end=end)
    assert sum(counts) == 36_500 and min(counts) > 0
    july, december = sum(counts[181:212]), sum(counts[334:365])
    assert december > 1.8 * july
    weekdays = [(date(2025, 1, 1) + timedelta(days=n)).weekday() for n in range(365)]
    saturdays = sum(n for n, weekday in zip(counts, weekdays, strict=True) if weekday == 5)
    tuesdays = sum(n for n, weekday in zip(counts, weekdays, strict=True) if weekday == 1)
    assert saturdays > 1.15 * tuesdays
