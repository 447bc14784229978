"""placeOrder: the order, its totals, and the stock promise it takes in the same transaction."""

from __future__ import annotations

import pytest

from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import (
    PLACE_ORDER,
    RELEASE_ORDER,
    SET_STOCK,
    STOCK_LEVELS,
    UPSERT_CHANNELS,
    atp,
    channel,
    level,
    order_input,
    small_chain,
    snapshot,
)


@pytest.fixture
async def keys(api):  # type: ignore[no-untyped-def]
    admin = await make_key(api.db, Role.ADMIN)
    await small_chain(api, admin)
    await api.data(
        admin,
        SET_STOCK,
        {
            "input": [
                level("SKU-1", "WH-HAM", 6),
                level("SKU-1", "ST-BER", 2),
                level("SKU-2", "WH-HAM", 3),
                level("SKU-2", "ST-MUC", 4),
            ]
        },
    )
    return {"admin": admin, "web": await make_key(api.db, Role.STOREFRONT, channel="web")}


async def place(api, key, order):  # type: ignore[no-untyped-def]
    return (await api.data(key, PLACE_ORDER, {"input": order}))["placeOrder"]


async def test_a_delivery_order_is_placed_with_totals_and_promises_network_stock(api, keys):
    result = await place(api, keys["web"], order_input("k1", [("SKU-1", 2, "19.99"), ("SKU-2", 1, "5")]))
    assert result["errors"] == []
    order = result["order"]
    assert order["status"] == "PLACED" and order["number"].startswith("WEB-")
    assert (order["subtotal"], order["total"], order["currency"]) == ("44.98", "49.88", "EUR")
    assert (order["payment"], order["paymentStatus"]) == ("PREPAID", "AUTHORIZED")
    assert [(li["sku"], li["name"], li["quantity"], li["unitPrice"]) for li in order["lines"]] == [
        ("SKU-1", "Product SKU-1", 2, "19.99"),
        ("SKU-2", "Product SKU-2", 1, "5.00"),
    ]
    assert order["delivery"]["address"] == {"city": "Berlin", "country": "DE"}
    [event] = order["events"]
    assert (event["type"], event["actor"], event["data"]["number"]) == (
        "ORDER_PLACED",
        "test-storefront",
        order["number"],
    )
    assert await atp(api, keys["admin"], "SKU-1") == 8 - 2
    assert await atp(api, keys["admin"], "SKU-2") == 3 - 1  # ST-MUC does not ship
    levels = await api.data(keys["admin"], STOCK_LEVELS, {"sku": "SKU-1"})
    assert {e["node"]["reserved"] for e in levels["stockLevels"]["edges"]} == {0}  # a promise, not a reservation


async def test_order_numbers_are_unique_and_prefixed_per_channel(api, keys):
    await api.data(keys["admin"], UPSERT_CHANNELS, {"input": [channel("call.center", "CALL_CENTER")]})
    numbers = [
        (await place(api, keys["admin"], order_input(f"n{i}", channel=c)))["order"]["number"]
        for i, c in enumerate(["web", "call.center", "web"])
    ]
    assert numbers[0].startswith("WEB-") and numbers[1].startswith("CALLCENTER-") and numbers[2].startswith("WEB-")
    assert len(set(numbers)) == 3


async def test_a_short_line_is_insufficient_stock_naming_it_and_nothing_is_written(api, keys):
    before = await snapshot(api.db)
    result = await place(api, keys["web"], order_input("k1", [("SKU-1", 1, "1"), ("SKU-2", 4, "1")]))
    assert result["order"] is None
    [error] = result["errors"]
    assert (error["code"], error["field"]) == ("INSUFFICIENT_STOCK", ["input", "lines", "1", "quantity"])
    assert "3 available to promise" in error["message"]
    assert await snapshot(api.db) == before


async def test_the_same_sku_twice_is_one_demand_of_the_summed_quantity(api, keys):
    too_much = await place(
        api, keys["web"], order_input("k1", [("SKU-2", 2, "1"), ("SKU-1", 1, "1"), ("SKU-2", 2, "1")])
    )
    assert too_much["errors"][0]["field"] == ["input", "lines", "0", "quantity"]
    fits = await place(api, keys["web"], order_input("k2", [("SKU-2", 2, "1"), ("SKU-2", 1, "1")]))
    assert fits["errors"] == [] and await atp(api, keys["admin"], "SKU-2") == 0


