"""Exchanges on both databases: a return asking for replacement lines gets its replacement order at once,
paid by the returned units' value; the difference is charged or refunded; the books balance once the
returned units are received."""

from __future__ import annotations

import pytest

from tests.factories import PLACE_ORDER, SET_STOCK, level, order_input, snapshot
from tests.fulfilment_steps import chain_admin, pay, placed_and_routed, routed, shipped, stock
from tests.transfer_steps import PROFILE, web_profile

REQUEST = """mutation($input: RequestReturnInput!) { requestReturn(input: $input) {
  return { id number status exchangeCredit
    exchangeOrder { id number status delivery { method price address { city } } lines { sku quantity unitPrice }
      total paymentStatus payments { kind status amount provider } exchangeFor { number } } }
  errors { code field message } } }"""
RECEIVE = """mutation($input: ReceiveReturnInput!) { receiveReturn(input: $input) {
  return { status refundAmount exchangeOrder { status } } errors { code message } } }"""
CANCEL = (
    """mutation($id: ID!) { cancelReturn(id: $id) { return { status exchangeOrder { status } } errors { code } } }"""
)
PAID = "query($id: ID) { order(id: $id) { status total payments { kind status amount provider } events { type } } }"


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    stocked = [level("SKU-1", "WH-HAM", 5), level("SKU-2", "WH-HAM", 5), level("SKU-3", "WH-HAM", 5)]
    await api.data(key, SET_STOCK, {"input": stocked})
    return key


async def delivered_order(api, admin):  # type: ignore[no-untyped-def]
    """1 × SKU-1 (size M) at 20.00, shipped and paid: 24.90 captured."""
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 1, "20.00")]))
    await shipped(api, admin, order["id"])
    await pay(api, order["id"])
    return order


async def exchange(api, admin, order, lines):  # type: ignore[no-untyped-def]
    variables = {
        "input": {
            "orderId": order["id"],
            "lines": [{"sku": "SKU-1", "quantity": 1, "reason": "too small"}],
            "exchangeLines": lines,
        }
    }
    return (await api.data(admin, REQUEST, variables))["requestReturn"]


async def receive(api, admin, found):  # type: ignore[no-untyped-def]
    lines = [{"sku": "SKU-1", "quantity": 1, "condition": "SELLABLE"}]
    variables = {"input": {"returnId": found["id"], "locationCode": "WH-HAM", "lines": lines}}
    return (await api.data(admin, RECEIVE, variables))["receiveReturn"]


async def payments_of(api, admin, order_id):  # type: ignore[no-untyped-def]
    found = (await api.data(admin, PAID, {"id": order_id}))["order"]
    return [(p["kind"], p["status"], p["amount"], p["provider"]) for p in found["payments"]]


async def test_an_even_exchange_charges_nothing_and_the_books_balance_when_the_m_is_received(api, admin):
    order = await delivered_order(api, admin)
    done = await exchange(api, admin, order, [{"sku": "SKU-2", "quantity": 1}])  # size L, same price
    assert done["errors"] == []
    found = done["return"]
    replacement = found["exchangeOrder"]
    assert found["exchangeCredit"] == "20.00"
    assert replacement["status"] == "ON_HOLD"  # ships once the M is back (the channel's default)
    assert replacement["exchangeFor"] == {"number": found["number"]}
    assert replacement["lines"] == [{"sku": "SKU-2", "quantity": 1, "unitPrice": "20.00"}]
    assert replacement["delivery"]["price"] == "0.00" and replacement["delivery"]["address"]["city"] == "Berlin"
    assert (replacement["total"], replacement["paymentStatus"]) == ("20.00", "CAPTURED")
    assert [(p["kind"], p["status"], p["amount"], p["provider"]) for p in replacement["payments"]] == [
        ("CAPTURE", "SUCCEEDED", "20.00", "exchange")
    ]
    assert await stock(api, "SKU-2", "WH-HAM") == (5, 0, 0, 1)  # promised like any order

    received = await receive(api, admin, found)
    assert received["errors"] == []
    assert received["return"]["refundAmount"] == "0.00"
    assert received["return"]["exchangeOrder"]["status"] == "PLACED"  # released to routing
    assert await routed(api, replacement["id"]) == "ROUTED"
    await shipped(api, admin, replacement["id"])
    assert await pay(api, replacement["id"]) == 0  # nothing left to charge
    assert await pay(api, order["id"]) == 0  # and nothing to refund
    # The books: the M is back on the shelf, the L left; 24.90 taken once, nothing given back.
    assert await stock(api, "SKU-1", "WH-HAM") == (5, 0, 0, 0)
    assert await stock(api, "SKU-2", "WH-HAM") == (4, 0, 0, 0)
    assert await payments_of(api, admin, order["id"]) == [("CAPTURE", "SUCCEEDED", "24.90", "manual")]
    assert await payments_of(api, admin, replacement["id"]) == [("CAPTURE", "SUCCEEDED", "20.00", "exchange")]


