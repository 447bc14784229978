"""Analytics over GraphQL on a small history whose every figure is worked out by hand.

The history (all times UTC), made through the services at those times:
- O1 web, 03-01 23:59:59, to DE-BY: A1 x2 at 10.00, H1 x1 at 25.50. Routed to WH-A, shipped 03-03 01:59:59
  (26 h after placement), delivered; one A1 returned, received at WH-A on 03-08.
- O2 web, 03-02 00:00:00, to DE-BY: A1 x1 at 10.00, cancelled before routing.
- O3 ch (CHF), 03-02 12:00:00, click & collect at ST-B (DE-BE): H1 x2 at 30.00, collected 18:00 (6 h).
- O4 web, 03-02 13:30:00, to DE-HH: A1 x3 at 9.50, routed to WH-A, one unit cancelled off the assignment.
- O5 web, 03-03 00:00:00, to DE-BE: A1 x1 at 10.00 (just outside ranges ending 03-03).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from types import SimpleNamespace as Fields
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from oms_graph.app import create_app
from oms_graph.config import Settings
from oms_graph.db.base import pinned_time
from oms_graph.db.engine import Database, create_database
from oms_graph.db.migrate import upgrade
from oms_graph.db.models import Fulfilment, OrderEvent, SalesDay, Shipment
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.catalog import ChannelKind, LocationCapability, LocationKind
from oms_graph.domain.orders import FulfilmentMethod, PaymentMethod
from oms_graph.domain.returns import ItemCondition
from oms_graph.events.stream import Sequencer
from oms_graph.services import catalog
from oms_graph.services.analytics import summaries as sales_summary
from oms_graph.services.fulfilment import transitions as fulfilment_work
from oms_graph.services.orders import cancellation, placement
from oms_graph.services.orders import lifecycle as orders
from oms_graph.services.returns import lifecycle as returns
from oms_graph.services.routing import plan as routing
from oms_graph.services.stock import levels as stock
from oms_graph.tasks import actors
from tests.conftest import actor_settings, drop_postgres_database, make_key, new_database_url, serving
from tests.factories import DEFAULTS
from tests.graphql_client import Api

ADMIN = Principal(key_id=uuid.uuid4(), name="test", role=Role.ADMIN)
HAMBURG = (53.55, 9.99)
SHIP, PICKUP, RETURNS = LocationCapability.SHIP, LocationCapability.PICKUP, LocationCapability.RETURNS
ROW = """channel region category location day currency orders units revenue netRevenue cancelledUnits
  returnedUnits cancellationRate returnRate splitOrders splitShipmentRate backorderedOrders"""
SALES = f"""query($from: DateTime!, $to: DateTime!, $by: [SalesDimension!]!) {{
  analytics {{ sales(from: $from, to: $to, groupBy: $by) {{ {ROW} }} }} }}"""
TIMES = """query($from: DateTime!, $to: DateTime!) { analytics { fulfilmentTimes(from: $from, to: $to) {
  orders p50Hours p90Hours } } }"""
LOAD = """query($date: Date) { analytics { storeLoad(date: $date) {
  location { code } openFulfilments assignedToday capacityUsed dailyShipCapacity utilisation } } }"""
TURNOVER = """query($from: DateTime!, $to: DateTime!, $by: [SalesDimension!]!) { analytics {
  inventoryTurnover(from: $from, to: $to, groupBy: $by) { category location unitsSold averageOnHand turnover } } }"""
MARCH_1, MARCH_3 = "2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z"


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def at(db: Database, moment: str, change: Any) -> Any:
    """One command at a set time."""
    with pinned_time(t(moment)):
        async with db.write() as session:
            return await change(session)


def order(key: str, channel: str, lines: list[tuple[str, int, str]], *, region: str | None = None) -> Any:
    address = Fields(
        name=None,
        line1="Steinstraße 1",
        city="Hamburg",
        region=region,
        postal_code=None,
        country="DE",
        latitude=HAMBURG[0],
        longitude=HAMBURG[1],
    )
    return Fields(
        channel=channel,
        idempotency_key=key,
        external_id=None,
        origin_location_code=None,
        note=None,
        customer=Fields(email=f"{key}@example.com", phone=None, name=None, external_id=None, tags=None),
        lines=[Fields(sku=s, quantity=q, unit_price=Decimal(p)) for s, q, p in lines],
        delivery=Fields(
            method=FulfilmentMethod.DELIVERY if region else FulfilmentMethod.PICKUP,
            pickup_location_code=None if region else "ST-B",
            address=address if region else None,
            carrier=None,
            service=None,
            price=None,
            promised_date=None,
        ),
        payment=Fields(method=PaymentMethod.PREPAID, provider=None, reference=None),
    )


async def place(db: Database, moment: str, fields: Any) -> uuid.UUID:
    placed = await at(db, moment, lambda s: placement.place_order(s, order=fields, principal=ADMIN, settings=DEFAULTS))
    return placed.id


async def fulfilment_of(db: Database, order_id: uuid.UUID) -> uuid.UUID:
    async with db.read() as session:
        found = await session.scalar(select(Fulfilment.id).where(Fulfilment.order_id == order_id))
    assert found is not None
    return found


async def work(db: Database, moment: str, fulfilment_id: uuid.UUID, *steps: Any) -> None:
    for step in steps:
        await at(db, moment, lambda s, step=step: step(s, fulfilment_id=fulfilment_id, principal=ADMIN))


async def pick_all(db: Database, moment: str, fulfilment_id: uuid.UUID, lines: list[tuple[str, int]]) -> None:
    picked = [Fields(sku=s, quantity=n) for s, n in lines]
    await at(db, moment, lambda s: fulfilment_work.pick(s, fulfilment_id=fulfilment_id, lines=picked, principal=ADMIN))


async def make_history(db: Database) -> dict[str, uuid.UUID]:
    actors.use_settings(actor_settings(db))
    feb28 = "2026-02-28T00:00:00"

    async def chain(session: Any) -> None:
        await catalog.upsert_channels(
            session,
            inputs=[
                Fields(
                    code=c,
                    name=c,
                    kind=ChannelKind.WEB,
                    currency=cur,
                    confirmation=None,
                    language=None,
                    default_region=None,
                )
                for c, cur in (("web", "EUR"), ("ch", "CHF"))
            ],
        )
        await catalog.upsert_locations(
            session,
            inputs=[
                Fields(
                    code=code,
                    name=code,
                    kind=kind,
                    region=region,
                    latitude=lat,
                    longitude=lon,
                    priority=0,
                    capabilities=caps,
                    daily_ship_capacity=capacity,
                    handling_cost=None,
                    active=True,
                    time_zone=None,
                    cutoff_hour=None,
                    open_days=None,
                    opens_at=None,
                    closes_at=None,
                )
                for code, kind, region, lat, lon, caps, capacity in (
                    ("WH-A", LocationKind.WAREHOUSE, "DE-HH", *HAMBURG, [SHIP, RETURNS], None),
                    ("ST-B", LocationKind.STORE, "DE-BE", 52.52, 13.40, [SHIP, PICKUP, RETURNS], 4),
                )
            ],
        )
        await catalog.upsert_products(
            session,
            inputs=[
                Fields(sku="A1", name="Shirt", category="Apparel", weight_grams=200, unit_cost=None, ean=None),
                Fields(sku="H1", name="Lamp", category="Home", weight_grams=900, unit_cost=None, ean=None),
            ],
        )
        await stock.set_stock_levels(
            session,
            inputs=[
                Fields(sku=s, location_code=loc, on_hand=n, safety_stock=0)
                for s, loc, n in (("A1", "WH-A", 100), ("H1", "WH-A", 100), ("H1", "ST-B", 10))
            ],
            actor="test",
        )

    await at(db, feb28, chain)
    shirts_and_lamp = [("A1", 2, "10.00"), ("H1", 1, "25.50")]
    o1 = await place(db, "2026-03-01T23:59:59", order("o1", "web", shirts_and_lamp, region="DE-BY"))
    o2 = await place(db, "2026-03-02T00:00:00", order("o2", "web", [("A1", 1, "10.00")], region="DE-BY"))
    await at(
        db, "2026-03-02T00:01:00", lambda s: orders.cancel_order(s, order_id=o2, reason="mistake", principal=ADMIN)
    )
    await at(db, "2026-03-02T00:05:00", lambda s: routing.route_order(s, order_id=o1))
    f1 = await fulfilment_of(db, o1)

    o3 = await place(db, "2026-03-02T12:00:00", order("o3", "ch", [("H1", 2, "30.00")]))
    await at(db, "2026-03-02T12:01:00", lambda s: routing.route_order(s, order_id=o3))
    f3 = await fulfilment_of(db, o3)
    await work(db, "2026-03-02T14:00:00", f3, fulfilment_work.accept)
    await pick_all(db, "2026-03-02T14:00:00", f3, [("H1", 2)])
    await work(db, "2026-03-02T14:00:00", f3, partial(fulfilment_work.mark_ready_for_pickup, pickup_days=7))
    async with db.read() as session:
        code = await session.scalar(select(Fulfilment.pickup_code).where(Fulfilment.id == f3))
    await at(
        db,
        "2026-03-02T18:00:00",
        lambda s: fulfilment_work.collect(s, fulfilment_id=f3, pickup_code=code, principal=ADMIN),
    )

    o4 = await place(db, "2026-03-02T13:30:00", order("o4", "web", [("A1", 3, "9.50")], region="DE-HH"))
    await at(db, "2026-03-02T13:31:00", lambda s: routing.route_order(s, order_id=o4))
    one = [Fields(sku="A1", quantity=1)]
    await at(
        db,
        "2026-03-02T13:40:00",
        lambda s: cancellation.cancel_lines(s, order_id=o4, lines=one, reason="one fewer", principal=ADMIN),
    )

    await work(db, "2026-03-03T01:00:00", f1, fulfilment_work.accept)
    await pick_all(db, "2026-03-03T01:00:00", f1, [("A1", 2), ("H1", 1)])
    await at(
        db,
        "2026-03-03T01:00:00",
        lambda s: fulfilment_work.pack(
            s, fulfilment_id=f1, weights_grams=[1100], principal=ADMIN, default_carrier="courier"
        ),
    )
    async with db.read() as session:
        shipment = await session.scalar(select(Shipment.id).where(Shipment.fulfilment_id == f1))
    with pinned_time(t("2026-03-03T01:10:00")):
        await actors.book_shipment(str(shipment))
    await work(db, "2026-03-03T01:59:59", f1, fulfilment_work.ship)
    await work(db, "2026-03-04T10:00:00", f1, fulfilment_work.deliver)
    o5 = await place(db, "2026-03-03T00:00:00", order("o5", "web", [("A1", 1, "10.00")], region="DE-BE"))
    return {"o1": o1, "o4": o4, "o5": o5}


async def return_one_shirt(db: Database, order_id: uuid.UUID) -> None:
    asked = [Fields(sku="A1", quantity=1, reason="too small")]
    started = await at(
        db,
        "2026-03-06T09:00:00",
        lambda s: returns.request_return(s, order_id=order_id, channel_code=None, lines=asked, principal=ADMIN),
    )
    back = [Fields(sku="A1", quantity=1, condition=ItemCondition.SELLABLE)]
    await at(
        db,
        "2026-03-08T09:00:00",
        lambda s: returns.receive_return(s, return_id=started.id, location_code="WH-A", lines=back, principal=ADMIN),
    )


def row(**values: Any) -> dict[str, Any]:
    """A sales row: dimensions not given are null; rates follow from the figures."""
    base: dict[str, Any] = dict.fromkeys(("channel", "region", "category", "location", "day"))
    base.update(values)
    units, cancelled, returned = base["units"], base["cancelledUnits"], base["returnedUnits"]
    base["cancellationRate"] = pytest.approx(cancelled / units)
    base["returnRate"] = pytest.approx(returned / (units - cancelled)) if units > cancelled else None
    base.update(splitOrders=0, splitShipmentRate=0.0, backorderedOrders=0)  # none in this history
    return base


def eur(orders: int, units: int, revenue: str, net: str, cancelled: int = 0, returned: int = 0, **dims: Any) -> dict:
    return row(
        currency="EUR",
        orders=orders,
        units=units,
        revenue=revenue,
        netRevenue=net,
        cancelledUnits=cancelled,
        returnedUnits=returned,
        **dims,
    )


def chf(orders: int, units: int, revenue: str, **dims: Any) -> dict:
    return row(
        currency="CHF",
        orders=orders,
        units=units,
        revenue=revenue,
        netRevenue=revenue,
        cancelledUnits=0,
        returnedUnits=0,
        **dims,
    )


# groupBy -> the rows of [March 1, March 3) once O1's shirt is back, in the order the API sorts them.
EXPECTED: dict[tuple[str, ...], list[dict]] = {
    (): [chf(1, 2, "60.0000"), eur(3, 7, "64.5000", "54.5000", cancelled=2, returned=1)],
    ("DAY",): [
        eur(1, 3, "45.5000", "35.5000", returned=1, day="2026-03-01"),
        chf(1, 2, "60.0000", day="2026-03-02"),
        eur(2, 4, "19.0000", "19.0000", cancelled=2, day="2026-03-02"),
    ],
    ("CHANNEL", "REGION"): [
        chf(1, 2, "60.0000", channel="ch", region="DE-BE"),
        eur(2, 4, "45.5000", "35.5000", cancelled=1, returned=1, channel="web", region="DE-BY"),
        eur(1, 3, "19.0000", "19.0000", cancelled=1, channel="web", region="DE-HH"),
    ],
    ("CATEGORY",): [
        eur(3, 6, "39.0000", "29.0000", cancelled=2, returned=1, category="Apparel"),
        chf(1, 2, "60.0000", category="Home"),
        eur(1, 1, "25.5000", "25.5000", category="Home"),
    ],
    ("LOCATION",): [
        eur(2, 2, "0.0000", "0.0000", cancelled=2),  # O2 never routed, and O4's cancelled unit
        chf(1, 2, "60.0000", location="ST-B"),
        eur(2, 5, "64.5000", "54.5000", returned=1, location="WH-A"),
    ],
    ("DAY", "CATEGORY", "LOCATION"): [
        eur(1, 2, "20.0000", "10.0000", returned=1, day="2026-03-01", category="Apparel", location="WH-A"),
        eur(1, 1, "25.5000", "25.5000", day="2026-03-01", category="Home", location="WH-A"),
        eur(2, 2, "0.0000", "0.0000", cancelled=2, day="2026-03-02", category="Apparel"),
        eur(1, 2, "19.0000", "19.0000", day="2026-03-02", category="Apparel", location="WH-A"),
        chf(1, 2, "60.0000", day="2026-03-02", category="Home", location="ST-B"),
    ],
}


async def sales(api: Api, key: str, by: tuple[str, ...], start: str = MARCH_1, end: str = MARCH_3) -> list[dict]:
    return (await api.data(key, SALES, {"from": start, "to": end, "by": list(by)}))["analytics"]["sales"]


async def sequenced(db: Database) -> None:
    """What the API's sequencer does after commits: committed events get their stream positions."""
    while await Sequencer(db, lambda: None).sequence_once():
        pass


