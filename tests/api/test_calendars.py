"""Location calendars on both databases: a day a store is closed sends that day's orders elsewhere, a day's
own capacity is honoured, a pickup's ready-by date follows the store's cut-off in its own time zone and its
open days, and storeLoad counts the day's capacity; bad calendars are refused whole."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from oms_graph.db.base import utcnow
from oms_graph.db.models import Fulfilment
from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.services.fulfilment import sweep
from tests.factories import BERLIN, MUNICH, PLACE_ORDER, SET_STOCK, UPSERT_LOCATIONS, level, location, order_input
from tests.fulfilment_steps import chain_admin, goes_to

DAYS = """mutation($input: [LocationDayInput!]!) { setLocationDays(input: $input) {
  days { day closed capacity note } errors { code field message } } }"""
READ_DAYS = """query($code: String!, $from: Date!, $to: Date!) {
  locationDays(locationCode: $code, from: $from, to: $to) { day closed capacity } }"""
WHERE = """query($id: ID) { order(id: $id) { promisedDate
  routing { chosen { allocations { location { code } } } } } }"""
LOAD = """query { analytics { storeLoad { location { code } capacity dailyShipCapacity utilisation } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 50), level("SKU-1", "ST-BER", 50)]})
    return key


def today() -> str:
    return utcnow().date().isoformat()  # the chain's locations keep UTC unless told otherwise


async def test_a_closed_day_sends_the_days_orders_elsewhere_and_a_days_capacity_is_honoured(api, admin):
    assert await goes_to(api, admin, "open") == ["ST-BER"]  # the Berlin store, nearest
    blackout = {"locationCode": "ST-BER", "day": today(), "closed": True, "note": "stocktaking"}
    assert (await api.data(admin, DAYS, {"input": [blackout]}))["setLocationDays"]["errors"] == []
    assert await goes_to(api, admin, "blackout") == ["WH-HAM"]
    load = {r["location"]["code"]: r for r in (await api.data(admin, LOAD))["analytics"]["storeLoad"]}
    assert (load["ST-BER"]["capacity"], load["ST-BER"]["dailyShipCapacity"]) == (0, 20)

    # open again, but short of staff: one delivery today (it took one already, so none more)
    short = {"locationCode": "ST-BER", "day": today(), "capacity": 1}
    assert (await api.data(admin, DAYS, {"input": [short]}))["setLocationDays"]["days"] == [
        {"day": today(), "closed": False, "capacity": 1, "note": None}
    ]
    assert await goes_to(api, admin, "short") == ["WH-HAM"]
    load = {r["location"]["code"]: r for r in (await api.data(admin, LOAD))["analytics"]["storeLoad"]}
    assert (load["ST-BER"]["capacity"], load["ST-BER"]["utilisation"]) == (1, 1.0)

    # forgotten: the daily capacity again
    forget = {"locationCode": "ST-BER", "day": today()}
    assert (await api.data(admin, DAYS, {"input": [forget]}))["setLocationDays"]["days"] == []
    assert await goes_to(api, admin, "again") == ["ST-BER"]
    asked = {"code": "ST-BER", "from": today(), "to": today()}
    assert (await api.data(admin, READ_DAYS, asked))["locationDays"] == []


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])  # UTC+14 and UTC-11
async def test_a_pickups_ready_by_date_follows_the_stores_cut_off_in_its_own_time_zone(api, admin, zone):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "ST-MUC", 5)]})
    local = datetime.now(ZoneInfo(zone))
    cutoff = 12
    store = location("ST-MUC", MUNICH, ("PICKUP",), kind="STORE", timeZone=zone, cutoffHour=cutoff)
    assert (await api.data(admin, UPSERT_LOCATIONS, {"input": [store]}))["upsertLocations"]["errors"] == []
    placed = (await api.data(admin, PLACE_ORDER, {"input": order_input("p", pickup="ST-MUC")}))["placeOrder"]
    promised = (await api.data(admin, WHERE, {"id": placed["order"]["id"]}))["order"]["promisedDate"]
    expected = local.date() if local.hour < cutoff else local.date() + timedelta(days=1)
    assert promised == expected.isoformat()

    # closed the day it would be ready, and on the weekday after it: ready the day after both
    closed = {"locationCode": "ST-MUC", "day": expected.isoformat(), "closed": True}
    assert (await api.data(admin, DAYS, {"input": [closed]}))["setLocationDays"]["errors"] == []
    weekdays = [d for d in range(1, 8) if d != (expected + timedelta(days=1)).isoweekday()]
    store["openDays"] = weekdays
    assert (await api.data(admin, UPSERT_LOCATIONS, {"input": [store]}))["upsertLocations"]["errors"] == []
    placed = (await api.data(admin, PLACE_ORDER, {"input": order_input("q", pickup="ST-MUC")}))["placeOrder"]
    promised = (await api.data(admin, WHERE, {"id": placed["order"]["id"]}))["order"]["promisedDate"]
    assert promised == (expected + timedelta(days=2)).isoformat()


