"""A location's calendar in its own time zone: the weekdays it opens, the days it is closed (holidays,
blackouts), its daily shipping capacity and a day's own capacity, and the cut-off after which work is for
the next open day. Routing asks whether it can ship today and how much capacity is left; dates promised to
customers start on its next open day. Pure rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from oms_graph.domain.errors import ErrorCode, ErrorList

UTC_ZONE = "UTC"
DEFAULT_CUTOFF_HOUR = 16  # local: later orders are ready for pickup the next open day
LOOK_AHEAD_DAYS = 31  # closed days read ahead of today; a location closed longer counts as open after it


@dataclass(frozen=True)
class Day:
    """A date of a location's own: closed (a holiday, a blackout), and/or its shipping capacity that day."""

    closed: bool = False
    capacity: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class Calendar:
    time_zone: str = UTC_ZONE
    cutoff_hour: int = DEFAULT_CUTOFF_HOUR
    weekdays: frozenset[int] | None = None  # ISO weekdays it opens (1 Monday .. 7 Sunday); None: every day
    daily_capacity: int | None = None  # deliveries it takes a day; None: no limit
    days: Mapping[date, Day] = field(default_factory=dict)
    opens: time | None = None  # local opening hours on the days it opens; None: all day
    closes: time | None = None

    def local(self, at: datetime) -> datetime:
        return at.astimezone(ZoneInfo(self.time_zone))

    def today(self, at: datetime) -> date:
        return self.local(at).date()

    def midnight(self, at: datetime) -> datetime:
        """When the location's day that `at` falls in began (aware, in its zone)."""
        local = self.local(at)
        return datetime.combine(local.date(), time(), tzinfo=local.tzinfo)

    def open_on(self, day: date) -> bool:
        own = self.days.get(day)
        if own is not None and own.closed:
            return False
        return self.weekdays is None or day.isoweekday() in self.weekdays

    def capacity_on(self, day: date) -> int | None:
        """Deliveries it takes that day: none when closed, the day's own figure, else its daily capacity."""
        if not self.open_on(day):
            return 0
        own = self.days.get(day)
        return own.capacity if own is not None and own.capacity is not None else self.daily_capacity

    def next_open(self, day: date) -> date:
        """`day` when it opens then, else the first open day after it (within the days it knows of)."""
        for ahead in range(LOOK_AHEAD_DAYS + 7):
            candidate = day + timedelta(days=ahead)
            if self.open_on(candidate):
                return candidate
        return day

    def ready_by(self, at: datetime) -> date:
        """The day a pickup asked for at `at` is ready: today before the local cut-off on an open day, else
        the next open day."""
        local = self.local(at)
        if local.hour < self.cutoff_hour and self.open_on(local.date()):
            return local.date()
        return self.next_open(local.date() + timedelta(days=1))

    def deadline(self, start: datetime, within: timedelta) -> datetime:
        """When work handed over at `start` must have been taken up: after `within` of its opening hours on
        its open days (the clock stops while it is closed)."""
        zone = ZoneInfo(self.time_zone)
        remaining, day = within, self.today(start)
        for _ in range(LOOK_AHEAD_DAYS + 7):
            if self.open_on(day):
                begin = max(start, datetime.combine(day, self.opens or time(), tzinfo=zone))
                end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
                if self.closes is not None:
                    end = datetime.combine(day, self.closes, tzinfo=zone)
                if end > begin:
                    if begin + remaining <= end:
                        return begin + remaining
                    remaining -= end - begin
            day += timedelta(days=1)
        return start + within

    def work_starts(self, at: datetime) -> date:
        """The day a delivery asked for at `at` starts being handled there: today when it opens today, else
        its next open day."""
        return self.next_open(self.today(at))


def capacity_left(calendar: Calendar, at: datetime, assigned_today: int) -> int | None:
    """Deliveries it can still take on its local day: 0 when closed; None without a limit."""
    capacity = calendar.capacity_on(calendar.today(at))
    return None if capacity is None else capacity - assigned_today


def weekdays_of(stored: Mapping[str, object] | None) -> frozenset[int] | None:
    """The weekdays kept on a location ({"weekdays": [1, ..]}); None: every day."""
    if not stored or stored.get("weekdays") is None:
        return None
    return frozenset(int(d) for d in stored["weekdays"])  # type: ignore[attr-defined]


def hours_of(stored: Mapping[str, object] | None) -> tuple[time | None, time | None]:
    """The opening hours kept on a location ({"opens": "09:00", "closes": "20:00"}); None: all day."""
    if not stored or not stored.get("opens"):
        return None, None
    return time.fromisoformat(str(stored["opens"])), time.fromisoformat(str(stored["closes"]))


def check_hours(errors: ErrorList, opens: time | None, closes: time | None, path: list[str | int]) -> None:
    if (opens is None) != (closes is None) or (opens is not None and closes is not None and opens >= closes):
        errors.add(ErrorCode.INVALID_INPUT, path, "give both opening and closing time, opening first")


def check_time_zone(errors: ErrorList, name: str | None, path: list[str | int]) -> None:
    if name is None:
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        errors.add(ErrorCode.INVALID_INPUT, path, f"{name!r} is not an IANA time zone such as Europe/Berlin")


def check_cutoff(errors: ErrorList, hour: int | None, path: list[str | int]) -> None:
    if hour is not None and not 0 <= hour <= 24:
        errors.add(ErrorCode.INVALID_INPUT, path, "an hour from 0 to 24")


def check_weekdays(errors: ErrorList, days: list[int] | None, path: list[str | int]) -> None:
    if days is not None and (not days or any(not 1 <= d <= 7 for d in days)):
        errors.add(ErrorCode.INVALID_INPUT, path, "ISO weekdays, 1 (Monday) to 7 (Sunday), at least one")