async def test_a_pickup_order_reserves_at_its_store(api, keys):
    result = await place(
        api, keys["web"], order_input("k1", [("SKU-2", 3, "9.50")], pickup="ST-MUC", payment="PAY_AT_PICKUP")
    )
    order = result["order"]
    assert (order["delivery"]["method"], order["delivery"]["pickupLocation"]["code"]) == ("PICKUP", "ST-MUC")
    assert (order["delivery"]["price"], order["total"], order["paymentStatus"]) == ("0.00", "28.50", "PENDING")
    levels = await api.data(keys["admin"], STOCK_LEVELS, {"sku": "SKU-2", "loc": "ST-MUC"})
    node = levels["stockLevels"]["edges"][0]["node"]
    assert (node["onHand"], node["reserved"], node["available"]) == (4, 3, 1)
    assert await atp(api, keys["admin"], "SKU-2") == 3  # ST-MUC is pickup-only: the network figure is untouched
    short = await place(api, keys["web"], order_input("k2", [("SKU-2", 2, "1")], pickup="ST-MUC"))
    assert (
        short["errors"][0]["code"] == "INSUFFICIENT_STOCK"
        and "1 available for pickup at ST-MUC" in short["errors"][0]["message"]
    )


async def test_pickup_needs_a_location_that_hands_out_orders(api, keys):
    result = await place(api, keys["web"], order_input("k1", pickup="WH-HAM"))
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("PICKUP_NOT_AVAILABLE", ["input", "delivery", "pickupLocationCode"])
    ]


async def test_a_pickup_at_a_shipping_store_cannot_take_units_promised_to_delivery_orders(api, keys):
    # SKU-1: 6 at WH-HAM and 2 at ST-BER (which ships): 8 promisable; promise all 8.
    assert (await place(api, keys["web"], order_input("k1", [("SKU-1", 8, "1")])))["errors"] == []
    result = await place(api, keys["web"], order_input("k2", [("SKU-1", 1, "1")], pickup="ST-BER"))
    assert result["errors"][0]["code"] == "INSUFFICIENT_STOCK"


async def test_a_channel_requiring_confirmation_holds_cash_on_delivery_orders_until_released(api, keys):
    await api.data(
        keys["admin"], UPSERT_CHANNELS, {"input": [channel("phone", "CALL_CENTER", confirmation="CASH_ON_DELIVERY")]}
    )
    prepaid = await place(api, keys["admin"], order_input("k1", channel="phone"))
    cod = await place(api, keys["admin"], order_input("k2", channel="phone", payment="CASH_ON_DELIVERY"))
    assert (prepaid["order"]["status"], cod["order"]["status"]) == ("PLACED", "ON_HOLD")
    assert cod["order"]["paymentStatus"] == "PENDING"
    released = (await api.data(keys["admin"], RELEASE_ORDER, {"id": cod["order"]["id"]}))["releaseOrder"]
    assert released["order"]["status"] == "PLACED"
    assert [e["type"] for e in released["order"]["events"]] == ["ORDER_PLACED", "ORDER_RELEASED"]


async def test_a_store_places_endless_aisle_orders_from_its_own_location_only(api, keys):
    store = await make_key(api.db, Role.STORE, location="ST-BER")
    ok = await place(api, store, order_input("k1", channel="pos", originLocationCode="ST-BER"))
    assert ok["errors"] == [] and ok["order"]["originLocation"]["code"] == "ST-BER"
    for origin in ("ST-MUC", None):
        denied = await place(api, store, order_input("k2", channel="pos", originLocationCode=origin))
        assert denied["errors"][0]["code"] == "PERMISSION_DENIED"


async def test_prices_keep_their_decimals_and_respect_the_currency(api, keys):
    sent_as_number = order_input("k1", [("SKU-1", 1, "0")])
    sent_as_number["lines"][0]["unitPrice"] = 19.99
    assert (await place(api, keys["web"], sent_as_number))["order"]["lines"][0]["unitPrice"] == "19.99"
    await api.data(keys["admin"], UPSERT_CHANNELS, {"input": [channel("jp", "WEB", currency="JPY")]})
    yen = await place(api, keys["admin"], order_input("k2", [("SKU-1", 1, "1.5")], channel="jp"))
    assert [(e["code"], e["field"]) for e in yen["errors"]] == [
        ("INVALID_INPUT", ["input", "lines", "0", "unitPrice"]),
        ("INVALID_INPUT", ["input", "delivery", "price"]),  # 4.90 has decimals too
    ]
