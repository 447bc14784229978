"""Reading orders: by id or number, pages with filters and totals, scopes, and no N+1."""

from __future__ import annotations

import pytest

from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import PLACE_ORDER, SET_STOCK, level, order_input, small_chain
from tests.statements import counting_selects

ORDERS = """query($filter: OrderFilter, $first: Int, $after: String) {
  orders(filter: $filter, first: $first, after: $after) {
  totalCount edges { cursor node { number status channel { code } } } pageInfo { hasNextPage endCursor } } }"""
FULL_PAGE = """{ orders(first: 50) { edges { node { number channel { code } originLocation { code }
  delivery { pickupLocation { code } } lines { sku } events { type orderNumber }
  returns { number lines { sku } } payments { kind } } } } }"""


@pytest.fixture
async def keys(api):  # type: ignore[no-untyped-def]
    admin = await make_key(api.db, Role.ADMIN)
    await small_chain(api, admin)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 500), level("SKU-2", "ST-MUC", 50)]})
    return {"admin": admin, "web": await make_key(api.db, Role.STOREFRONT, channel="web")}


async def place(api, key, order):  # type: ignore[no-untyped-def]
    result = (await api.data(key, PLACE_ORDER, {"input": order}))["placeOrder"]
    assert result["errors"] == [], result["errors"]
    return result["order"]


async def test_an_order_by_id_by_number_and_as_a_node(api, keys):
    order = await place(api, keys["web"], order_input("k1"))
    by_id = await api.data(keys["web"], "query($id: ID) { order(id: $id) { number } }", {"id": order["id"]})
    by_number = await api.data(keys["web"], "query($n: String) { order(number: $n) { id } }", {"n": order["number"]})
    node = await api.data(
        keys["web"], "query($id: ID!) { node(id: $id) { ... on Order { number } } }", {"id": order["id"]}
    )
    assert by_id["order"]["number"] == order["number"] == node["node"]["number"]
    assert by_number["order"]["id"] == order["id"]


async def test_orders_page_newest_first_with_a_total_and_filters(api, keys):
    for i in range(5):
        await place(api, keys["admin"], order_input(f"w{i}"))
    await place(api, keys["admin"], order_input("p1", channel="pos", customer={"email": "bob@example.com"}))
    await place(api, keys["admin"], order_input("p2", [("SKU-2", 1, "1")], channel="pos", pickup="ST-MUC"))
    first = (await api.data(keys["admin"], ORDERS, {"first": 3}))["orders"]
    assert first["totalCount"] == 7 and first["pageInfo"]["hasNextPage"]
    rest = (await api.data(keys["admin"], ORDERS, {"first": 10, "after": first["pageInfo"]["endCursor"]}))["orders"]
    numbers = [e["node"]["number"] for e in first["edges"] + rest["edges"]]
    assert len(numbers) == 7 == len(set(numbers)) and not rest["pageInfo"]["hasNextPage"]
    assert numbers[0].startswith("POS-")  # newest first
    web = (await api.data(keys["admin"], ORDERS, {"filter": {"channel": "web"}}))["orders"]
    assert web["totalCount"] == 5
    bob = (await api.data(keys["admin"], ORDERS, {"filter": {"customerEmail": "bob@example.com"}}))["orders"]
    assert bob["totalCount"] == 1
    at_munich = (await api.data(keys["admin"], ORDERS, {"filter": {"locationCode": "ST-MUC"}}))["orders"]
    assert at_munich["totalCount"] == 1
    held = (await api.data(keys["admin"], ORDERS, {"filter": {"status": ["ON_HOLD", "CANCELLED"]}}))["orders"]
    assert held["totalCount"] == 0


async def test_a_storefront_sees_its_channel_and_a_store_what_it_originated_or_hands_out(api, keys):
    web_order = await place(api, keys["admin"], order_input("w1"))
    await place(api, keys["admin"], order_input("p1", channel="pos", originLocationCode="ST-BER"))
    await place(api, keys["admin"], order_input("p2", [("SKU-2", 1, "1")], channel="pos", pickup="ST-MUC"))
    seen = (await api.data(keys["web"], ORDERS, {}))["orders"]
    assert [e["node"]["channel"]["code"] for e in seen["edges"]] == ["web"]
    berlin = await make_key(api.db, Role.STORE, location="ST-BER")
    munich = await make_key(api.db, Role.STORE, location="ST-MUC")
    assert (await api.data(berlin, ORDERS, {}))["orders"]["totalCount"] == 1
    assert (await api.data(munich, ORDERS, {}))["orders"]["totalCount"] == 1
    hidden = await api.data(berlin, "query($id: ID) { order(id: $id) { number } }", {"id": web_order["id"]})
    assert hidden["order"] is None


async def test_a_page_of_50_orders_with_their_children_takes_the_same_statements_as_a_page_of_5(api, keys):
    for i in range(50):
        pickup = "ST-MUC" if i % 2 else None
        await place(
            api,
            keys["admin"],
            order_input(
                f"o{i}",
                [("SKU-2" if pickup else "SKU-1", 1, "1")],
                pickup=pickup,
                channel="pos" if i % 3 else "web",
                originLocationCode="ST-BER",
            ),
        )
    with counting_selects(api.db) as seen:
        small = await api.data(keys["admin"], FULL_PAGE.replace("first: 50", "first: 5"))
        few = len(seen)
        seen.clear()
        page = await api.data(keys["admin"], FULL_PAGE)
        many = len(seen)
    assert len(small["orders"]["edges"]) == 5 and len(page["orders"]["edges"]) == 50
    assert (
        page["orders"]["edges"][0]["node"]["events"][0]["orderNumber"] == page["orders"]["edges"][0]["node"]["number"]
    )
    assert few == many <= 8  # count, page, lines, events, channels, locations, returns, payments
