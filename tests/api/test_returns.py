"""Returns in any channel: what may come back, where it is received, what goes back on the shelf and
what is refunded, over HTTP on both databases."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from oms_graph.api.node import encode_id
from oms_graph.db.models import Return, Shipment, StockLevel
from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import PLACE_ORDER, SET_STOCK, level, order_input, snapshot
from tests.fulfilment_steps import (
    ACCEPT,
    COLLECT,
    PICK,
    READY,
    chain_admin,
    ledger,
    ok,
    pay,
    placed_and_routed,
    queue,
    routed,
    shipped,
    stock,
    store_key,
    tracking,
)

RETURN_FIELDS = """id number status refundAmount receivedAt channel { code } location { code }
  order { number paymentStatus lines { sku quantityShipped quantityReturned } }
  lines { sku quantity reason quantityReceived quantityDamaged condition }"""
REQUEST = f"""mutation($input: RequestReturnInput!) {{ requestReturn(input: $input) {{
  return {{ {RETURN_FIELDS} }} errors {{ code field message }} }} }}"""
RECEIVE = f"""mutation($input: ReceiveReturnInput!) {{ receiveReturn(input: $input) {{
  return {{ {RETURN_FIELDS} }} errors {{ code field message }} }} }}"""
CANCEL_RETURN = f"""mutation($id: ID!) {{ cancelReturn(id: $id) {{
  return {{ {RETURN_FIELDS} }} errors {{ code field message }} }} }}"""
STORE_SALE = """mutation($input: StoreSaleInput!) { recordStoreSale(input: $input) {
  order { id number status paymentStatus total channel { code } externalId
    lines { sku quantity quantityShipped } fulfilments { status location { code } } }
  errors { code field message } } }"""
RETURNS_OF = """query($id: ID) { order(id: $id) { paymentStatus returns { number status refundAmount }
  payments { kind status amount provider } lines { sku quantityReturned } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


async def requested(api, key, order_id, lines, channel=None):  # type: ignore[no-untyped-def]
    variables = {"input": {"orderId": order_id, "lines": lines, **({"channel": channel} if channel else {})}}
    return (await api.data(key, REQUEST, variables))["requestReturn"]


async def received(api, key, return_id, code, lines):  # type: ignore[no-untyped-def]
    variables = {"input": {"returnId": return_id, "locationCode": code, "lines": lines}}
    return (await api.data(key, RECEIVE, variables))["receiveReturn"]


async def delivered_online(api, admin, units=2, price="10.00"):  # type: ignore[no-untyped-def]
    """A web order of `units` × SKU-1 at `price`, shipped from Hamburg and captured; the order."""
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", units, price)]))
    await shipped(api, admin, order["id"])
    assert await pay(api, order["id"]) == 1  # the capture
    return order


async def test_bought_online_returned_in_a_store_goes_back_on_that_stores_shelf_and_is_refunded(api, admin):
    order = await delivered_online(api, admin)
    web = await make_key(api.db, Role.STOREFRONT, channel="web")
    started = await requested(api, web, order["id"], [{"sku": "SKU-1", "quantity": 1, "reason": "too small"}])
    assert started["errors"] == []
    ret = started["return"]
    assert (ret["number"], ret["status"], ret["channel"], ret["location"]) == (
        f"{order['number']}-R1",
        "REQUESTED",
        {"code": "web"},
        None,
    )
    berlin = await store_key(api, "ST-BER")
    done = await received(api, berlin, ret["id"], "ST-BER", [{"sku": "SKU-1", "quantity": 1, "condition": "SELLABLE"}])
    assert done["errors"] == []
    back = done["return"]
    assert (back["status"], back["location"], back["refundAmount"]) == ("RECEIVED", {"code": "ST-BER"}, "10.00")
    assert back["lines"] == [
        {
            "sku": "SKU-1",
            "quantity": 1,
            "reason": "too small",
            "quantityReceived": 1,
            "quantityDamaged": 0,
            "condition": "SELLABLE",
        }
    ]
    assert back["order"]["lines"] == [{"sku": "SKU-1", "quantityShipped": 2, "quantityReturned": 1}]
    assert await stock(api, "SKU-1", "ST-BER") == (1, 0, 0, 0)  # sellable there at once
    assert await ledger(api, "SKU-1", "ST-BER") == [("return", 1)]
    assert await pay(api, order["id"]) == 1  # the refund
    after = (await api.data(admin, RETURNS_OF, {"id": order["id"]}))["order"]
    assert after["returns"] == [{"number": f"{order['number']}-R1", "status": "REFUNDED", "refundAmount": "10.00"}]
    assert after["paymentStatus"] == "PARTIALLY_REFUNDED"
    assert [(p["kind"], p["status"], p["amount"]) for p in after["payments"]] == [
        ("CAPTURE", "SUCCEEDED", "24.90"),  # two units and the delivery
        ("REFUND", "SUCCEEDED", "10.00"),
    ]


async def test_bought_in_a_store_returned_through_the_web_and_received_at_a_warehouse(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "ST-BER", 4)]})
    till = await store_key(api, "ST-BER")
    sale = {
        "locationCode": "ST-BER",
        "channel": "pos",
        "receiptNumber": "BER-0001",
        "customer": {"email": "ada@example.com"},
        "lines": [{"sku": "SKU-2", "quantity": 2, "unitPrice": "7.45"}],
    }
    recorded = (await api.data(till, STORE_SALE, {"input": sale}))["recordStoreSale"]
    assert recorded["errors"] == []
    order = recorded["order"]
    assert (order["status"], order["paymentStatus"], order["total"], order["externalId"]) == (
        "COMPLETED",
        "CAPTURED",
        "14.90",
        "BER-0001",
    )
    assert order["fulfilments"] == [{"status": "COLLECTED", "location": {"code": "ST-BER"}}]
    assert await stock(api, "SKU-2", "ST-BER") == (2, 0, 0, 0)
    again = (await api.data(till, STORE_SALE, {"input": sale}))["recordStoreSale"]
    assert again["order"]["id"] == order["id"]  # the same receipt is recorded once
    assert await stock(api, "SKU-2", "ST-BER") == (2, 0, 0, 0)

    web = await make_key(api.db, Role.STOREFRONT, channel="web")
    refused = await requested(api, web, order["id"], [{"sku": "SKU-2", "quantity": 1}])
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]  # a storefront starts its own channel's
    started = await requested(api, admin, order["id"], [{"sku": "SKU-2", "quantity": 1}], channel="web")
    assert started["errors"] == [] and started["return"]["channel"] == {"code": "web"}
    hamburg = await store_key(api, "WH-HAM")
    done = await received(
        api, hamburg, started["return"]["id"], "WH-HAM", [{"sku": "SKU-2", "quantity": 1, "condition": "SELLABLE"}]
    )
    assert done["errors"] == [] and done["return"]["refundAmount"] == "7.45"
    assert await stock(api, "SKU-2", "WH-HAM") == (1, 0, 0, 0)
    assert await pay(api, order["id"]) == 1
    after = (await api.data(admin, RETURNS_OF, {"id": order["id"]}))["order"]
    assert after["paymentStatus"] == "PARTIALLY_REFUNDED"
    assert [(p["kind"], p["status"], p["amount"], p["provider"]) for p in after["payments"]] == [
        ("CAPTURE", "SUCCEEDED", "14.90", "manual"),
        ("REFUND", "SUCCEEDED", "7.45", "manual"),
    ]