async def test_sales_add_up_by_hand_from_the_orders_the_summaries_and_both_together(api: Api) -> None:
    history = await make_history(api.db)
    await return_one_shirt(api.db, history["o1"])
    analyst = await make_key(api.db, Role.ANALYST)
    for by, expected in EXPECTED.items():  # nothing summarised yet: computed from the orders
        assert await sales(api, analyst, by) == expected, by
    await sequenced(api.db)
    assert await sales_summary.refresh(api.db) == 3  # the first refresh builds every day with orders (1-3)
    for by, expected in EXPECTED.items():  # whole days from the summaries
        assert await sales(api, analyst, by) == expected, by


async def test_earlier_days_are_as_of_the_last_refresh_and_today_is_live(api: Api) -> None:
    history = await make_history(api.db)
    analyst = await make_key(api.db, Role.ANALYST)
    as_of = "{ analytics { summariesAsOf } }"
    assert (await api.data(analyst, as_of))["analytics"]["summariesAsOf"] is None
    await sequenced(api.db)
    before = datetime.now(UTC)
    await sales_summary.refresh(api.db)
    refreshed = datetime.fromisoformat((await api.data(analyst, as_of))["analytics"]["summariesAsOf"])
    assert before <= refreshed <= datetime.now(UTC)
    await return_one_shirt(api.db, history["o1"])  # a late change to March 1: its summary holds until refreshed
    assert [r["returnedUnits"] for r in await sales(api, analyst, ())] == [0, 0]
    await sequenced(api.db)
    assert await sales_summary.refresh(api.db) == 1  # only the day whose order changed is rebuilt
    assert await sales(api, analyst, ()) == EXPECTED[()]
    assert await sales(api, analyst, ("DAY", "CATEGORY", "LOCATION")) == EXPECTED[("DAY", "CATEGORY", "LOCATION")]

    async with api.db.write() as session:  # an order placed now counts at once
        fields = order("today", "web", [("A1", 1, "10.00")], region="DE-BE")
        await placement.place_order(session, order=fields, principal=ADMIN, settings=DEFAULTS)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    totals = [(r["currency"], r["orders"], r["units"]) for r in await sales(api, analyst, (), MARCH_1, tomorrow)]
    assert totals == [("CHF", 1, 2), ("EUR", 5, 9)]  # O1, O2, O4, O5 and today's


