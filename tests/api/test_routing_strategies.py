"""Routing strategies as data on both databases: a rule sends heavy orders to warehouses only while light
ones go to the nearest store; a new version routes the next orders and not the past ones; an earlier
version can be activated again, one saved for later waits for its time; each order names its version; bad
strategies are refused whole."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oms_graph.db.base import utcnow
from oms_graph.domain import delivery
from tests.factories import BERLIN_ADDRESS, PLACE_ORDER, SET_STOCK, level, order_input
from tests.fulfilment_steps import chain_admin, routed

GROUPS = """mutation($input: [LocationGroupInput!]!) { upsertLocationGroups(input: $input) {
  groups { code locationCodes } errors { code field message } } }"""
SAVE = """mutation($input: RoutingStrategyInput!) { saveRoutingStrategy(input: $input) {
  strategy { version active rules activations } errors { code field message } } }"""
ACTIVATE = """mutation($channel: String!, $version: Int!) {
  activateRoutingStrategy(channel: $channel, version: $version) {
    strategy { version active } errors { code field } } }"""
OPTIONS = (
    """query($input: DeliveryOptionsInput!) { deliveryOptions(input: $input) { service estimatedDeliveryDate } }"""
)
VERSIONS = """query { routingStrategies(channel: "web") { version active } }"""
ROUTE = """query($id: ID) { order(id: $id) { strategyVersion
  routing { strategyVersion strategyRule chosen { allocations { location { code } } } } } }"""
HEAVY = {
    "name": "heavy from warehouses",
    "condition": {"minWeightGrams": 30000},
    "effect": {"allowGroups": ["WAREHOUSES"]},
}


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 500), level("SKU-1", "ST-BER", 500)]})
    groups = [{"code": "WAREHOUSES", "name": "Warehouses", "locationCodes": ["WH-HAM", "WH-FRA"]}]
    assert (await api.data(key, GROUPS, {"input": groups}))["upsertLocationGroups"]["errors"] == []
    return key


async def route(api, admin, key, units):  # type: ignore[no-untyped-def]
    """Place a Berlin delivery of `units` half-kilo units and route it: where it went, and its version."""
    placed = (await api.data(admin, PLACE_ORDER, {"input": order_input(key, [("SKU-1", units, "1")])}))["placeOrder"]
    assert placed["errors"] == []
    assert await routed(api, placed["order"]["id"]) == "ROUTED"
    return placed["order"]["id"]


async def where(api, admin, order_id):  # type: ignore[no-untyped-def]
    order = (await api.data(admin, ROUTE, {"id": order_id}))["order"]
    codes = [a["location"]["code"] for a in order["routing"]["chosen"]["allocations"]]
    return codes, order["strategyVersion"], order["routing"]["strategyRule"]


async def test_a_weight_rule_sends_heavy_orders_to_warehouses_and_versions_switch(api, admin):
    assert await where(api, admin, await route(api, admin, "before", 61)) == (["ST-BER"], None, None)

    saved = (await api.data(admin, SAVE, {"input": {"channel": "web", "rules": [HEAVY]}}))["saveRoutingStrategy"]
    assert saved["errors"] == [] and (saved["strategy"]["version"], saved["strategy"]["active"]) == (1, True)
    # deliveryOptions plans as routing will: the heavy cart from Hamburg (~255 km), the light one from Berlin
    today = utcnow().date()
    for units, km in ((61, 255), (2, 0)):
        cart = {
            "channel": "web",
            "lines": [{"sku": "SKU-1", "quantity": units, "unitPrice": "1"}],
            "address": BERLIN_ADDRESS,
        }
        options = (await api.data(admin, OPTIONS, {"input": cart}))["deliveryOptions"]
        standard = next(o for o in options if o["service"] == "standard")
        assert (
            standard["estimatedDeliveryDate"] == delivery.estimated_delivery(today, km, delivery.STANDARD).isoformat()
        )
    heavy = await route(api, admin, "heavy", 61)  # 30.5 kg
    assert await where(api, admin, heavy) == (["WH-HAM"], 1, "heavy from warehouses")
    light = await route(api, admin, "light", 2)
    assert await where(api, admin, light) == (["ST-BER"], 1, None)

    # version 2 drops the rule: the next heavy order goes to the store; the past one keeps its route
    second = (await api.data(admin, SAVE, {"input": {"channel": "web", "rules": []}}))["saveRoutingStrategy"]
    assert second["strategy"]["version"] == 2
    assert await where(api, admin, await route(api, admin, "heavy-2", 61)) == (["ST-BER"], 2, None)
    assert await where(api, admin, heavy) == (["WH-HAM"], 1, "heavy from warehouses")

    # version 1 again, and a version 3 saved for tomorrow that is not in force yet
    again = (await api.data(admin, ACTIVATE, {"channel": "web", "version": 1}))["activateRoutingStrategy"]
    assert again == {"strategy": {"version": 1, "active": True}, "errors": []}
    later = {"channel": "web", "rules": [], "activatesAt": (utcnow() + timedelta(days=1)).isoformat()}
    assert (await api.data(admin, SAVE, {"input": later}))["saveRoutingStrategy"]["strategy"]["active"] is False
    assert (await api.data(admin, VERSIONS))["routingStrategies"] == [
        {"version": 3, "active": False},
        {"version": 2, "active": False},
        {"version": 1, "active": True},
    ]
    assert await where(api, admin, await route(api, admin, "heavy-3", 61)) == (["WH-HAM"], 1, "heavy from warehouses")


async def test_a_bad_strategy_is_refused_whole(api, admin):
    bad = [
        {**HEAVY, "effect": {"allowGroups": ["NOWHERE"]}},
        {"name": "window", "condition": {"placedFrom": "2026-12-31", "placedTo": "2026-12-01"}},
        {"name": "weights", "effect": {"distanceWeight": -1, "maxSplits": 0}},
        {"name": "window"},
    ]
    refused = (await api.data(admin, SAVE, {"input": {"channel": "web", "rules": bad}}))["saveRoutingStrategy"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("UNKNOWN_LOCATION", ["input", "rules", "0", "effect", "allowGroups"]),
        ("INVALID_INPUT", ["input", "rules", "1", "condition", "placedFrom"]),
        ("INVALID_INPUT", ["input", "rules", "2", "effect", "distanceWeight"]),
        ("INVALID_INPUT", ["input", "rules", "2", "effect", "maxSplits"]),
        ("INVALID_INPUT", ["input", "rules", "3", "name"]),
    ]
    assert (await api.data(admin, VERSIONS))["routingStrategies"] == []
    unknown = await api.data(admin, GROUPS, {"input": [{"code": "G", "name": "G", "locationCodes": ["NOPE"]}]})
    assert [e["code"] for e in unknown["upsertLocationGroups"]["errors"]] == ["UNKNOWN_LOCATION"]
    nope = (await api.data(admin, ACTIVATE, {"channel": "web", "version": 9}))["activateRoutingStrategy"]
    assert [e["code"] for e in nope["errors"]] == ["NOT_FOUND"]


async def test_a_rule_on_customer_tags_routes_tagged_customers_its_own_way(api, admin):
    vip = {
        "name": "vips from warehouses",
        "condition": {"customerTags": ["vip"]},
        "effect": {"allowGroups": ["WAREHOUSES"]},
    }
    assert (await api.data(admin, SAVE, {"input": {"channel": "web", "rules": [vip]}}))["saveRoutingStrategy"][
        "errors"
    ] == []
    tagged = order_input("tagged", [("SKU-1", 1, "1")])
    tagged["customer"]["tags"] = ["vip", "newsletter"]
    placed = (await api.data(admin, PLACE_ORDER, {"input": tagged}))["placeOrder"]
    assert placed["errors"] == [] and await routed(api, placed["order"]["id"]) == "ROUTED"
    assert await where(api, admin, placed["order"]["id"]) == (["WH-HAM"], 1, "vips from warehouses")
    assert await where(api, admin, await route(api, admin, "plain", 1)) == (["ST-BER"], 1, None)

    too_many = order_input("too-many", [("SKU-1", 1, "1")])
    too_many["customer"]["tags"] = [f"t{n}" for n in range(21)]
    errors = (await api.data(admin, PLACE_ORDER, {"input": too_many}))["placeOrder"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", ["input", "customer", "tags"])]
