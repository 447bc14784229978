"""A retry can never duplicate an order: keys and external ids identify placements per channel."""

from __future__ import annotations

import asyncio

import pytest

from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import PLACE_ORDER, SET_STOCK, level, order_input, small_chain, snapshot

IMPORT = """mutation($input: [PlaceOrderInput!]!) { importOrders(input: $input) {
  results { order { id number externalId } errors { code field message } } errors { code field message } } }"""


@pytest.fixture
async def keys(api):  # type: ignore[no-untyped-def]
    admin = await make_key(api.db, Role.ADMIN)
    await small_chain(api, admin)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 50), level("SKU-2", "WH-HAM", 1)]})
    return {
        "admin": admin,
        "web": await make_key(api.db, Role.STOREFRONT, channel="web"),
        "integration": await make_key(api.db, Role.INTEGRATION),
    }


async def place(api, key, order):  # type: ignore[no-untyped-def]
    return (await api.data(key, PLACE_ORDER, {"input": order}))["placeOrder"]


async def test_a_replay_returns_the_same_order_and_writes_nothing(api, keys):
    first = await place(api, keys["web"], order_input("retry-1"))
    before = await snapshot(api.db)
    again = await place(api, keys["web"], order_input("retry-1"))
    assert again["errors"] == [] and again["order"]["id"] == first["order"]["id"]
    assert len(again["order"]["events"]) == 1
    assert await snapshot(api.db) == before


async def test_the_same_key_with_other_input_is_an_idempotency_conflict(api, keys):
    await place(api, keys["web"], order_input("retry-1"))
    before = await snapshot(api.db)
    other = await place(api, keys["web"], order_input("retry-1", [("SKU-1", 2, "19.99")]))
    assert [(e["code"], e["field"]) for e in other["errors"]] == [("IDEMPOTENCY_CONFLICT", ["input", "idempotencyKey"])]
    assert await snapshot(api.db) == before


async def test_a_replay_gets_its_order_even_after_the_stock_is_gone(api, keys):
    first = await place(api, keys["web"], order_input("last-one", [("SKU-2", 1, "5")]))
    again = await place(api, keys["web"], order_input("last-one", [("SKU-2", 1, "5")]))
    assert again["errors"] == [] and again["order"]["id"] == first["order"]["id"]


async def test_keys_are_per_channel(api, keys):
    web = await place(api, keys["admin"], order_input("shared-key"))
    pos = await place(api, keys["admin"], order_input("shared-key", channel="pos"))
    assert web["order"]["id"] != pos["order"]["id"]


async def test_twenty_concurrent_repeats_create_one_order_and_all_get_it(api, keys):
    results = await asyncio.gather(*(place(api, keys["web"], order_input("burst")) for _ in range(20)))
    assert {r["order"]["id"] for r in results if r["order"]} == {results[0]["order"]["id"]}
    assert all(r["errors"] == [] for r in results)
    orders = await api.data(keys["admin"], "{ orders { totalCount } }")
    assert orders["orders"]["totalCount"] == 1


async def test_an_external_id_imported_twice_is_the_existing_order(api, keys):
    first = await place(api, keys["integration"], order_input("import-1", channel="pos", externalId="POS-77"))
    again = await place(api, keys["integration"], order_input("import-2", channel="pos", externalId="POS-77"))
    assert again["errors"] == [] and again["order"]["id"] == first["order"]["id"]


async def test_import_orders_places_each_on_its_own_and_answers_one_result_each(api, keys):
    batch = [
        order_input("m1", channel="pos", externalId="MP-1"),
        order_input("m2", [("NOPE", 1, "1")], channel="pos", externalId="MP-2"),
        order_input("m3", channel="pos", externalId="MP-3"),
    ]
    data = (await api.data(keys["integration"], IMPORT, {"input": batch}))["importOrders"]
    results = data["results"]
    assert [r["order"]["externalId"] if r["order"] else None for r in results] == ["MP-1", None, "MP-3"]
    assert [(e["code"], e["field"]) for e in results[1]["errors"]] == [
        ("UNKNOWN_SKU", ["input", "1", "lines", "0", "sku"])
    ]
    replay = (await api.data(keys["integration"], IMPORT, {"input": batch[:1]}))["importOrders"]
    assert replay["results"][0]["order"]["id"] == results[0]["order"]["id"]


async def test_import_orders_takes_at_most_500(api, keys):
    batch = [order_input(f"m{i}", channel="pos") for i in range(501)]
    data = (await api.data(keys["integration"], IMPORT, {"input": batch}))["importOrders"]
    assert data["results"] == [] and data["errors"][0]["code"] == "INVALID_INPUT"