async def test_the_refresh_actor_builds_every_day_up_to_the_newest_event(api: Api) -> None:
    await make_history(api.db)
    await sequenced(api.db)
    actors.use_settings(actor_settings(api.db))
    await actors.refresh_analytics()
    async with api.db.read() as session:
        days = set(await session.scalars(select(SalesDay.day).where(SalesDay.grain == 0)))
        mark = await sales_summary.watermark(session)
        top = await session.scalar(select(func.max(OrderEvent.position)))
    assert days == {date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)}
    assert mark is not None and mark.position == top


async def test_sales_ranges_follow_utc_instants_to_the_second(api: Api) -> None:
    await make_history(api.db)
    await sequenced(api.db)
    await sales_summary.refresh(api.db)
    analyst = await make_key(api.db, Role.ANALYST)

    async def orders_in(start: str, end: str) -> list[tuple[str, int]]:
        return [(r["currency"], r["orders"]) for r in await sales(api, analyst, (), start, end)]

    # Midnight in Berlin (UTC+1) is 23:00 UTC the day before: O1 at 23:59:59 UTC is in that hour.
    assert await orders_in("2026-03-02T00:00:00+01:00", "2026-03-02T01:00:00+01:00") == [("EUR", 1)]
    assert await orders_in("2026-03-01T23:59:59Z", "2026-03-02T00:00:00Z") == [("EUR", 1)]  # O1 only
    assert await orders_in("2026-03-02T00:00:00Z", "2026-03-02T00:00:01Z") == [("EUR", 1)]  # O2 only
    assert await orders_in("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z") == [("CHF", 1), ("EUR", 2)]
    # Part days at both ends around whole days from the summaries: 23:59:59 on March 1 to O5's second.
    assert await orders_in("2026-03-01T23:59:59Z", "2026-03-03T00:00:01Z") == [("CHF", 1), ("EUR", 4)]
    assert await orders_in("2026-03-01T12:00:00Z", "2026-03-03T00:00:00Z") == [("CHF", 1), ("EUR", 3)]
    assert await orders_in("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z") == []  # nothing placed then
    days = await sales(api, analyst, ("DAY",), "2026-03-02T00:00:00Z", "2026-03-04T00:00:00Z")
    assert [(r["day"], r["currency"], r["orders"]) for r in days] == [
        ("2026-03-02", "CHF", 1),
        ("2026-03-02", "EUR", 2),
        ("2026-03-03", "EUR", 1),
    ]