async def test_bad_calendars_are_refused_whole(api, admin):
    bad = location(
        "ST-MUC",
        MUNICH,
        ("PICKUP",),
        kind="STORE",
        timeZone="Mars/Olympus",
        cutoffHour=25,
        openDays=[0],
        opensAt="20:00:00",
        closesAt="09:00:00",
    )
    errors = (await api.data(admin, UPSERT_LOCATIONS, {"input": [bad]}))["upsertLocations"]["errors"]
    assert [e["field"] for e in errors] == [
        ["input", "0", "timeZone"],
        ["input", "0", "cutoffHour"],
        ["input", "0", "openDays"],
        ["input", "0", "opensAt"],
    ]
    good = {
        **bad,
        "timeZone": "Europe/Berlin",
        "cutoffHour": 18,
        "openDays": [6, 1],
        "opensAt": "09:00:00",
        "closesAt": "20:00:00",
    }
    saved = (await api.data(admin, UPSERT_LOCATIONS, {"input": [good]}))["upsertLocations"]
    assert saved["errors"] == []
    shown = {k: saved["locations"][0][k] for k in ("timeZone", "cutoffHour", "openDays", "opensAt", "closesAt")}
    assert shown == {
        "timeZone": "Europe/Berlin",
        "cutoffHour": 18,
        "openDays": [1, 6],
        "opensAt": "09:00:00",
        "closesAt": "20:00:00",
    }
    days = [
        {"locationCode": "ST-BER", "day": today(), "closed": True},
        {"locationCode": "NOPE", "day": today(), "closed": True},
        {"locationCode": "ST-BER", "day": today(), "capacity": -1},
    ]
    errors = (await api.data(admin, DAYS, {"input": days}))["setLocationDays"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("UNKNOWN_LOCATION", ["input", "1", "locationCode"]),
        ("INVALID_INPUT", ["input", "2", "capacity"]),
        ("INVALID_INPUT", ["input", "2", "day"]),
    ]
    asked = {"code": "ST-BER", "from": today(), "to": today()}
    assert (await api.data(admin, READ_DAYS, asked))["locationDays"] == []  # nothing written


async def test_an_accept_timeout_does_not_run_out_on_a_day_the_location_is_closed(api, admin):
    assert await goes_to(api, admin, "late") == ["ST-BER"]
    async with api.db.read() as session:
        (assigned,) = await session.scalars(select(Fulfilment).where(Fulfilment.status == FulfilmentStatus.ASSIGNED))
    within, start = timedelta(days=1), assigned.updated_at
    tomorrow = (start + within).date()  # the chain keeps UTC: the timeout would run out then
    shut = [d for d in range(1, 8) if d != tomorrow.isoweekday()]
    store = location("ST-BER", BERLIN, ("SHIP", "PICKUP", "RETURNS"), kind="STORE", dailyShipCapacity=20, openDays=shut)
    assert (await api.data(admin, UPSERT_LOCATIONS, {"input": [store]}))["upsertLocations"]["errors"] == []

    async def swept(at):  # type: ignore[no-untyped-def]
        async with api.db.write() as session:
            return await sweep.reassign_if_stale(session, fulfilment_id=assigned.id, now=at, accept_within=within)

    assert await swept(start + within + timedelta(hours=1)) is None  # closed that day: the clock stopped
    moved = await swept(start + within + timedelta(days=1, hours=1))  # a whole open day later: it goes elsewhere
    assert moved is not None and moved.status == FulfilmentStatus.REJECTED
