"""Master data: upsert by code or sku, read back, and find by global id."""

from __future__ import annotations

from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import (
    HAMBURG,
    UPSERT_CHANNELS,
    UPSERT_LOCATIONS,
    UPSERT_PRODUCTS,
    channel,
    location,
    product,
)


async def test_upsert_channels_creates_then_updates_by_code_keeping_the_id(api):
    key = await make_key(api.db, Role.INTEGRATION)
    created = await api.data(key, UPSERT_CHANNELS, {"input": [channel("web"), channel("amazon", "MARKETPLACE")]})
    first = created["upsertChannels"]["channels"]
    updated = await api.data(key, UPSERT_CHANNELS, {"input": [channel("web", name="Webshop DE", currency="CHF")]})
    again = updated["upsertChannels"]["channels"][0]
    assert again["id"] == first[0]["id"]
    assert (again["name"], again["currency"]) == ("Webshop DE", "CHF")
    listed = await api.data(key, "{ channels { code name kind } }")
    assert listed["channels"] == [
        {"code": "amazon", "name": "Channel amazon", "kind": "MARKETPLACE"},
        {"code": "web", "name": "Webshop DE", "kind": "WEB"},
    ]


async def test_upsert_locations_keeps_every_field_and_defaults_priority_and_active(api):
    key = await make_key(api.db, Role.INTEGRATION)
    data = await api.data(
        key,
        UPSERT_LOCATIONS,
        {
            "input": [
                location("ST-HAM", HAMBURG, ("PICKUP", "RETURNS"), kind="STORE", dailyShipCapacity=30),
            ]
        },
    )
    got = data["upsertLocations"]["locations"][0]
    assert got["capabilities"] == ["PICKUP", "RETURNS"]
    assert (got["priority"], got["active"], got["dailyShipCapacity"]) == (0, True, 30)
    assert (got["latitude"], got["longitude"], got["kind"], got["region"]) == (HAMBURG[0], HAMBURG[1], "STORE", "DE-BE")
    changed = await api.data(
        key,
        UPSERT_LOCATIONS,
        {
            "input": [
                location("ST-HAM", HAMBURG, ("SHIP",), kind="STORE", priority=5, active=False, handlingCost=2.5),
            ]
        },
    )
    got = changed["upsertLocations"]["locations"][0]
    assert (got["capabilities"], got["priority"], got["active"], got["dailyShipCapacity"]) == (["SHIP"], 5, False, None)
    assert got["handlingCost"] == 2.5


async def test_products_can_be_read_all_or_by_sku(api):
    key = await make_key(api.db, Role.INTEGRATION)
    await api.data(key, UPSERT_PRODUCTS, {"input": [product("B-1", "Home"), product("A-1", weightGrams=None)]})
    everything = await api.data(key, "{ products { sku category weightGrams } }")
    assert everything["products"] == [
        {"sku": "A-1", "category": "Apparel", "weightGrams": None},
        {"sku": "B-1", "category": "Home", "weightGrams": 500},
    ]
    some = await api.data(key, '{ products(skus: ["B-1", "UNKNOWN"]) { sku } }')
    assert some["products"] == [{"sku": "B-1"}]


async def test_node_finds_channels_locations_and_products_by_global_id(api):
    key = await make_key(api.db, Role.ADMIN)
    await api.data(key, UPSERT_CHANNELS, {"input": [channel("web")]})
    await api.data(key, UPSERT_LOCATIONS, {"input": [location("WH-1")]})
    await api.data(key, UPSERT_PRODUCTS, {"input": [product("P-1")]})
    ids = await api.data(key, "{ channels { id } locations { id } products { id } }")
    query = """query($id: ID!) { node(id: $id) { __typename id
      ... on Channel { code } ... on Location { code } ... on Product { sku } } }"""
    for typename, field, value in (
        ("Channel", "channels", "web"),
        ("Location", "locations", "WH-1"),
        ("Product", "products", "P-1"),
    ):
        node = (await api.data(key, query, {"id": ids[field][0]["id"]}))["node"]
        assert node["__typename"] == typename and value in (node.get("code"), node.get("sku"))
    assert (await api.data(key, query, {"id": "bm9wZQ"}))["node"] is None
