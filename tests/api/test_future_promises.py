"""Selling against inbound supply on both databases: pre-orders up to what is due (and the product's limit),
none on a channel that says NONE, receipt hands the units to the oldest orders first, a cut owes the newest,
a race for stock and supply sells exactly both, and cancelling gives the supply promise back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from oms_graph.db.models import Order, Product
from oms_graph.domain import delivery
from oms_graph.domain.access import Role
from oms_graph.services.routing.plan import route_order
from tests.api.test_inbound_supply import RECEIVE, UPSERT, supply
from tests.conftest import make_key
from tests.factories import BERLIN_ADDRESS, CANCEL_ORDER, PLACE_ORDER, SET_STOCK, atp, level, order_input
from tests.fulfilment_steps import ORDER, chain_admin, routed, shipped
from tests.transfer_steps import CREATE, web_profile

POLICY = """mutation($input: SupplyPolicyInput!) { setSupplyPolicy(input: $input) {
  product { sku supplyPolicy preorderLimit } errors { code field } } }"""
WAITING = """query($id: ID) { order(id: $id) { number status supplyDueAt promisedDate expectedDate
  awaitingSupply { sku quantity }
  events { type } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


async def policy(api, key, **fields):  # type: ignore[no-untyped-def]
    done = (await api.data(key, POLICY, {"input": {"sku": "SKU-1", **fields}}))["setSupplyPolicy"]
    assert done["errors"] == [], done["errors"]
    return done["product"]


async def place(api, key, n, quantity=1, channel="web"):  # type: ignore[no-untyped-def]
    placed = await api.data(
        key, PLACE_ORDER, {"input": order_input(f"o{n}", [("SKU-1", quantity, "10")], channel=channel)}
    )
    return placed["placeOrder"]


async def status_of(api, key, order_id):  # type: ignore[no-untyped-def]
    return (await api.data(key, WAITING, {"id": order_id}))["order"]


async def promised(api):  # type: ignore[no-untyped-def]
    async with api.db.read() as session:
        return (
            await session.execute(select(Product.promised, Product.promised_future).where(Product.sku == "SKU-1"))
        ).one()


async def test_pre_orders_sell_what_is_due_and_receipt_serves_the_oldest_first(api, admin):
    integration = await make_key(api.db, Role.INTEGRATION)
    await api.data(integration, UPSERT, {"input": [supply("PO-1/1", 50, days=3)]})
    refused = await place(api, admin, 0)
    assert [e["code"] for e in refused["errors"]] == ["INSUFFICIENT_STOCK"]  # NONE: today's behaviour
    assert await policy(api, integration, policy="PREORDER") == {
        "sku": "SKU-1",
        "supplyPolicy": "PREORDER",
        "preorderLimit": None,
    }
    await policy(api, integration, channel="pos", policy="NONE")

    orders = [await place(api, admin, n, quantity=10) for n in range(1, 6)]
    assert all(o["errors"] == [] for o in orders)
    last = await place(api, admin, 6)
    assert [e["code"] for e in last["errors"]] == ["INSUFFICIENT_STOCK"]  # the 51st unit
    assert [e["code"] for e in (await place(api, admin, 7, channel="pos"))["errors"]] == ["INSUFFICIENT_STOCK"]
    first = await status_of(api, admin, orders[0]["order"]["id"])
    assert first["status"] == "AWAITING_SUPPLY" and first["awaitingSupply"] == [{"sku": "SKU-1", "quantity": 10}]
    # promised at placement: the supply's day, then a road the engine assumes for an unknown place (300 km)
    due_day = datetime.fromisoformat(first["supplyDueAt"]).date()
    promise = delivery.working_days_after(due_day, delivery.HANDLING_DAYS + 2).isoformat()
    assert first["promisedDate"] == promise
    assert first["supplyDueAt"] is not None and "ORDER_AWAITING_SUPPLY" in [e["type"] for e in first["events"]]
    assert tuple(await promised(api)) == (0, 50) and await atp(api, admin, "SKU-1") == 0

    received = (await api.data(integration, RECEIVE, {"id": "PO-1/1", "n": 20}))["receiveInboundSupply"]
    assert received["errors"] == []
    statuses = [(await status_of(api, admin, o["order"]["id"]))["status"] for o in orders]
    assert statuses == ["PLACED", "PLACED", "AWAITING_SUPPLY", "AWAITING_SUPPLY", "AWAITING_SUPPLY"]
    assert tuple(await promised(api)) == (20, 30)
    async with api.db.write() as session:  # what the routing actor does on ORDER_REQUEUED
        routed = await route_order(session, order_id=(await _order_id(api, orders[0])))
    assert routed is not None and routed.status == "ROUTED"


async def test_a_supply_cut_owes_the_newest_orders_and_tells_them(api, admin):
    integration = await make_key(api.db, Role.INTEGRATION)
    await api.data(integration, UPSERT, {"input": [supply("PO-2/1", 50, days=3)]})
    await policy(api, integration, policy="BACKORDER")
    orders = [await place(api, admin, n, quantity=10) for n in range(5)]
    cut = (await api.data(integration, UPSERT, {"input": [supply("PO-2/1", 40, days=3)]}))["upsertInboundSupply"]
    assert cut["errors"] == []
    after = [await status_of(api, admin, o["order"]["id"]) for o in orders]
    assert [o["status"] for o in after] == ["AWAITING_SUPPLY"] * 4 + ["BACKORDERED"]
    assert "ORDER_BACKORDERED" in [e["type"] for e in after[-1]["events"]] and after[-1]["awaitingSupply"] == []
    assert tuple(await promised(api)) == (10, 40)  # owed from stock, which has none yet: it waits as a backorder


async def test_cancelling_an_order_awaiting_supply_gives_the_supply_back(api, admin):
    integration = await make_key(api.db, Role.INTEGRATION)
    await api.data(integration, UPSERT, {"input": [supply("PO-3/1", 5, days=2)]})
    await policy(api, integration, policy="PREORDER", preorderLimit=4)
    first = await place(api, admin, 1, quantity=4)
    assert first["errors"] == [] and [e["code"] for e in (await place(api, admin, 2))["errors"]] == [
        "INSUFFICIENT_STOCK"  # the limit, not the supply
    ]
    cancelled = await api.data(admin, CANCEL_ORDER, {"id": first["order"]["id"], "reason": "changed mind"})
    assert cancelled["cancelOrder"]["errors"] == []
    assert tuple(await promised(api)) == (0, 0)
    assert (await place(api, admin, 3, quantity=4))["errors"] == []


async def test_a_race_for_stock_and_supply_sells_exactly_both(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10)]})
    integration = await make_key(api.db, Role.INTEGRATION)
    await api.data(integration, UPSERT, {"input": [supply("PO-4/1", 10, days=4)]})
    await policy(api, integration, policy="BACKORDER")
    web = await make_key(api.db, Role.STOREFRONT, channel="web")
    answers = await asyncio.gather(*(place(api, web, n) for n in range(100)))
    placed = [a for a in answers if a["order"]]
    assert len(placed) == 20
    assert all([e["code"] for e in a["errors"]] == ["INSUFFICIENT_STOCK"] for a in answers if not a["order"])
    async with api.db.read() as session:
        rows = (await session.execute(select(Order.status, Order.supply_due_at))).all()
    assert sorted(status for status, _ in rows) == ["AWAITING_SUPPLY"] * 10 + ["PLACED"] * 10
    dates = {due for status, due in rows if status == "AWAITING_SUPPLY"}
    assert len(dates) == 1 and None not in dates
    assert tuple(await promised(api)) == (10, 10)