async def test_a_dearer_replacement_ships_first_by_policy_and_charges_the_difference(api, admin):
    await api.data(admin, PROFILE, {"input": web_profile(exchangeBeforeReturn=True)})
    order = await delivered_order(api, admin)
    done = await exchange(api, admin, order, [{"sku": "SKU-3", "quantity": 1, "unitPrice": "25.00"}])
    replacement = done["return"]["exchangeOrder"]
    assert replacement["status"] == "PLACED" and done["return"]["exchangeCredit"] == "20.00"
    assert await routed(api, replacement["id"]) == "ROUTED"
    await shipped(api, admin, replacement["id"])
    await pay(api, replacement["id"])
    assert await payments_of(api, admin, replacement["id"]) == [
        ("CAPTURE", "SUCCEEDED", "20.00", "exchange"),
        ("CAPTURE", "SUCCEEDED", "5.00", "manual"),
    ]
    received = await receive(api, admin, done["return"])
    assert received["return"]["refundAmount"] == "0.00"


async def test_a_cheaper_replacement_refunds_the_difference_when_the_return_arrives(api, admin):
    order = await delivered_order(api, admin)
    done = await exchange(api, admin, order, [{"sku": "SKU-3", "quantity": 1, "unitPrice": "15.00"}])
    assert done["return"]["exchangeCredit"] == "15.00"
    received = await receive(api, admin, done["return"])
    assert received["return"]["refundAmount"] == "5.00"
    await pay(api, order["id"])
    assert ("REFUND", "SUCCEEDED", "5.00", "manual") in await payments_of(api, admin, order["id"])


async def test_an_exchange_whose_replacement_cannot_be_had_is_refused_whole(api, admin):
    order = await delivered_order(api, admin)
    before = await snapshot(api.db)
    done = await exchange(api, admin, order, [{"sku": "SKU-2", "quantity": 6}])
    assert [(e["code"], e["field"]) for e in done["errors"]] == [
        ("INSUFFICIENT_STOCK", ["input", "exchangeLines", "0", "quantity"])
    ]
    assert await snapshot(api.db) == before


async def test_calling_the_return_off_cancels_the_held_replacement_and_frees_its_stock(api, admin):
    order = await delivered_order(api, admin)
    done = await exchange(api, admin, order, [{"sku": "SKU-2", "quantity": 1}])
    called_off = (await api.data(admin, CANCEL, {"id": done["return"]["id"]}))["cancelReturn"]
    assert called_off["return"] == {"status": "CANCELLED", "exchangeOrder": {"status": "CANCELLED"}}
    assert await stock(api, "SKU-2", "WH-HAM") == (5, 0, 0, 0)
    await pay(api, done["return"]["exchangeOrder"]["id"])  # the credit goes back to nobody's card
    kinds = await payments_of(api, admin, done["return"]["exchangeOrder"]["id"])
    assert kinds == [("CAPTURE", "SUCCEEDED", "20.00", "exchange"), ("REFUND", "SUCCEEDED", "20.00", "exchange")]


async def test_no_order_is_placed_to_be_paid_by_the_exchange_provider(api, admin):
    order = order_input("k1", [("SKU-1", 1, "20.00")])
    order["payment"] = {"method": "PREPAID", "provider": "exchange"}
    placed = (await api.data(admin, PLACE_ORDER, {"input": order}))["placeOrder"]
    assert [(e["code"], e["field"]) for e in placed["errors"]] == [("INVALID_INPUT", ["input", "payment", "provider"])]
