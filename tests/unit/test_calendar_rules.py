"""The pure calendar rules: a location's day in its own zone, its open days, a day's own capacity, the
pickup cut-off and the day work starts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from oms_graph.domain import calendars as rules
from oms_graph.domain.calendars import Calendar, Day, capacity_left
from oms_graph.domain.errors import ErrorList

SATURDAY = date(2026, 12, 5)
BERLIN = "Europe/Berlin"


def at(hour: int, day: date = SATURDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_the_day_is_the_locations_own():
    assert Calendar(time_zone=BERLIN).today(at(23)) == date(2026, 12, 6)  # midnight in Berlin at 23:00 UTC
    assert Calendar().today(at(23)) == SATURDAY
    assert Calendar(time_zone=BERLIN).midnight(at(23)).astimezone(UTC) == at(23)


def test_open_days_closed_days_and_a_days_capacity():
    shop = Calendar(weekdays=frozenset({1, 2, 3, 4, 5, 6}), daily_capacity=20, days={SATURDAY: Day(capacity=10)})
    assert shop.capacity_on(SATURDAY) == 10 and shop.capacity_on(date(2026, 12, 7)) == 20
    assert not shop.open_on(date(2026, 12, 6)) and shop.capacity_on(date(2026, 12, 6)) == 0  # Sunday
    holiday = Calendar(days={SATURDAY: Day(closed=True)})
    assert holiday.capacity_on(SATURDAY) == 0 and holiday.next_open(SATURDAY) == date(2026, 12, 6)
    assert capacity_left(shop, at(9), assigned_today=4) == 6
    assert capacity_left(Calendar(), at(9), assigned_today=4) is None  # no limit


def test_ready_by_follows_the_cut_off_and_the_open_days():
    shop = Calendar(time_zone=BERLIN, cutoff_hour=18, weekdays=frozenset({1, 2, 3, 4, 5, 6}))
    assert shop.ready_by(at(16)) == SATURDAY  # 17:00 in Berlin, before its 18:00 cut-off
    assert shop.ready_by(at(17)) == date(2026, 12, 7)  # 18:00 there: Sunday is closed, so Monday
    assert Calendar().ready_by(at(17)) == date(2026, 12, 6)  # UTC, 16:00, open every day
    assert shop.work_starts(at(23)) == date(2026, 12, 7)  # already Sunday in Berlin


def test_bad_calendars_are_named():
    errors = ErrorList()
    rules.check_time_zone(errors, "Mars/Olympus", ["timeZone"])
    rules.check_cutoff(errors, 25, ["cutoffHour"])
    rules.check_weekdays(errors, [0, 3], ["openDays"])
    rules.check_weekdays(errors, [], ["openDays"])
    rules.check_time_zone(errors, BERLIN, ["ok"])
    assert [list(e.field or ()) for e in errors.errors] == [["timeZone"], ["cutoffHour"], ["openDays"], ["openDays"]]


def test_a_deadline_moves_past_the_days_a_location_is_closed():
    shop = Calendar(weekdays=frozenset({1, 2, 3, 4, 5, 6}))  # closed on Sundays
    assert shop.deadline(at(10), timedelta(hours=2)) == at(12)
    assert shop.deadline(at(23), timedelta(hours=2)) == at(1, date(2026, 12, 7))  # Sunday 01:00 -> Monday 01:00


def test_the_accept_clock_runs_only_in_opening_hours():
    shop = Calendar(time_zone=BERLIN, weekdays=frozenset({1, 2, 3, 4, 5, 6}), opens=time(9), closes=time(20))
    # handed over Saturday 18:30 in Berlin (17:30 UTC) with 2 hours to take it up: 1.5 h on Saturday,
    # Sunday closed, the last 30 minutes from Monday's opening at 09:00 (08:00 UTC)
    start = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)
    assert shop.deadline(start, timedelta(hours=2)) == datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
    # handed over before opening: the clock starts at 09:00
    early = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)  # 06:00 in Berlin, Monday
    assert shop.deadline(early, timedelta(minutes=30)) == datetime(2026, 12, 7, 8, 30, tzinfo=UTC)


def test_opening_hours_are_kept_and_checked():
    assert rules.hours_of({"weekdays": [1], "opens": "09:00", "closes": "20:00"}) == (time(9), time(20))
    assert rules.hours_of({"weekdays": [1]}) == (None, None) and rules.hours_of(None) == (None, None)
    errors = ErrorList()
    rules.check_hours(errors, time(20), time(9), ["opensAt"])
    rules.check_hours(errors, time(9), None, ["opensAt"])
    rules.check_hours(errors, time(9), time(20), ["ok"])
    rules.check_hours(errors, None, None, ["ok"])
    assert [list(e.field or ()) for e in errors.errors] == [["opensAt"], ["opensAt"]]