async def _order_id(api, placed):  # type: ignore[no-untyped-def]
    from oms_graph.api.node import decode_id

    return decode_id(placed["order"]["id"])[1]


def test_due_dates_serve_the_earliest_supply_first():
    from oms_graph.domain.supply import due_date

    monday, thursday = datetime(2026, 12, 7), datetime(2026, 12, 10)
    supply_ = [(thursday, 5), (monday, 5)]
    assert due_date(supply_, before=0, units=5) == monday
    assert due_date(supply_, before=3, units=3) == thursday
    assert due_date(supply_, before=8, units=3) is None


OPTIONS = """query($input: DeliveryOptionsInput!) { deliveryOptions(input: $input) {
  method service estimatedDeliveryDate awaitingSupply } }"""


async def test_delivery_options_offer_the_supplys_date_and_the_order_keeps_it(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "WH-HAM", 5)]})
    integration = await make_key(api.db, Role.INTEGRATION)
    await api.data(integration, UPSERT, {"input": [supply("PO-5/1", 20, days=4)]})
    web = await make_key(api.db, Role.STOREFRONT, channel="web")
    cart = {
        "channel": "web",
        "lines": [{"sku": "SKU-1", "quantity": 2, "unitPrice": "1"}, {"sku": "SKU-2", "quantity": 1, "unitPrice": "1"}],
        "address": order_input("x")["delivery"]["address"],
    }
    assert (await api.data(web, OPTIONS, {"input": cart}))["deliveryOptions"] == []  # NONE: nothing to offer
    await policy(api, integration, policy="BACKORDER")
    offered = (await api.data(web, OPTIONS, {"input": cart}))["deliveryOptions"]
    assert {o["awaitingSupply"] for o in offered} == {True} and len(offered) == 2
    standard = next(o for o in offered if o["service"] == "standard")

    lines = [("SKU-1", 2, "1"), ("SKU-2", 1, "1")]
    placed = (await api.data(web, PLACE_ORDER, {"input": order_input("k1", lines)}))["placeOrder"]
    assert placed["errors"] == []
    order = await status_of(api, admin, placed["order"]["id"])
    assert order["status"] == "AWAITING_SUPPLY" and order["awaitingSupply"] == [{"sku": "SKU-1", "quantity": 2}]
    assert order["promisedDate"] == standard["estimatedDeliveryDate"]