async def test_sales_refuse_a_backwards_range_and_a_dimension_twice(api: Api) -> None:
    analyst = await make_key(api.db, Role.ANALYST)
    for start, end, by in ((MARCH_3, MARCH_1, []), (MARCH_1, MARCH_1, []), (MARCH_1, MARCH_3, ["DAY", "DAY"])):
        body = await api.run(analyst, SALES, {"from": start, "to": end, "by": by})
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT", body


async def test_fulfilment_times_are_hours_from_placement_until_the_last_unit_left(api: Api) -> None:
    await make_history(api.db)
    analyst = await make_key(api.db, Role.ANALYST)

    async def times(start: str, end: str) -> dict:
        return (await api.data(analyst, TIMES, {"from": start, "to": end}))["analytics"]["fulfilmentTimes"]

    # O1 took 26 h, O3 6 h; O2 was cancelled and O4 has not left: the percentiles interpolate 6 and 26.
    got = await times(MARCH_1, MARCH_3)
    assert got == {"orders": 2, "p50Hours": pytest.approx(16.0), "p90Hours": pytest.approx(24.0)}
    assert await times("2026-03-02T00:00:00Z", MARCH_3) == {
        "orders": 1,
        "p50Hours": pytest.approx(6.0),
        "p90Hours": pytest.approx(6.0),
    }
    assert await times("2026-02-01T00:00:00Z", MARCH_1) == {"orders": 0, "p50Hours": None, "p90Hours": None}


