"""Bad placements are answered with a typed error and a field path, and write nothing."""

from __future__ import annotations

import pytest

from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import BERLIN_ADDRESS, PLACE_ORDER, SET_STOCK, level, order_input, small_chain, snapshot


def without(data: dict, key: str) -> dict:
    return {k: v for k, v in data.items() if k != key}


CASES = {
    "unknown channel": (order_input("k", channel="nope"), "UNKNOWN_CHANNEL", ["input", "channel"]),
    "unknown sku": (
        order_input("k", [("SKU-1", 1, "1"), ("NOPE", 1, "1")]),
        "UNKNOWN_SKU",
        ["input", "lines", "1", "sku"],
    ),
    "quantity 0": (order_input("k", [("SKU-1", 0, "1")]), "INVALID_INPUT", ["input", "lines", "0", "quantity"]),
    "negative quantity": (order_input("k", [("SKU-1", -2, "1")]), "INVALID_INPUT", ["input", "lines", "0", "quantity"]),
    "501 lines": (order_input("k", [("SKU-1", 1, "1")] * 501), "INVALID_INPUT", ["input", "lines"]),
    "no lines": (order_input("k", []), "INVALID_INPUT", ["input", "lines"]),
    "negative price": (
        order_input("k", [("SKU-1", 1, "-0.01")]),
        "INVALID_INPUT",
        ["input", "lines", "0", "unitPrice"],
    ),
    "pickup without a location": (
        {**order_input("k"), "delivery": {"method": "PICKUP"}},
        "INVALID_INPUT",
        ["input", "delivery", "pickupLocationCode"],
    ),
    "pickup at a location without PICKUP": (
        order_input("k", pickup="WH-HAM"),
        "PICKUP_NOT_AVAILABLE",
        ["input", "delivery", "pickupLocationCode"],
    ),
    "pickup at an unknown location": (
        order_input("k", pickup="NOWHERE"),
        "UNKNOWN_LOCATION",
        ["input", "delivery", "pickupLocationCode"],
    ),
    "delivery without an address": (
        {**order_input("k"), "delivery": {"method": "DELIVERY"}},
        "INVALID_INPUT",
        ["input", "delivery", "address"],
    ),
    "an address without a country code": (
        {**order_input("k"), "delivery": {"method": "DELIVERY", "address": {**BERLIN_ADDRESS, "country": "Germany"}}},
        "INVALID_INPUT",
        ["input", "delivery", "address", "country"],
    ),
    "no way to reach the customer": (
        {**order_input("k"), "customer": {"name": "Ada"}},
        "INVALID_INPUT",
        ["input", "customer"],
    ),
    "pay at pickup on a delivery": (
        order_input("k", payment="PAY_AT_PICKUP"),
        "INVALID_INPUT",
        ["input", "payment", "method"],
    ),
    "an unknown payment provider": (
        order_input("k") | {"payment": {"method": "PREPAID", "provider": "nobody"}},
        "INVALID_INPUT",
        ["input", "payment", "provider"],
    ),
    "an empty idempotency key": (order_input(" "), "INVALID_INPUT", ["input", "idempotencyKey"]),
    "an unknown origin": (
        order_input("k", originLocationCode="NOWHERE"),
        "UNKNOWN_LOCATION",
        ["input", "originLocationCode"],
    ),
    "another channel for a storefront": (order_input("k", channel="pos"), "PERMISSION_DENIED", ["input", "channel"]),
}


@pytest.fixture
async def web(api):  # type: ignore[no-untyped-def]
    admin = await make_key(api.db, Role.ADMIN)
    await small_chain(api, admin)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 600)]})
    return await make_key(api.db, Role.STOREFRONT, channel="web")


@pytest.mark.parametrize("case", list(CASES))
async def test_bad_placement_is_a_typed_error_with_a_field_and_writes_nothing(api, web, case):
    order, code, field = CASES[case]
    before = await snapshot(api.db)
    result = (await api.data(web, PLACE_ORDER, {"input": order}))["placeOrder"]
    assert result["order"] is None
    assert (result["errors"][0]["code"], result["errors"][0]["field"]) == (code, field), result["errors"]
    assert await snapshot(api.db) == before


async def test_a_price_that_is_not_a_number_is_rejected_before_anything_runs(api, web):
    order = order_input("k")
    order["lines"][0]["unitPrice"] = "nineteen"
    body = await api.run(web, PLACE_ORDER, {"input": order})
    assert body.get("data") is None and "Decimal" in body["errors"][0]["message"]