DATED = """query($skus: [String!]!, $n: Int, $channel: String) {
  availability(skus: $skus, quantity: $n, channel: $channel) {
  sku availableToPromise availableFrom incoming { at units supply locationCode } } }"""
POOL = """mutation($input: AvailabilityPoolInput!) { updateAvailabilityPool(input: $input) { errors { code } } }"""


async def test_availability_dates_a_quantity_by_what_is_on_its_way(api, admin):
    stock = [level("SKU-1", "WH-HAM", 3), level("SKU-1", "WH-FRA", 2)]
    await api.data(admin, SET_STOCK, {"input": stock})
    integration = await make_key(api.db, Role.INTEGRATION)
    await api.data(integration, UPSERT, {"input": [supply("PO-6/1", 10, days=2)]})
    move = {"from": "WH-FRA", "to": "ST-BER", "lines": [{"sku": "SKU-1", "quantity": 2}], "reason": "rebalance"}
    made = (await api.data(admin, CREATE, {"input": move}))["createTransfer"]["transfer"]  # lands in a day

    async def dated(n, channel=None):  # type: ignore[no-untyped-def]
        asked = {"skus": ["SKU-1"], "n": n, "channel": channel}
        (found,) = (await api.data(integration, DATED, asked))["availability"]
        return found

    now = await dated(3)
    assert now["availableToPromise"] == 3 and now["availableFrom"] is not None  # on a shelf: now
    assert [(i["units"], i["supply"], i["locationCode"]) for i in now["incoming"]] == [
        (2, False, "ST-BER"),
        (10, True, "WH-HAM"),
    ]
    supply_at = now["incoming"][1]["at"]
    assert (await dated(5))["availableFrom"] == made["expectedAt"]  # once the transfer lands
    assert (await dated(15))["availableFrom"] == supply_at
    assert (await dated(16))["availableFrom"] is None  # more than is known to come
    # a channel held to its stores sees what lands there only: the transfer to Berlin, not Hamburg's supply
    await api.data(admin, POOL, {"input": {"channel": "web", "locationKinds": ["STORE"]}})
    pooled = await dated(2, channel="web")
    assert pooled["availableToPromise"] == 0 and pooled["availableFrom"] == made["expectedAt"]
    assert [i["locationCode"] for i in pooled["incoming"]] == ["ST-BER"]
    assert (await dated(3, channel="web"))["availableFrom"] is None
    await api.data(admin, POOL, {"input": {"channel": "web"}})

    await policy(api, integration, policy="BACKORDER")
    placed = await place(api, admin, 1, quantity=7)  # 3 from the shelf are not enough: 7 against supply
    assert placed["errors"] == []
    assert (await dated(8))["availableFrom"] == supply_at  # 3 + 2 + (10 - 7)
    assert (await dated(9))["availableFrom"] is None
    refused = await api.run(integration, DATED, {"skus": ["SKU-1"], "n": 0})
    assert refused["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_moving_supply_dates_the_waiting_orders_anew_and_a_count_can_take_it_in(api, admin):
    integration = await make_key(api.db, Role.INTEGRATION)
    await api.data(integration, UPSERT, {"input": [supply("PO-7/1", 50, days=3)]})
    await policy(api, integration, policy="BACKORDER")
    orders = [(await place(api, admin, n, quantity=10))["order"]["id"] for n in range(2)]
    before = [await status_of(api, admin, o) for o in orders]

    def dated(order):  # type: ignore[no-untyped-def]
        due = datetime.fromisoformat(order["supplyDueAt"])
        return due.date(), order["expectedDate"], order["promisedDate"]

    # the supply slips a week: both are due then, expected later, and keep the date they were promised
    await api.data(integration, UPSERT, {"input": [supply("PO-7/1", 50, days=10)]})
    slipped = [await status_of(api, admin, o) for o in orders]
    for was, now in zip(before, slipped, strict=True):
        due, expected, promise = dated(now)
        assert due == dated(was)[0] + timedelta(days=7)
        assert expected == delivery.after_supply(due, delivery.STANDARD).isoformat() > promise == was["promisedDate"]

    # earlier supply of 10 elsewhere in the network: the oldest order is due with it, the next one still waits
    await api.data(integration, UPSERT, {"input": [supply("PO-7/2", 10, days=1, location="WH-FRA")]})
    first, second = [await status_of(api, admin, o) for o in orders]
    assert dated(first)[0] == dated(before[0])[0] - timedelta(days=2) and dated(second) == dated(slipped[1])

    # a count at Frankfurt finds the 10: PO-7/2 is received and the oldest order goes to routing
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-FRA", 10)]})
    first, second = [await status_of(api, admin, o) for o in orders]
    assert (first["status"], second["status"]) == ("PLACED", "AWAITING_SUPPLY")
    assert tuple(await promised(api)) == (10, 10)


SPLIT_PROFILE = """mutation($input: RoutingProfileInput!) { updateRoutingProfile(input: $input) {
  routingProfile { splitForSupply allowTransferToPickup } errors { code } } }"""
SPLIT_OPTIONS = """query($input: DeliveryOptionsInput!) { deliveryOptions(input: $input) {
  method service estimatedDeliveryDate awaitingSupply
  parts { estimatedDeliveryDate awaitingSupply lines { sku quantity } } } }"""


async def split_for_supply(api, admin):  # type: ignore[no-untyped-def]
    profile = web_profile(splitForSupply=True)
    done = (await api.data(admin, SPLIT_PROFILE, {"input": profile}))["updateRoutingProfile"]
    assert done == {"routingProfile": {"splitForSupply": True, "allowTransferToPickup": False}, "errors": []}


async def test_a_split_profile_ships_what_stock_has_now_and_the_rest_with_its_supply(api, admin):
    integration = await make_key(api.db, Role.INTEGRATION)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 4)]})
    await api.data(integration, UPSERT, {"input": [supply("PO-9/1", 10, days=3)]})
    await policy(api, integration, policy="BACKORDER")
    cart = {"channel": "web", "lines": [{"sku": "SKU-1", "quantity": 6, "unitPrice": "1"}], "address": BERLIN_ADDRESS}

    # without the switch: one shipment once the supply is in
    whole = (await api.data(admin, SPLIT_OPTIONS, {"input": cart}))["deliveryOptions"]
    standard = next(o for o in whole if o["service"] == "standard")
    assert standard["awaitingSupply"] and standard["parts"] == []

    await split_for_supply(api, admin)
    options = (await api.data(admin, SPLIT_OPTIONS, {"input": cart}))["deliveryOptions"]
    standard = next(o for o in options if o["service"] == "standard")
    now_part, later_part = standard["parts"]
    # Hamburg to Berlin (~255 km) for the 4 on a shelf; the 2 to come from the supply's day
    today = datetime.now(UTC).date()
    assert now_part == {
        "estimatedDeliveryDate": delivery.estimated_delivery(today, 255, delivery.STANDARD).isoformat(),
        "awaitingSupply": False,
        "lines": [{"sku": "SKU-1", "quantity": 4}],
    }
    assert later_part["lines"] == [{"sku": "SKU-1", "quantity": 2}] and later_part["awaitingSupply"]
    assert standard["estimatedDeliveryDate"] == later_part["estimatedDeliveryDate"] > now_part["estimatedDeliveryDate"]

    # placed: promised the later date, routed at once for the 4, the 2 promised against supply
    placed = await place(api, admin, 1, quantity=6)
    order_id = placed["order"]["id"]
    order = await status_of(api, admin, order_id)
    assert (order["status"], order["awaitingSupply"]) == ("PLACED", [{"sku": "SKU-1", "quantity": 2}])
    assert order["promisedDate"] == standard["estimatedDeliveryDate"]
    assert tuple(await promised(api)) == (4, 2)
    assert await routed(api, order_id) == "ROUTED"
    work = (await api.data(admin, ORDER, {"id": order_id}))["order"]["fulfilments"]
    assert [(f["location"]["code"], f["lines"][0]["quantity"]) for f in work] == [("WH-HAM", 4)]

    # the first part leaves: the order is shipped in part, not done
    await shipped(api, admin, order_id)
    assert (await status_of(api, admin, order_id))["status"] == "PARTIALLY_SHIPPED"

    # the supply comes: its 2 units are promised from the shelf and routed beside the first part
    assert (await api.data(integration, RECEIVE, {"id": "PO-9/1", "n": 10}))["receiveInboundSupply"]["errors"] == []
    order = await status_of(api, admin, order_id)
    assert order["awaitingSupply"] == [] and "ORDER_REQUEUED" in [e["type"] for e in order["events"]]
    assert await routed(api, order_id) == "PARTIALLY_SHIPPED"
    work = (await api.data(admin, ORDER, {"id": order_id}))["order"]["fulfilments"]
    assert sorted((f["status"], f["lines"][0]["quantity"]) for f in work) == [("ASSIGNED", 2), ("SHIPPED", 4)]
    await shipped(api, admin, order_id)
    assert (await status_of(api, admin, order_id))["status"] == "SHIPPED"
    assert tuple(await promised(api)) == (0, 0)


