"""The analytics types: sales rows, store load, fulfilment times, inventory turnover."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from oms_graph.api.catalog.types import Location
from oms_graph.domain.analytics import Dimension, Figures, Key
from oms_graph.domain.promises import Kept, PromiseDimension
from oms_graph.services.analytics import reports as analytics

strawberry.enum(
    Dimension,
    name="SalesDimension",
    description="What sales rows are grouped by. REGION: where the order goes (its pickup location's region, "
    "else the delivery address's region, else its country). LOCATION: the location fulfilling the units "
    "(null: units not assigned to any: not routed yet, or cancelled off their assignment). DAY: the UTC day of "
    "placement.",
)


@strawberry.type(
    description="Orders placed in the range with the grouped dimensions' values (null where not grouped), "
    "and what became of their units so far, however long after. Rows are always grouped by currency too, "
    "so every amount is in the row's currency."
)
class SalesRow:
    channel: str | None
    region: str | None
    category: str | None
    location: str | None
    day: date | None
    currency: str
    orders: int = strawberry.field(description="Orders with units in the row (each counted once per row).")
    units: int = strawberry.field(description="Units ordered.")
    revenue: Decimal = strawberry.field(description="Unit price of every unit not cancelled, exact.")
    net_revenue: Decimal = strawberry.field(description="Revenue less the returned units' unit price.")
    cancelled_units: int
    returned_units: int
    cancellation_rate: float | None = strawberry.field(description="Cancelled units per unit ordered.")
    return_rate: float | None = strawberry.field(description="Returned units per unit not cancelled.")
    split_orders: int = strawberry.field(description="Of the orders, those fulfilled from more than one location.")
    split_shipment_rate: float | None = strawberry.field(description="splitOrders / orders.")
    backordered_orders: int = strawberry.field(description="Of the orders, those waiting for stock now.")

    @classmethod
    def of(cls, key: Key, figures: Figures) -> SalesRow:
        kept = figures.units - figures.cancelled_units
        return cls(
            channel=key.channel,
            region=key.region,
            category=key.category,
            location=key.location,
            day=key.day,
            currency=key.currency,
            orders=figures.orders,
            units=figures.units,
            revenue=figures.revenue,
            net_revenue=figures.net_revenue,
            cancelled_units=figures.cancelled_units,
            returned_units=figures.returned_units,
            cancellation_rate=figures.cancelled_units / figures.units if figures.units else None,
            return_rate=figures.returned_units / kept if kept else None,
            split_orders=figures.split_orders,
            split_shipment_rate=figures.split_orders / figures.orders if figures.orders else None,
            backordered_orders=figures.backordered_orders,
        )


@strawberry.type(description="A location's work: open now, and assigned on the day asked for (UTC).")
class StoreLoad:
    location: Location
    open_fulfilments: int = strawberry.field(description="Fulfilments open now: assigned and not yet gone.")
    assigned_today: int = strawberry.field(description="Fulfilments assigned to it that day, whatever came of them.")
    capacity_used: int = strawberry.field(
        description="Delivery fulfilments assigned that day and not rejected or cancelled: what routing counts "
        "against its daily ship capacity."
    )
    daily_ship_capacity: int | None
    capacity: int | None = strawberry.field(
        description="Its shipping capacity that day by its calendar: the day's own, 0 when closed, else daily."
    )
    utilisation: float | None = strawberry.field(
        description="assignedToday / capacity (that day's); null where capacity is unlimited."
    )

    @classmethod
    def of(cls, load: analytics.StoreLoad) -> StoreLoad:
        return cls(
            location=Location.from_model(load.location),
            open_fulfilments=load.open_fulfilments,
            assigned_today=load.assigned,
            capacity_used=load.capacity_used,
            daily_ship_capacity=load.location.daily_ship_capacity,
            capacity=load.capacity,
            utilisation=load.utilisation,
        )


@strawberry.type(
    description="Of the orders placed in the range whose every unit left (shipped or collected): how many, "
    "and the hours from placement until the last unit left, counted in whole tenths of an hour (percentiles "
    "interpolated between neighbouring orders)."
)
class FulfilmentTimes:
    orders: int
    p50_hours: float | None
    p90_hours: float | None


@strawberry.type(
    description="Units that left with customers in the range (shipped, collected, sold in store) over the "
    "average units on hand then, time-weighted from the stock movement ledger."
)
class InventoryTurnoverRow:
    category: str | None
    location: str | None
    units_sold: int
    average_on_hand: float
    turnover: float | None = strawberry.field(description="unitsSold / averageOnHand; null when nothing was held.")


@strawberry.type(description="Appeasements made in the range for one reason on one channel, in one currency.")
class AppeasementTotal:
    reason: str
    channel: str
    currency: str
    appeasements: int
    amount: Decimal


@strawberry.type(description="Returns started in the range (not called off) whose lines gave this reason.")
class ReturnReason:
    reason: str | None
    returns: int
    units: int = strawberry.field(description="Units asked back.")
    received_units: int


strawberry.enum(PromiseDimension)


@strawberry.type(
    description="Parts of promised orders done (delivered, or ready for pickup) in a group: how many by the "
    "promised date. A dimension not grouped by is null."
)
class PromiseRow:
    channel: str | None
    location: str | None
    carrier: str | None
    week: str | None = strawberry.field(description="Of the promised date, ISO: 2026-W49.")
    parts: int
    on_time: int
    on_time_rate: float | None
    average_days_late: float | None = strawberry.field(description="Over the late parts.")

    @classmethod
    def of(cls, key: dict[PromiseDimension, str | None], kept: Kept) -> PromiseRow:
        return cls(
            channel=key.get(PromiseDimension.CHANNEL),
            location=key.get(PromiseDimension.LOCATION),
            carrier=key.get(PromiseDimension.CARRIER),
            week=key.get(PromiseDimension.WEEK),
            parts=kept.parts,
            on_time=kept.on_time,
            on_time_rate=kept.rate,
            average_days_late=kept.average_days_late,
        )
