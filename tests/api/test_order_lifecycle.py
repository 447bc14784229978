"""Before routing: cancel releases what the order held, hold keeps it, release lets the order go on."""

from __future__ import annotations

import pytest

from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import (
    CANCEL_ORDER,
    HOLD_ORDER,
    PLACE_ORDER,
    RELEASE_ORDER,
    SET_STOCK,
    STOCK_LEVELS,
    atp,
    level,
    order_input,
    small_chain,
    snapshot,
)
from tests.fulfilment_steps import pay


@pytest.fixture
async def keys(api):  # type: ignore[no-untyped-def]
    admin = await make_key(api.db, Role.ADMIN)
    await small_chain(api, admin)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-2", "ST-MUC", 4)]})
    return {"admin": admin, "web": await make_key(api.db, Role.STOREFRONT, channel="web")}


async def place(api, key, order):  # type: ignore[no-untyped-def]
    result = (await api.data(key, PLACE_ORDER, {"input": order}))["placeOrder"]
    assert result["errors"] == []
    return result["order"]


async def test_cancelling_a_delivery_order_gives_its_units_back_to_promise(api, keys):
    order = await place(api, keys["web"], order_input("k1", [("SKU-1", 4, "10")]))
    assert await atp(api, keys["admin"], "SKU-1") == 1
    done = (await api.data(keys["web"], CANCEL_ORDER, {"id": order["id"], "reason": "customer changed mind"}))[
        "cancelOrder"
    ]
    assert done["errors"] == []
    cancelled = done["order"]
    # The authorisation is voided with the provider after commit.
    assert (cancelled["status"], cancelled["paymentStatus"]) == ("CANCELLED", "AUTHORIZED")
    assert await pay(api, order["id"]) == 1
    voided = await api.data(keys["web"], f'query {{ order(id: "{order["id"]}") {{ paymentStatus }} }}')
    assert voided["order"]["paymentStatus"] == "VOIDED"
    assert cancelled["lines"][0]["quantityCancelled"] == 4
    assert [e["type"] for e in cancelled["events"][-2:]] == ["ORDER_CANCELLED", "PAYMENT_REQUESTED"]
    assert cancelled["events"][-2]["data"]["reason"] == "customer changed mind"
    assert cancelled["events"][-1]["data"]["kind"] == "VOID"
    assert await atp(api, keys["admin"], "SKU-1") == 5


async def test_cancelling_a_pickup_order_releases_the_store_reservation(api, keys):
    order = await place(api, keys["web"], order_input("k1", [("SKU-2", 3, "10")], pickup="ST-MUC"))
    await api.data(keys["web"], CANCEL_ORDER, {"id": order["id"], "reason": "not collected"})
    levels = await api.data(keys["admin"], STOCK_LEVELS, {"sku": "SKU-2", "loc": "ST-MUC"})
    assert levels["stockLevels"]["edges"][0]["node"]["reserved"] == 0


async def test_cancelling_a_cancelled_order_is_an_invalid_transition_and_writes_nothing(api, keys):
    order = await place(api, keys["web"], order_input("k1"))
    await api.data(keys["web"], CANCEL_ORDER, {"id": order["id"], "reason": "first"})
    before = await snapshot(api.db)
    again = (await api.data(keys["web"], CANCEL_ORDER, {"id": order["id"], "reason": "second"}))["cancelOrder"]
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("INVALID_TRANSITION", ["id"])]
    assert await snapshot(api.db) == before


async def test_a_held_order_keeps_its_promise_and_release_puts_it_back(api, keys):
    order = await place(api, keys["web"], order_input("k1", [("SKU-1", 2, "10")]))
    held = (await api.data(keys["web"], HOLD_ORDER, {"id": order["id"], "reason": "fraud check"}))["holdOrder"]["order"]
    assert held["status"] == "ON_HOLD" and held["events"][-1]["data"]["reason"] == "fraud check"
    assert await atp(api, keys["admin"], "SKU-1") == 3
    again = (await api.data(keys["web"], HOLD_ORDER, {"id": order["id"], "reason": "twice"}))["holdOrder"]
    assert again["errors"][0]["code"] == "INVALID_TRANSITION"
    released = (await api.data(keys["web"], RELEASE_ORDER, {"id": order["id"]}))["releaseOrder"]["order"]
    assert released["status"] == "PLACED"
    assert [e["type"] for e in released["events"]] == ["ORDER_PLACED", "ORDER_HELD", "ORDER_RELEASED"]
    not_held = (await api.data(keys["web"], RELEASE_ORDER, {"id": order["id"]}))["releaseOrder"]
    assert not_held["errors"][0]["code"] == "INVALID_TRANSITION"


async def test_a_storefront_cannot_touch_another_channels_order(api, keys):
    pos_order = await place(api, keys["admin"], order_input("k1", channel="pos"))
    before = await snapshot(api.db)
    denied = (await api.data(keys["web"], CANCEL_ORDER, {"id": pos_order["id"], "reason": "x"}))["cancelOrder"]
    assert denied["errors"][0]["code"] == "NOT_FOUND"
    assert await snapshot(api.db) == before


async def test_an_unknown_order_id_is_not_found(api, keys):
    result = (await api.data(keys["admin"], CANCEL_ORDER, {"id": "bm9wZQ", "reason": "x"}))["cancelOrder"]
    assert result["errors"][0]["code"] == "NOT_FOUND"


async def test_cancelling_or_holding_without_a_reason_is_invalid_input_and_writes_nothing(api, keys):
    order = await place(api, keys["web"], order_input("k1"))
    before = await snapshot(api.db)
    for document, name in ((CANCEL_ORDER, "cancelOrder"), (HOLD_ORDER, "holdOrder")):
        result = (await api.data(keys["web"], document, {"id": order["id"], "reason": "  "}))[name]
        assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_INPUT", ["reason"])]
    assert await snapshot(api.db) == before