async def test_a_split_orders_supply_cut_routes_what_it_is_owed_or_backorders_it(api, admin):
    integration = await make_key(api.db, Role.INTEGRATION)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 4)]})
    await api.data(integration, UPSERT, {"input": [supply("PO-10/1", 10, days=3)]})
    await policy(api, integration, policy="BACKORDER")
    await split_for_supply(api, admin)
    order_id = (await place(api, admin, 1, quantity=6))["order"]["id"]
    assert await routed(api, order_id) == "ROUTED"
    # the supply is cancelled: the 2 units are owed from stock, which has none; the customer is told
    await api.data(integration, UPSERT, {"input": [supply("PO-10/1", 0, days=3)]})
    order = await status_of(api, admin, order_id)
    assert order["awaitingSupply"] == [] and [e["type"] for e in order["events"]][-2:] == [
        "ORDER_BACKORDERED",
        "ORDER_REQUEUED",
    ]
    assert tuple(await promised(api)) == (6, 0)
    assert await routed(api, order_id) == "BACKORDERED"
    # stock comes: the backorder is served beside the part routed before
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-FRA", 5)]})
    assert await routed(api, order_id) == "ROUTED"
    work = (await api.data(admin, ORDER, {"id": order_id}))["order"]["fulfilments"]
    assert sorted((f["location"]["code"], f["lines"][0]["quantity"]) for f in work) == [("WH-FRA", 2), ("WH-HAM", 4)]


