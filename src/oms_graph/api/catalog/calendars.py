"""A location's own days in the schema: closed (holidays, blackouts) or another shipping capacity."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from oms_graph.api.context import Info
from oms_graph.api.errors import UserError, command, reading
from oms_graph.api.permissions import roles
from oms_graph.db import models
from oms_graph.domain.access import Role
from oms_graph.services import calendars


@strawberry.input(description="A day of a location's own; neither closed nor a capacity forgets the day.")
class LocationDayInput:
    location_code: str
    day: date = strawberry.field(description="In the location's own time zone.")
    closed: bool | None = strawberry.field(default=None, description="A holiday or a blackout: nothing ships.")
    capacity: int | None = strawberry.field(default=None, description="Deliveries it takes that day.")
    note: str | None = None


@strawberry.type
class LocationDay:
    day: date
    closed: bool
    capacity: int | None
    note: str | None

    @classmethod
    def of(cls, row: models.LocationDay) -> LocationDay:
        return cls(day=row.day, closed=row.closed, capacity=row.capacity, note=row.note)


@strawberry.type
class LocationDaysPayload:
    days: list[LocationDay]
    errors: list[UserError]


@strawberry.type
class CalendarQuery:
    @strawberry.field(
        extensions=roles(Role.INTEGRATION, Role.ANALYST), description="A location's own days in a range of dates."
    )
    async def location_days(
        self, info: Info, location_code: str, from_: Annotated[date, strawberry.argument(name="from")], to: date
    ) -> list[LocationDay]:
        async with reading(info) as session:
            rows = await calendars.location_days(session, location_code=location_code, start=from_, end=to)
        return [LocationDay.of(r) for r in rows]


@strawberry.type
class CalendarMutation:
    @strawberry.mutation(
        extensions=roles(Role.INTEGRATION),
        description="Set days of locations' own, all or none: closed, or another shipping capacity (audited).",
    )
    async def set_location_days(self, info: Info, input: list[LocationDayInput]) -> LocationDaysPayload:
        actor = info.context.caller.name
        done, errors = await command(info, lambda s: calendars.set_location_days(s, inputs=input, actor=actor))
        return LocationDaysPayload(days=[LocationDay.of(r) for r in done or []], errors=errors)