async def test_a_partial_return_leaves_the_rest_returnable_and_the_same_units_cannot_come_back_twice(api, admin):
    order = await delivered_online(api, admin, units=3)
    first = await requested(api, admin, order["id"], [{"sku": "SKU-1", "quantity": 2}])
    assert first["errors"] == []
    # Units in an open return count as on their way back.
    more = await requested(api, admin, order["id"], [{"sku": "SKU-1", "quantity": 2}])
    assert [(e["code"], e["field"]) for e in more["errors"]] == [
        ("RETURN_NOT_ALLOWED", ["input", "lines", "0", "quantity"])
    ]
    await received(
        api, admin, first["return"]["id"], "WH-HAM", [{"sku": "SKU-1", "quantity": 2, "condition": "SELLABLE"}]
    )
    last = await requested(api, admin, order["id"], [{"sku": "SKU-1", "quantity": 1}])
    assert last["errors"] == [] and last["return"]["number"].endswith("-R2")
    await received(
        api, admin, last["return"]["id"], "WH-HAM", [{"sku": "SKU-1", "quantity": 1, "condition": "SELLABLE"}]
    )
    again = await requested(api, admin, order["id"], [{"sku": "SKU-1", "quantity": 1}])
    assert [e["code"] for e in again["errors"]] == ["RETURN_NOT_ALLOWED"]
    await pay(api, order["id"])
    after = (await api.data(admin, RETURNS_OF, {"id": order["id"]}))["order"]
    assert after["lines"] == [{"sku": "SKU-1", "quantityReturned": 3}]
    refunds = [Decimal(p["amount"]) for p in after["payments"] if p["kind"] == "REFUND"]
    assert refunds == [Decimal("20.00"), Decimal("10.00")]
    captured = sum(Decimal(p["amount"]) for p in after["payments"] if p["kind"] == "CAPTURE")
    assert sum(refunds) <= captured
    assert after["paymentStatus"] == "PARTIALLY_REFUNDED"  # the delivery price stays paid


