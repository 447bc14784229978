"""Channel availability pools: a channel sees and promises only what its pool's locations hold, less what is
held back, and its orders are fulfilled only from there; other channels' orders leave its promise covered."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from oms_graph.api.node import decode_id
from oms_graph.db.models import Fulfilment, Location
from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import (
    AVAILABILITY,
    BERLIN_ADDRESS,
    HAMBURG,
    PLACE_ORDER,
    SET_STOCK,
    UPSERT_CHANNELS,
    channel,
    level,
    order_input,
    snapshot,
)
from tests.fulfilment_steps import chain_admin, routed

POOL = """mutation($input: AvailabilityPoolInput!) { updateAvailabilityPool(input: $input) {
  pool { locationKinds regions locationCodes buffer bufferPercent cap lowStockThreshold }
  errors { code field message } } }"""
CHANNEL_POOL = """query { channels { code availabilityPool { locationKinds locationCodes buffer cap } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, UPSERT_CHANNELS, {"input": [channel("ozon", kind="MARKETPLACE")]})
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 4), level("SKU-1", "ST-BER", 5)]})
    return key


async def pool(api, key, **parts):  # type: ignore[no-untyped-def]
    return (await api.data(key, POOL, {"input": {"channel": "ozon", **parts}}))["updateAvailabilityPool"]


async def seen(api, key, channel_code, sku="SKU-1"):  # type: ignore[no-untyped-def]
    """(availableToPromise, the location codes listed) on the channel."""
    found = (await api.data(key, AVAILABILITY, {"skus": [sku], "channel": channel_code}))["availability"][0]
    return found["availableToPromise"], sorted(e["location"]["code"] for e in found["locations"])


async def place(api, key, order):  # type: ignore[no-untyped-def]
    return (await api.data(key, PLACE_ORDER, {"input": order}))["placeOrder"]


async def fulfilled_at(api, order_id):  # type: ignore[no-untyped-def]
    async with api.db.read() as session:
        rows = await session.scalars(
            select(Location.code).join(Fulfilment).where(Fulfilment.order_id == decode_id(order_id)[1])
        )
        return sorted(rows)


async def test_a_marketplace_fed_by_warehouses_never_sees_promises_or_ships_store_stock(api, admin):
    done = await pool(api, admin, locationKinds=["WAREHOUSE"])
    assert done["errors"] == [] and done["pool"]["locationKinds"] == ["WAREHOUSE"]
    assert await seen(api, admin, "ozon") == (4, ["WH-HAM"])
    assert (await seen(api, admin, "web"))[0] == 9
    refused = await place(api, admin, order_input("o1", [("SKU-1", 5, "10")], channel="ozon"))
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("INSUFFICIENT_STOCK", ["input", "lines", "0", "quantity"])
    ]
    assert "4 available to promise" in refused["errors"][0]["message"]
    placed = await place(api, admin, order_input("o2", [("SKU-1", 4, "10")], channel="ozon"))
    assert placed["errors"] == []
    assert (await seen(api, admin, "ozon"))[0] == 0 and (await seen(api, admin, "web"))[0] == 5
    # Berlin's store is nearer the Berlin customer, but it does not feed the marketplace.
    assert await routed(api, placed["order"]["id"]) == "ROUTED"
    assert await fulfilled_at(api, placed["order"]["id"]) == ["WH-HAM"]


async def test_a_buffer_holds_units_back_and_a_cap_limits_the_figure(api, admin):
    await pool(api, admin, locationCodes=["WH-HAM", "ST-BER"], buffer=2)
    assert (await seen(api, admin, "ozon"))[0] == 7
    await pool(api, admin, locationCodes=["WH-HAM", "ST-BER"], bufferPercent=50)
    assert (await seen(api, admin, "ozon"))[0] == 4  # 9 free, 5 (50 % rounded up) held back
    await pool(api, admin, cap=3)
    assert (await seen(api, admin, "ozon"))[0] == 3
    assert (await place(api, admin, order_input("o1", [("SKU-1", 4, "10")], channel="ozon")))["errors"][0][
        "code"
    ] == "INSUFFICIENT_STOCK"
    assert (await place(api, admin, order_input("o2", [("SKU-1", 3, "10")], channel="ozon")))["errors"] == []
    assert (await seen(api, admin, "ozon"))[0] == 3  # the cap bounds the figure, not the orders over time
    assert (await seen(api, admin, "web"))[0] == 6


