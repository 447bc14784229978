"""Promises kept, on both databases: three orders worked at set times (a delivery on its promised day, one two
days late, a pickup ready the day it was placed), and the on-time figures by carrier, location and week
match the table worked out by hand."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace as Fields
from typing import Any

from sqlalchemy import select

from oms_graph.adapters.carriers import Booking
from oms_graph.db.base import pinned_time
from oms_graph.db.engine import Database
from oms_graph.db.models import Fulfilment, Order, Shipment
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.promises import iso_week
from oms_graph.services.fulfilment import shipping
from oms_graph.services.fulfilment import transitions as work
from oms_graph.services.orders import placement
from oms_graph.services.routing.plan import route_order
from tests.conftest import make_key
from tests.factories import DEFAULTS, SET_STOCK, level, placement_fields
from tests.fulfilment_steps import chain_admin

KEPT = """query($from: DateTime!, $to: DateTime!, $by: [PromiseDimension!]!) { analytics {
  promisesKept(from: $from, to: $to, groupBy: $by) { carrier location week parts onTime onTimeRate
    averageDaysLate } } }"""
MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)
ADMIN = Principal(key_id=uuid.uuid4(), name="history", role=Role.ADMIN)


async def at(db: Database, moment: datetime, change: Any) -> Any:
    with pinned_time(moment):
        async with db.write() as session:
            return await change(session)


async def placed_and_routed(db: Database, key: str, lines: list[tuple[str, int, str]], pickup: str | None = None):  # type: ignore[no-untyped-def]
    fields = placement_fields(key, lines, pickup)
    order = await at(db, MONDAY, lambda s: placement.place_order(s, order=fields, principal=ADMIN, settings=DEFAULTS))
    await at(db, MONDAY, lambda s: route_order(s, order_id=order.id))
    async with db.read() as session:
        fulfilment = await session.scalar(select(Fulfilment.id).where(Fulfilment.order_id == order.id))
        promised = await session.scalar(select(Order.promised_date).where(Order.id == order.id))
    return fulfilment, promised


async def delivered(db: Database, fulfilment_id: uuid.UUID, lines: list[tuple[str, int]], day: datetime) -> None:
    steps = [
        lambda s: work.accept(s, fulfilment_id=fulfilment_id, principal=ADMIN),
        lambda s: work.pick(
            s, fulfilment_id=fulfilment_id, lines=[Fields(sku=k, quantity=n) for k, n in lines], principal=ADMIN
        ),
        lambda s: work.pack(
            s, fulfilment_id=fulfilment_id, weights_grams=[500], principal=ADMIN, default_carrier="courier"
        ),
    ]
    for step in steps:
        await at(db, MONDAY, step)
    async with db.read() as session:
        shipment = await session.scalar(select(Shipment.id).where(Shipment.fulfilment_id == fulfilment_id))
    booking = Booking(tracking_number=f"T-{fulfilment_id.hex[:8]}")
    await at(db, MONDAY, lambda s: shipping.booked(s, shipment_id=shipment, booking=booking))
    await at(db, MONDAY, lambda s: work.ship(s, fulfilment_id=fulfilment_id, principal=ADMIN))
    await at(db, day, lambda s: work.deliver(s, fulfilment_id=fulfilment_id, principal=ADMIN))


async def test_promises_kept_match_the_table_worked_out_by_hand(api):  # type: ignore[no-untyped-def]
    admin = await chain_admin(api)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10), level("SKU-2", "ST-MUC", 5)]})
    on_time, promised = await placed_and_routed(api.db, "a", [("SKU-1", 1, "10")])
    late, promised_late = await placed_and_routed(api.db, "b", [("SKU-1", 1, "10")])
    pickup, promised_pickup = await placed_and_routed(api.db, "c", [("SKU-2", 1, "10")], pickup="ST-MUC")
    assert promised == promised_late and promised_pickup == MONDAY.date()  # ready the day it was placed
    noon = datetime.combine(promised, datetime.min.time(), UTC) + timedelta(hours=12)
    await delivered(api.db, on_time, [("SKU-1", 1)], noon)
    await delivered(api.db, late, [("SKU-1", 1)], noon + timedelta(days=2))
    picked = [Fields(sku="SKU-2", quantity=1)]
    steps = [
        lambda s: work.accept(s, fulfilment_id=pickup, principal=ADMIN),
        lambda s: work.pick(s, fulfilment_id=pickup, lines=picked, principal=ADMIN),
        lambda s: work.mark_ready_for_pickup(s, fulfilment_id=pickup, principal=ADMIN, pickup_days=7),
    ]
    for step in steps:
        await at(api.db, MONDAY + timedelta(hours=2), step)

    analyst = await make_key(api.db, Role.ANALYST)
    window = {"from": "2026-03-01T00:00:00Z", "to": "2026-03-03T00:00:00Z"}
    by_carrier = (await api.data(analyst, KEPT, {**window, "by": ["CARRIER"]}))["analytics"]["promisesKept"]
    assert by_carrier == [
        row(carrier="courier", parts=2, on_time=1, rate=0.5, late=2.0),
        row(carrier=None, parts=1, on_time=1, rate=1.0, late=None),
    ]
    by_place = (await api.data(analyst, KEPT, {**window, "by": ["LOCATION", "WEEK"]}))["analytics"]["promisesKept"]
    assert by_place == [
        row(location="WH-HAM", week=iso_week(promised), parts=2, on_time=1, rate=0.5, late=2.0),
        row(location="ST-MUC", week="2026-W10", parts=1, on_time=1, rate=1.0, late=None),
    ]
    later = {"from": "2026-03-03T00:00:00Z", "to": "2026-03-04T00:00:00Z"}  # placed before: none
    assert (await api.data(analyst, KEPT, {**later, "by": []}))["analytics"]["promisesKept"] == []


def row(*, carrier=None, location=None, week=None, parts, on_time, rate, late):  # type: ignore[no-untyped-def]
    return {
        "carrier": carrier,
        "location": location,
        "week": week,
        "parts": parts,
        "onTime": on_time,
        "onTimeRate": rate,
        "averageDaysLate": late,
    }