async def test_damaged_units_are_written_off_not_restocked_and_still_refunded(api, admin):
    order = await delivered_online(api, admin, units=2)
    ret = (await requested(api, admin, order["id"], [{"sku": "SKU-1", "quantity": 2}]))["return"]
    done = await received(
        api,
        admin,
        ret["id"],
        "ST-BER",
        [
            {"sku": "SKU-1", "quantity": 1, "condition": "SELLABLE"},
            {"sku": "SKU-1", "quantity": 1, "condition": "DAMAGED"},
        ],
    )
    assert done["errors"] == []
    line = done["return"]["lines"][0]
    assert (line["quantityReceived"], line["quantityDamaged"], line["condition"]) == (2, 1, None)
    assert await stock(api, "SKU-1", "ST-BER") == (1, 0, 0, 0)  # only the sellable one
    assert done["return"]["refundAmount"] == "20.00"

    only_damaged = await delivered_online_second(api, admin)
    ret = (await requested(api, admin, only_damaged["id"], [{"sku": "SKU-3", "quantity": 1}]))["return"]
    done = await received(api, admin, ret["id"], "ST-BER", [{"sku": "SKU-3", "quantity": 1, "condition": "DAMAGED"}])
    assert done["return"]["lines"][0]["condition"] == "DAMAGED"
    assert await ledger(api, "SKU-3", "ST-BER") == []


async def delivered_online_second(api, admin):  # type: ignore[no-untyped-def]
    await api.data(admin, SET_STOCK, {"input": [level("SKU-3", "WH-HAM", 2)]})
    order = await placed_and_routed(api, admin, order_input("k2", [("SKU-3", 1, "5.00")]))
    await shipped(api, admin, order["id"])
    return order


async def test_a_collected_pickup_can_be_returned_and_restocked_units_wake_a_backordered_order(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "ST-MUC", 1)]})
    order = await placed_and_routed(
        api, admin, order_input("k1", [("SKU-2", 1, "10")], pickup="ST-MUC", payment="PAY_AT_PICKUP")
    )
    munich = await store_key(api, "ST-MUC")
    fid = (await queue(api, munich, "ST-MUC"))["edges"][0]["node"]["id"]
    await ok(api, munich, ACCEPT, id=fid)
    await ok(api, munich, PICK, id=fid, lines=[{"sku": "SKU-2", "quantity": 1}])
    code = (await ok(api, admin, READY, id=fid))["pickupCode"]
    await ok(api, munich, COLLECT, id=fid, code=code)
    assert await pay(api, order["id"]) == 1  # paid at pickup: captured when collected
    # A delivery order of SKU-2 is promised Berlin's unit, which a recount then finds missing.
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "ST-BER", 1)]})
    placed = (await api.data(admin, PLACE_ORDER, {"input": order_input("k2", [("SKU-2", 1, "10")])}))["placeOrder"]
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "ST-BER", 0)]})
    waiting = await routed(api, placed["order"]["id"])
    assert waiting == "BACKORDERED"
    ret = (await requested(api, admin, order["id"], [{"sku": "SKU-2", "quantity": 1}]))["return"]
    berlin = await store_key(api, "ST-BER")
    done = await received(api, berlin, ret["id"], "ST-BER", [{"sku": "SKU-2", "quantity": 1, "condition": "SELLABLE"}])
    assert done["errors"] == []
    assert await routed(api, placed["order"]["id"]) == "ROUTED"  # requeued by the restock, and routed


