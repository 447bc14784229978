"""Query.analytics: the chain's figures, for ANALYST and ADMIN keys, read from the replica when there is one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from oms_graph.api.analytics.types import (
    AppeasementTotal,
    FulfilmentTimes,
    InventoryTurnoverRow,
    PromiseRow,
    ReturnReason,
    SalesRow,
    StoreLoad,
)
from oms_graph.api.context import Info
from oms_graph.api.errors import reading
from oms_graph.api.permissions import roles
from oms_graph.domain.access import Role
from oms_graph.domain.analytics import Dimension
from oms_graph.domain.promises import PromiseDimension
from oms_graph.services.analytics import reports as analytics

From = Annotated[datetime, strawberry.argument(name="from")]
RANGE = "Orders placed from `from` (inclusive) to `to` (exclusive); times without an offset are UTC."


@strawberry.type(description="Figures for the chain's dashboards. Ranges are at most three years.")
class Analytics:
    @strawberry.field(
        description="When the daily sales summaries were last refreshed: `sales` reads whole days before that "
        "day from them (a late change to such a day, like a return, shows at the next refresh) and computes "
        "the rest from the orders when asked. Null before the first refresh (everything computed)."
    )
    async def summaries_as_of(self, info: Info) -> datetime | None:
        async with reading(info, replica=True) as session:
            return await analytics.summaries_as_of(session)

    @strawberry.field(description=f"Sales grouped by any combination of dimensions. {RANGE}")
    async def sales(
        self,
        info: Info,
        from_: From,
        to: datetime,
        group_by: list[Dimension],
    ) -> list[SalesRow]:
        async with reading(info, replica=True) as session:
            rows = await analytics.sales(session, start=from_, end=to, group_by=group_by)
        return [SalesRow.of(key, figures) for key, figures in rows]

    @strawberry.field(
        description=f"Promises kept: of promised orders' parts done (delivered, or ready for pickup), how many by "
        f"the promised date and how late the others were, by channel, location, carrier and/or week. {RANGE}"
    )
    async def promises_kept(
        self, info: Info, from_: From, to: datetime, group_by: list[PromiseDimension]
    ) -> list[PromiseRow]:
        async with reading(info, replica=True) as session:
            rows = await analytics.promises_kept(session, start=from_, end=to, group_by=group_by)
        return [PromiseRow.of(row.key, row.kept) for row in rows]

    @strawberry.field(description="Every location's load on a UTC day (today when not given).")
    async def store_load(self, info: Info, date: date | None = None) -> list[StoreLoad]:
        async with reading(info, replica=True) as session:
            loads = await analytics.store_load(session, day=date)
        return [StoreLoad.of(load) for load in loads]

    @strawberry.field(description=f"How long orders took to leave. {RANGE}")
    async def fulfilment_times(self, info: Info, from_: From, to: datetime) -> FulfilmentTimes:
        async with reading(info, replica=True) as session:
            times = await analytics.fulfilment_times(session, start=from_, end=to)
        return FulfilmentTimes(orders=times.orders, p50_hours=times.p50_hours, p90_hours=times.p90_hours)

    @strawberry.field(description="Inventory turnover per CATEGORY and/or LOCATION (other dimensions refused).")
    async def inventory_turnover(
        self,
        info: Info,
        from_: From,
        to: datetime,
        group_by: list[Dimension],
    ) -> list[InventoryTurnoverRow]:
        async with reading(info, replica=True) as session:
            rows = await analytics.inventory_turnover(session, start=from_, end=to, group_by=group_by)
        return [
            InventoryTurnoverRow(
                category=r.category,
                location=r.location,
                units_sold=r.units_sold,
                average_on_hand=r.average_on_hand,
                turnover=r.turnover,
            )
            for r in rows
        ]

    @strawberry.field(
        description="Money given back that no returned unit stands for, by reason, channel and currency; the "
        "largest amounts first (beside returnReasons)."
    )
    async def appeasements(self, info: Info, from_: From, to: datetime) -> list[AppeasementTotal]:
        async with reading(info, replica=True) as session:
            found = await analytics.appeasement_totals(session, start=from_, end=to)
        return [
            AppeasementTotal(
                reason=r.reason, channel=r.channel, currency=r.currency, appeasements=r.appeasements, amount=r.amount
            )
            for r in found
        ]

    @strawberry.field(description="Why customers send goods back, by the reason given per line; most units first.")
    async def return_reasons(self, info: Info, from_: From, to: datetime) -> list[ReturnReason]:
        async with reading(info, replica=True) as session:
            found = await analytics.return_reasons(session, start=from_, end=to)
        return [
            ReturnReason(reason=r.reason, returns=r.returns, units=r.units, received_units=r.received_units)
            for r in found
        ]


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(extensions=roles(Role.ANALYST))
    def analytics(self) -> Analytics:
        return Analytics()