async def test_store_load_counts_open_work_and_the_days_assignments_against_capacity(api: Api) -> None:
    await make_history(api.db)
    analyst = await make_key(api.db, Role.ANALYST)
    loads = (await api.data(analyst, LOAD, {"date": "2026-03-02"}))["analytics"]["storeLoad"]
    assert loads == [
        # O3's pickup was assigned that day and collected: one assignment, no ship capacity used.
        {
            "location": {"code": "ST-B"},
            "openFulfilments": 0,
            "assignedToday": 1,
            "capacityUsed": 0,
            "dailyShipCapacity": 4,
            "utilisation": 0.25,
        },
        # O1 (shipped since) and O4 (still assigned) were both assigned on March 2; no capacity limit.
        {
            "location": {"code": "WH-A"},
            "openFulfilments": 1,
            "assignedToday": 2,
            "capacityUsed": 2,
            "dailyShipCapacity": None,
            "utilisation": None,
        },
    ]
    quiet = (await api.data(analyst, LOAD, {"date": "2026-03-05"}))["analytics"]["storeLoad"]
    assert [(r["openFulfilments"], r["assignedToday"], r["utilisation"]) for r in quiet] == [(0, 0, 0.0), (1, 0, None)]


async def test_inventory_turnover_weighs_on_hand_by_time_from_the_ledger(api: Api) -> None:
    await make_history(api.db)
    analyst = await make_key(api.db, Role.ANALYST)
    span = 4 * 86400  # March 1 to 5
    before_ship = 2 * 86400 + 7199  # until March 3, 01:59:59, when O1 left WH-A
    shirts = (100 * before_ship + 98 * (span - before_ship)) / span
    lamps_at_a = (100 * before_ship + 99 * (span - before_ship)) / span
    lamps_at_b = (10 * (86400 + 18 * 3600) + 8 * (span - 86400 - 18 * 3600)) / span  # O3 collected March 2, 18:00

    async def turnover(by: list[str]) -> list[tuple]:
        variables = {"from": MARCH_1, "to": "2026-03-05T00:00:00Z", "by": by}
        rows = (await api.data(analyst, TURNOVER, variables))["analytics"]["inventoryTurnover"]
        return [(r["category"], r["location"], r["unitsSold"], r["averageOnHand"], r["turnover"]) for r in rows]

    approx = pytest.approx
    assert await turnover(["LOCATION"]) == [
        (None, "ST-B", 2, approx(lamps_at_b), approx(2 / lamps_at_b)),
        (None, "WH-A", 3, approx(shirts + lamps_at_a), approx(3 / (shirts + lamps_at_a))),
    ]
    assert await turnover(["CATEGORY"]) == [
        ("Apparel", None, 2, approx(shirts), approx(2 / shirts)),
        ("Home", None, 3, approx(lamps_at_a + lamps_at_b), approx(3 / (lamps_at_a + lamps_at_b))),
    ]
    body = await api.run(analyst, TURNOVER, {"from": MARCH_1, "to": MARCH_3, "by": ["CHANNEL"]})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_sales_count_split_and_backordered_orders(api: Api) -> None:
    await make_history(api.db)
    analyst = await make_key(api.db, Role.ANALYST)

    async def toys(session: Any) -> None:  # a toy only the Berlin store has
        kite = Fields(sku="T1", name="Kite", category="Toys", weight_grams=300, unit_cost=None, ean=None)
        await catalog.upsert_products(session, inputs=[kite])
        await stock.set_stock_levels(
            session, inputs=[Fields(sku="T1", location_code="ST-B", on_hand=2, safety_stock=0)], actor="test"
        )

    await at(api.db, "2026-03-04T09:00:00", toys)
    shirt_and_kite = [("A1", 1, "10.00"), ("T1", 1, "5.00")]
    o6 = await place(api.db, "2026-03-04T10:00:00", order("o6", "web", shirt_and_kite, region="DE-BE"))
    await at(api.db, "2026-03-04T10:01:00", lambda s: routing.route_order(s, order_id=o6))  # WH-A and ST-B
    o7 = await place(api.db, "2026-03-04T11:00:00", order("o7", "web", [("T1", 1, "5.00")], region="DE-BE"))
    await at(  # the last kite breaks before routing: nothing left to route o7 to
        api.db,
        "2026-03-04T11:00:30",
        lambda s: stock.set_stock_levels(
            s, inputs=[Fields(sku="T1", location_code="ST-B", on_hand=1, safety_stock=0)], actor="test"
        ),
    )
    await at(api.db, "2026-03-04T11:01:00", lambda s: routing.route_order(s, order_id=o7))
    day = await sales(api, analyst, ("CATEGORY",), "2026-03-04T00:00:00Z", "2026-03-05T00:00:00Z")
    assert [(r["category"], r["orders"], r["splitOrders"], r["backorderedOrders"]) for r in day] == [
        ("Apparel", 1, 1, 0),
        ("Toys", 2, 1, 1),
    ]
    whole = (await sales(api, analyst, (), "2026-03-04T00:00:00Z", "2026-03-05T00:00:00Z"))[0]
    assert (whole["orders"], whole["splitOrders"], whole["splitShipmentRate"], whole["backorderedOrders"]) == (
        2,
        1,
        0.5,
        1,
    )