async def test_a_requested_return_can_be_called_off_and_its_units_returned_later(api, admin):
    order = await delivered_online(api, admin, units=1)
    ret = (await requested(api, admin, order["id"], [{"sku": "SKU-1", "quantity": 1}]))["return"]
    off = (await api.data(admin, CANCEL_RETURN, {"id": ret["id"]}))["cancelReturn"]
    assert off["errors"] == [] and off["return"]["status"] == "CANCELLED"
    late = await received(api, admin, ret["id"], "WH-HAM", [{"sku": "SKU-1", "quantity": 1, "condition": "SELLABLE"}])
    assert [e["code"] for e in late["errors"]] == ["INVALID_TRANSITION"]
    assert (await requested(api, admin, order["id"], [{"sku": "SKU-1", "quantity": 1}]))["errors"] == []


async def test_bad_returns_are_refused_with_the_field_and_write_nothing(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    unshipped = await placed_and_routed(api, admin, order_input("k0", [("SKU-1", 1, "10")]))
    order = await delivered_online(api, admin, units=2)
    before = await snapshot(api.db)
    cases = [
        (unshipped["id"], [{"sku": "SKU-1", "quantity": 1}], "RETURN_NOT_ALLOWED", ["input", "lines", "0", "quantity"]),
        (order["id"], [{"sku": "SKU-1", "quantity": 3}], "RETURN_NOT_ALLOWED", ["input", "lines", "0", "quantity"]),
        (order["id"], [{"sku": "NOPE", "quantity": 1}], "UNKNOWN_SKU", ["input", "lines", "0", "sku"]),
        (order["id"], [{"sku": "SKU-1", "quantity": 0}], "INVALID_INPUT", ["input", "lines", "0", "quantity"]),
        (order["id"], [], "INVALID_INPUT", ["input", "lines"]),
    ]
    for order_id, lines, code, field in cases:
        answer = await requested(api, admin, order_id, lines)
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [(code, field)], lines
        assert answer["return"] is None
    assert await snapshot(api.db) == before

    ret = (await requested(api, admin, order["id"], [{"sku": "SKU-1", "quantity": 1}]))["return"]
    one = [{"sku": "SKU-1", "quantity": 1, "condition": "SELLABLE"}]
    munich, berlin = await store_key(api, "ST-MUC"), await store_key(api, "ST-BER")
    before = await snapshot(api.db)
    refusals = [
        (admin, "ST-MUC", one, "RETURN_NOT_ALLOWED", ["input", "locationCode"]),  # Munich takes no returns
        (berlin, "WH-HAM", one, "PERMISSION_DENIED", ["input", "locationCode"]),  # another location's key
        (munich, "ST-BER", one, "PERMISSION_DENIED", ["input", "locationCode"]),
        (admin, "NOWHERE", one, "UNKNOWN_LOCATION", ["input", "locationCode"]),
        (
            admin,
            "ST-BER",
            [{"sku": "SKU-1", "quantity": 2, "condition": "SELLABLE"}],
            "INVALID_INPUT",
            ["input", "lines", "0", "quantity"],
        ),
        (
            admin,
            "ST-BER",
            [{"sku": "SKU-2", "quantity": 1, "condition": "SELLABLE"}],
            "UNKNOWN_SKU",
            ["input", "lines", "0", "sku"],
        ),
    ]
    for key, code, lines, error, field in refusals:
        answer = await received(api, key, ret["id"], code, lines)
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [(error, field)], (code, lines)
    assert await snapshot(api.db) == before


async def test_storefronts_return_only_their_channels_orders_and_stores_see_any_return(api, admin):
    order = await delivered_online(api, admin, units=1)
    other = await make_key(api.db, Role.STOREFRONT, channel="pos")
    assert [
        e["code"] for e in (await requested(api, other, order["id"], [{"sku": "SKU-1", "quantity": 1}]))["errors"]
    ] == ["NOT_FOUND"]
    web = await make_key(api.db, Role.STOREFRONT, channel="web")
    wrong_channel = await requested(api, web, order["id"], [{"sku": "SKU-1", "quantity": 1}], channel="pos")
    assert [e["code"] for e in wrong_channel["errors"]] == ["PERMISSION_DENIED"]
    ret = (await requested(api, web, order["id"], [{"sku": "SKU-1", "quantity": 1}]))["return"]
    node = f'query {{ node(id: "{ret["id"]}") {{ ... on Return {{ number }} }} }}'
    assert (await api.data(await store_key(api, "ST-MUC"), node))["node"] == {"number": ret["number"]}
    assert (await api.data(other, node))["node"] is None


async def test_a_parcel_the_carrier_could_not_deliver_comes_back_as_a_return(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 2, "10.00")]))
    await shipped(api, admin, order["id"])
    async with api.db.read() as session:
        number = await session.scalar(select(Shipment.tracking_number))
    for status in ("FAILED", "FAILED"):  # the carrier's webhook, sent twice
        answer = await tracking(api, {"trackingNumber": number, "status": status})
        assert answer.status_code == 200
    after = (await api.data(admin, RETURNS_OF, {"id": order["id"]}))["order"]
    assert after["returns"] == [{"number": f"{order['number']}-R1", "status": "REQUESTED", "refundAmount": "0.00"}]
    async with api.db.read() as session:
        ret = await session.scalar(select(Return.id))
    done = await received(
        api, admin, encode_id("Return", ret), "WH-HAM", [{"sku": "SKU-1", "quantity": 2, "condition": "SELLABLE"}]
    )
    assert done["errors"] == [] and done["return"]["lines"][0]["reason"] == "undeliverable: sent back by the carrier"
    assert await stock(api, "SKU-1", "WH-HAM") == (5, 0, 0, 0)  # back on the shelf it left


