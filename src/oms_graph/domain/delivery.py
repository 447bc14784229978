"""What a customer is offered before buying: carrier services with their price and estimated date, and
pickup at stores. Pure rules; the source locations come from the routing engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from oms_graph.domain.calendars import Calendar
from oms_graph.domain.routing import OTHER_REGION_KM

HANDLING_DAYS = 1  # a day to pick and pack before the carrier takes it
PICKUP_OPTIONS = 5  # nearest stores offered


@dataclass(frozen=True)
class Service:
    name: str
    base_price: Decimal
    per_kg: Decimal
    days_faster: int = 0


STANDARD = Service("standard", Decimal("4.90"), Decimal("0.40"))
EXPRESS = Service("express", Decimal("9.90"), Decimal("0.60"), days_faster=1)
# The built-in fleet offers both; a carrier behind an HTTP API its standard service.
SERVICES_OF_COURIER = (STANDARD, EXPRESS)
SERVICES_OF_HTTP_CARRIER = (STANDARD,)


@dataclass(frozen=True)
class RatePart:
    """One shipment a carrier is asked to price: from a location (its coordinates), its weight, the day it
    can leave."""

    origin: tuple[float, float]
    weight_grams: int
    leaves_on: date


@dataclass(frozen=True)
class RateAsk:
    """What a carrier that quotes is asked for an option: the plan's shipments to the customer's address."""

    parts: tuple[RatePart, ...]
    recipient: Mapping[str, Any]


def quoted_arrival(leaves_on: date, carrier_days: int) -> date:
    """When a part arrives by a carrier's own transit time: a handling day, then its days."""
    return working_days_after(leaves_on, HANDLING_DAYS + max(1, carrier_days))


def transit_days(km: float) -> int:
    return 1 if km <= 150 else 2 if km <= 500 else 3


def working_days_after(start: date, days: int) -> date:
    """`days` delivery days after `start`, Sundays skipped."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() != 6:
            days -= 1
    return day


def estimated_delivery(today: date, km: float, service: Service) -> date:
    return working_days_after(today, HANDLING_DAYS + max(1, transit_days(km) - service.days_faster))


def price(service: Service, weight_grams: int) -> Decimal:
    kg = Decimal(weight_grams) / 1000
    return (service.base_price + service.per_kg * kg).quantize(Decimal("0.01"))


def pickup_ready(now: datetime) -> date:
    """When a store with the default calendar (UTC, the 16:00 cut-off, open every day) has a pickup ready; a
    store's own: `Calendar.ready_by`."""
    return Calendar().ready_by(now)


def service_named(name: str | None) -> Service:
    """An order's service by its name: express when asked for, else standard."""
    return EXPRESS if name == EXPRESS.name else STANDARD


def after_supply(due: date, service: Service) -> date:
    """When a delivery waiting for supply arrives: from the supply's day, by the road the routing engine
    assumes for a place it cannot measure (where it will ship from is not known when it is promised)."""
    return estimated_delivery(due, OTHER_REGION_KM, service)