async def test_a_pooled_channel_sells_against_supply_only_what_its_pool_has_room_for(api, admin):
    # SKU-1 has no stock but supply due; SKU-2 is only outside the channel's pool (Berlin's store)
    integration = await make_key(api.db, Role.INTEGRATION)
    await api.data(integration, UPSERT, {"input": [supply("PO-11/1", 10, days=3)]})
    await policy(api, integration, policy="BACKORDER")
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "ST-BER", 10)]})
    await api.data(admin, POOL, {"input": {"channel": "web", "locationCodes": ["WH-HAM"]}})
    lines = [("SKU-1", 1, "10"), ("SKU-2", 1, "10")]
    refused = (await api.data(admin, PLACE_ORDER, {"input": order_input("mixed", lines)}))["placeOrder"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [  # each line says what it lacks
        ("INSUFFICIENT_STOCK", ["input", "lines", "0", "quantity"]),
        ("INSUFFICIENT_STOCK", ["input", "lines", "1", "quantity"]),
    ]
    assert tuple(await promised(api)) == (0, 0)  # nothing promised, against stock or supply
    alone = (await api.data(admin, PLACE_ORDER, {"input": order_input("alone", [("SKU-1", 1, "10")])}))["placeOrder"]
    assert alone["errors"] == [] and alone["order"]["status"] == "AWAITING_SUPPLY"