async def test_return_reasons_count_returns_and_units_by_the_reason_given(api: Api) -> None:
    history = await make_history(api.db)
    await return_one_shirt(api.db, history["o1"])
    analyst = await make_key(api.db, Role.ANALYST)
    query = """query($from: DateTime!, $to: DateTime!) { analytics {
      returnReasons(from: $from, to: $to) { reason returns units receivedUnits } } }"""
    march = {"from": MARCH_1, "to": "2026-04-01T00:00:00Z"}
    assert (await api.data(analyst, query, march))["analytics"]["returnReasons"] == [
        {"reason": "too small", "returns": 1, "units": 1, "receivedUnits": 1}
    ]
    february = {"from": "2026-02-01T00:00:00Z", "to": MARCH_1}
    assert (await api.data(analyst, query, february))["analytics"]["returnReasons"] == []


@pytest.mark.parametrize("role", [Role.STOREFRONT, Role.STORE, Role.INTEGRATION])
async def test_analytics_are_for_analyst_and_admin_keys_only(api: Api, role: Role) -> None:
    await make_history(api.db)
    scope = {"channel": "web"} if role is Role.STOREFRONT else {"location": "WH-A"} if role is Role.STORE else {}
    key = await make_key(api.db, role, **scope)
    body = await api.run(key, SALES, {"from": MARCH_1, "to": MARCH_3, "by": []})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    admin = await make_key(api.db, Role.ADMIN)
    assert await sales(api, admin, ()) == [chf(1, 2, "60.0000"), eur(3, 7, "64.5000", "64.5000", cancelled=2)]


async def test_analytics_read_the_replica_when_one_is_configured(api: Api, tmp_path: Any) -> None:
    """A second database stands in for a replica that has not caught up: analytics answer from it,
    everything else from the main database."""
    await make_history(api.db)
    replica_url = await new_database_url(api.db.dialect, tmp_path)
    replica = create_database(replica_url)
    await upgrade(replica)
    settings = Settings(
        database_url=api.db.engine.url.render_as_string(hide_password=False),
        read_database_url=replica_url,
        background=False,
    )
    analyst = await make_key(api.db, Role.ANALYST)
    try:
        async with serving(create_app(settings, db=api.db)) as url, httpx.AsyncClient(base_url=url) as client:
            on_replica = Api(client, api.db)
            assert await sales(on_replica, analyst, ()) == []  # the replica has no orders yet
            listed = await on_replica.data(analyst, "{ orders { totalCount } }")
            assert listed["orders"]["totalCount"] == 5  # the main database has them
            assert await sales(api, analyst, ()) != []  # a server with no replica answers from the main one
    finally:
        await replica.dispose()
        if api.db.dialect == "postgresql":
            await drop_postgres_database(replica_url)