async def test_concurrent_returns_of_the_same_units_let_exactly_one_through(api, admin):
    order = await delivered_online(api, admin, units=2)
    lines = [{"sku": "SKU-1", "quantity": 2}]
    results = await asyncio.gather(*(requested(api, admin, order["id"], lines) for _ in range(6)))
    assert sum(r["errors"] == [] for r in results) == 1
    assert {e["code"] for r in results for e in r["errors"]} == {"RETURN_NOT_ALLOWED"}


async def test_a_return_received_twice_at_once_restocks_and_refunds_once(api, admin):
    order = await delivered_online(api, admin, units=2)
    ret = (await requested(api, admin, order["id"], [{"sku": "SKU-1", "quantity": 2}]))["return"]
    both = [{"sku": "SKU-1", "quantity": 2, "condition": "SELLABLE"}]
    results = await asyncio.gather(*(received(api, admin, ret["id"], code, both) for code in ["WH-HAM", "ST-BER"] * 3))
    assert sum(r["errors"] == [] for r in results) == 1
    assert {e["code"] for r in results for e in r["errors"]} == {"INVALID_TRANSITION"}
    async with api.db.read() as session:
        on_hand = await session.scalar(select(func.sum(StockLevel.on_hand)).where(StockLevel.sku == "SKU-1"))
    assert on_hand == 3 + 2  # what Hamburg kept, and the two back once
    after = (await api.data(admin, RETURNS_OF, {"id": order["id"]}))["order"]
    assert [p["kind"] for p in after["payments"]] == ["CAPTURE", "REFUND"]
