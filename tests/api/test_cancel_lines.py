"""Partial cancellation: units not yet worked on are cancelled, their stock released, and they are never
captured; the rest of the order goes on."""

from __future__ import annotations

import pytest

from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import PLACE_ORDER, SET_STOCK, atp, level, order_input, snapshot
from tests.fulfilment_steps import ACCEPT, ORDER, chain_admin, ok, pay, placed_and_routed, routed, shipped, stock

CANCEL_LINES = """mutation($id: ID!, $lines: [CancelLineInput!]!, $reason: String!) {
  cancelOrderLines(id: $id, lines: $lines, reason: $reason) {
    order { status paymentStatus lines { sku quantity quantityCancelled } events { type data } }
    errors { code field message } } }"""
PAYMENTS = "query($id: ID) { order(id: $id) { status paymentStatus payments { kind status amount } } }"


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


async def cancel(api, key, order_id, lines, reason="out of stock at the supplier"):  # type: ignore[no-untyped-def]
    return (await api.data(key, CANCEL_LINES, {"id": order_id, "lines": lines, "reason": reason}))["cancelOrderLines"]


async def test_cancelled_units_of_a_waiting_order_go_back_to_promise_and_are_never_captured(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    web = await make_key(api.db, Role.STOREFRONT, channel="web")
    placed = (await api.data(web, PLACE_ORDER, {"input": order_input("k1", [("SKU-1", 3, "10.00")])}))["placeOrder"]
    order = placed["order"]
    assert await atp(api, admin, "SKU-1") == 2
    done = await cancel(api, web, order["id"], [{"sku": "SKU-1", "quantity": 1}])
    assert done["errors"] == []
    assert done["order"]["status"] == "PLACED"
    assert done["order"]["lines"] == [{"sku": "SKU-1", "quantity": 3, "quantityCancelled": 1}]
    reduced = done["order"]["events"][-1]
    assert reduced["type"] == "ORDER_REDUCED" and reduced["data"]["value"] == "10.00"
    assert await atp(api, admin, "SKU-1") == 3
    assert await routed(api, order["id"]) == "ROUTED"
    await shipped(api, admin, order["id"])
    assert await stock(api, "SKU-1", "WH-HAM") == (3, 0, 0, 0)  # two left, one stays
    await pay(api, order["id"])
    after = (await api.data(admin, PAYMENTS, {"id": order["id"]}))["order"]
    # 2 × 10 + delivery captured; the cancelled unit's 10.00 released from the authorisation once the order ended
    assert [(p["kind"], p["amount"]) for p in after["payments"]] == [("CAPTURE", "24.90"), ("VOID", "10.00")]


async def test_units_in_an_unaccepted_fulfilment_are_released_there_and_an_emptied_one_is_cancelled(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-3", "ST-BER", 5)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 2, "10"), ("SKU-3", 1, "5")]))
    assert await stock(api, "SKU-3", "ST-BER") == (5, 1, 1, 1)
    done = await cancel(api, admin, order["id"], [{"sku": "SKU-3", "quantity": 1}, {"sku": "SKU-1", "quantity": 1}])
    assert done["errors"] == [] and done["order"]["status"] == "ROUTED"
    assert await stock(api, "SKU-3", "ST-BER") == (5, 0, 0, 0)
    assert await stock(api, "SKU-1", "WH-HAM") == (5, 1, 1, 1)
    after = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]
    by_place = {f["location"]["code"]: (f["status"], f["lines"]) for f in after["fulfilments"]}
    assert by_place == {
        "WH-HAM": ("ASSIGNED", [{"sku": "SKU-1", "quantity": 1, "quantityPicked": None}]),
        "ST-BER": ("CANCELLED", []),
    }
    assert "FULFILMENT_CANCELLED" in [e["type"] for e in after["events"]]
    # Once its location accepted it, the last unit is being worked on.
    await ok(api, admin, ACCEPT, id=next(f["id"] for f in after["fulfilments"] if f["status"] == "ASSIGNED"))
    busy = await cancel(api, admin, order["id"], [{"sku": "SKU-1", "quantity": 1}])
    assert [(e["code"], e["field"]) for e in busy["errors"]] == [("INVALID_TRANSITION", ["lines", "0", "quantity"])]


async def test_cancelling_every_unit_cancels_the_order_and_voids_its_payment(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    done = await cancel(api, admin, order["id"], [{"sku": "SKU-1", "quantity": 2}])
    assert done["order"]["status"] == "CANCELLED"
    assert await stock(api, "SKU-1", "WH-HAM") == (5, 0, 0, 0)
    assert await pay(api, order["id"]) == 1
    assert (await api.data(admin, PAYMENTS, {"id": order["id"]}))["order"]["paymentStatus"] == "VOIDED"


async def test_bad_partial_cancellations_are_refused_and_write_nothing(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    other = await make_key(api.db, Role.STOREFRONT, channel="pos")
    before = await snapshot(api.db)
    cases = [
        (admin, [{"sku": "SKU-1", "quantity": 3}], "out", ("INVALID_TRANSITION", ["lines", "0", "quantity"])),
        (admin, [{"sku": "SKU-2", "quantity": 1}], "out", ("UNKNOWN_SKU", ["lines", "0", "sku"])),
        (admin, [{"sku": "SKU-1", "quantity": 0}], "out", ("INVALID_INPUT", ["lines", "0", "quantity"])),
        (admin, [{"sku": "SKU-1", "quantity": 1}], " ", ("INVALID_INPUT", ["reason"])),
        (other, [{"sku": "SKU-1", "quantity": 1}], "out", ("NOT_FOUND", ["id"])),
    ]
    for key, lines, reason, error in cases:
        answer = await cancel(api, key, order["id"], lines, reason)
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [error], lines
    assert await snapshot(api.db) == before
    await shipped(api, admin, order["id"])
    late = await cancel(api, admin, order["id"], [{"sku": "SKU-1", "quantity": 1}])
    assert [e["code"] for e in late["errors"]] == ["INVALID_TRANSITION"]