async def test_the_pool_reads_back_on_the_channel_and_all_unset_means_the_whole_network(api, admin):
    await pool(api, admin, locationCodes=["ST-BER", "WH-HAM"], buffer=1)
    channels = {c["code"]: c["availabilityPool"] for c in (await api.data(admin, CHANNEL_POOL))["channels"]}
    assert channels["ozon"] == {"locationKinds": None, "locationCodes": ["ST-BER", "WH-HAM"], "buffer": 1, "cap": None}
    assert channels["web"] is None
    cleared = await pool(api, admin)
    assert cleared == {"pool": None, "errors": []}
    assert (await seen(api, admin, "ozon"))[0] == 9


@pytest.mark.parametrize(
    "parts,field",
    [
        ({"locationCodes": ["WH-NOWHERE"]}, ["input", "locationCodes"]),
        ({"buffer": -1}, ["input", "buffer"]),
        ({"bufferPercent": 101}, ["input", "bufferPercent"]),
        ({"cap": -2}, ["input", "cap"]),
        ({"regions": [" "]}, ["input", "regions"]),
    ],
)
async def test_a_bad_pool_is_refused_and_nothing_is_written(api, admin, parts, field):
    before = await snapshot(api.db)
    done = await pool(api, admin, **parts)
    assert done["pool"] is None and [e["field"] for e in done["errors"]] == [field]
    assert await snapshot(api.db) == before


async def test_only_admin_sets_a_pool(api, admin):
    integration = await make_key(api.db, Role.INTEGRATION)
    body = await api.run(integration, POOL, {"input": {"channel": "ozon", "buffer": 1}})
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    unknown = await api.data(admin, POOL, {"input": {"channel": "nope", "buffer": 1}})
    assert unknown["updateAvailabilityPool"]["errors"][0]["code"] == "UNKNOWN_CHANNEL"


async def test_a_pickup_at_a_store_outside_the_pool_is_refused(api, admin):
    await pool(api, admin, locationKinds=["WAREHOUSE"])
    done = await place(api, admin, order_input("p1", channel="ozon", pickup="ST-BER"))
    assert [(e["code"], e["field"]) for e in done["errors"]] == [
        ("PICKUP_NOT_AVAILABLE", ["input", "delivery", "pickupLocationCode"])
    ]


async def test_another_channels_orders_leave_the_pools_promise_covered(api, admin):
    await pool(api, admin, locationCodes=["WH-HAM"])
    market = await place(api, admin, order_input("m1", [("SKU-1", 4, "10")], channel="ozon"))
    # A web customer next to the Hamburg warehouse: routing would take its units, which the marketplace's
    # waiting order was promised.
    near_hamburg = {**BERLIN_ADDRESS, "city": "Hamburg", "latitude": HAMBURG[0], "longitude": HAMBURG[1]}
    delivery = {"method": "DELIVERY", "address": near_hamburg, "price": "4.90", "carrier": "courier"}
    web = await place(api, admin, order_input("w1", [("SKU-1", 2, "10")], delivery=delivery))
    assert web["errors"] == []
    assert await routed(api, web["order"]["id"]) == "ROUTED"
    assert await fulfilled_at(api, web["order"]["id"]) == ["ST-BER"]
    assert await routed(api, market["order"]["id"]) == "ROUTED"
    assert await fulfilled_at(api, market["order"]["id"]) == ["WH-HAM"]


async def test_buyers_on_two_channels_racing_for_the_last_units_break_neither_promise(api, admin):
    """The warehouse feeds the marketplace (one unit held back); web sells from the whole network."""
    await pool(api, admin, locationCodes=["WH-HAM"], buffer=1)
    web_key = await make_key(api.db, Role.STOREFRONT, channel="web")
    ozon_key = await make_key(api.db, Role.STOREFRONT, channel="ozon")

    async def buy(i: int) -> tuple[str, bool]:
        code, key = ("ozon", ozon_key) if i % 2 else ("web", web_key)
        body = await api.run(key, PLACE_ORDER, {"input": order_input(f"race-{i}", channel=code)})
        assert not body.get("errors"), body["errors"]
        result = body["data"]["placeOrder"]
        if result["order"] is None:
            assert {e["code"] for e in result["errors"]} == {"INSUFFICIENT_STOCK"}, result["errors"]
        return code, result["order"] is not None

    outcomes = await asyncio.gather(*(buy(i) for i in range(100)))
    sold = {code: sum(1 for c, ok in outcomes if c == code and ok) for code in ("web", "ozon")}
    assert sold["ozon"] <= 3  # 4 in the warehouse, 1 held back
    assert sold["web"] + sold["ozon"] == 9  # every unit of the network sold, none twice
    assert (await seen(api, admin, "ozon"))[0] == 0 and (await seen(api, admin, "web"))[0] == 0
