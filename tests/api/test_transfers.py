"""Transfers over HTTP on both databases: ship-to-store from placement to collection with the books checked
at every step, a rejected pickup rescued by a transfer, a transfer short-picked, short-received and one
called back on the road, and a store key's scope."""

from __future__ import annotations

from datetime import datetime

import pytest

from oms_graph.db.base import utcnow
from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import CANCEL_ORDER, PLACE_ORDER, SET_STOCK, atp, level, order_input
from tests.fulfilment_steps import (
    ACCEPT,
    COLLECT,
    ORDER,
    PICK,
    READY,
    REJECT,
    chain_admin,
    ledger,
    ok,
    placed_and_routed,
    routed,
    stock,
    store_key,
)
from tests.transfer_steps import (
    CREATE,
    ROUTING,
    T_ACCEPT,
    T_CANCEL,
    T_RECEIVE,
    TRANSFERS,
    attempt,
    books,
    step,
    transfers_allowed,
    work_at_source,
)


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


async def test_a_pickup_at_a_store_without_stock_comes_by_transfer_and_is_collected(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    refused = await api.data(admin, PLACE_ORDER, {"input": order_input("k0", [("SKU-1", 2, "10")], pickup="ST-MUC")})
    assert [e["code"] for e in refused["placeOrder"]["errors"]] == ["INSUFFICIENT_STOCK"]  # the switch is off
    await transfers_allowed(api, admin)

    placed = await api.data(admin, PLACE_ORDER, {"input": order_input("k1", [("SKU-1", 2, "10")], pickup="ST-MUC")})
    assert placed["placeOrder"]["errors"] == []
    order = placed["placeOrder"]["order"]
    assert await stock(api, "SKU-1", "WH-HAM") == (5, 0, 0, 2)  # promised network-wide, not yet anywhere
    assert await atp(api, admin, "SKU-1") == 3

    assert await routed(api, order["id"]) == "ROUTED"
    assert await stock(api, "SKU-1", "WH-HAM") == (5, 2, 0, 0)  # reserved at the source for the transfer
    assert await atp(api, admin, "SKU-1") == 3
    decided = (await api.data(admin, ROUTING, {"id": order["id"]}))["order"]["routing"]
    assert decided["readyBy"] is not None
    assert decided["chosen"]["allocations"] == [
        {"location": {"code": "WH-HAM"}, "transferTo": {"code": "ST-MUC"}, "lines": [{"sku": "SKU-1", "quantity": 2}]}
    ]
    fulfilments = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]["fulfilments"]
    assert [(f["status"], f["location"]["code"]) for f in fulfilments] == [("AWAITING_TRANSFER", "ST-MUC")]
    refused = await attempt(api, admin, ACCEPT, id=fulfilments[0]["id"])  # nothing to prepare yet
    assert [e["code"] for e in refused["errors"]] == ["INVALID_TRANSITION"]

    hamburg, munich = await store_key(api, "WH-HAM"), await store_key(api, "ST-MUC")
    inbound = (await api.data(munich, TRANSFERS, {"loc": "ST-MUC", "direction": "INBOUND"}))["transfers"]
    assert [(t["status"], t["from"]["code"], t["order"]["number"]) for t in inbound] == [
        ("REQUESTED", "WH-HAM", order["number"])
    ]
    shipped = await work_at_source(api, hamburg, inbound[0])
    assert shipped["status"] == "IN_TRANSIT"
    assert await books(api, admin, "SKU-1") == {"WH-HAM": (3, 0, 0), "ST-MUC": (0, 0, 2)}
    assert await atp(api, admin, "SKU-1") == 3  # in transit is never available, nor counted twice

    received = await step(api, munich, T_RECEIVE, id=shipped["id"], lines=[{"sku": "SKU-1", "received": 2}])
    assert received["status"] == "RECEIVED"
    assert await books(api, admin, "SKU-1") == {"WH-HAM": (3, 0, 0), "ST-MUC": (2, 2, 0)}  # reserved for the order
    assert await atp(api, admin, "SKU-1") == 3
    pickup = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]["fulfilments"][0]
    assert pickup["status"] == "ASSIGNED"

    await ok(api, munich, ACCEPT, id=pickup["id"])
    await ok(api, munich, PICK, id=pickup["id"], lines=[{"sku": "SKU-1", "quantity": 2}])
    await ok(api, munich, READY, id=pickup["id"])
    fid = pickup["id"]
    code = (await api.data(admin, f'query {{ node(id: "{fid}") {{ ... on Fulfilment {{ pickupCode }} }} }}'))["node"][
        "pickupCode"
    ]
    await ok(api, munich, COLLECT, id=pickup["id"], code=code)
    assert await books(api, admin, "SKU-1") == {"WH-HAM": (3, 0, 0), "ST-MUC": (0, 0, 0)}
    assert [r for r in await ledger(api, "SKU-1", "WH-HAM") if r[0].startswith("transfer")] == [("transfer_out", -2)]
    assert await ledger(api, "SKU-1", "ST-MUC") == [("transfer_in", 2), ("collected", -2)]
    events = [e["type"] for e in (await api.data(admin, ORDER, {"id": order["id"]}))["order"]["events"]]
    assert events[:3] == ["ORDER_PLACED", "TRANSFER_REQUESTED", "ORDER_ROUTED"]
    assert "TRANSFER_IN_TRANSIT" in events and "TRANSFER_RECEIVED" in events and "FULFILMENT_ASSIGNED" in events


async def test_a_pickup_rejected_out_of_stock_becomes_a_transfer_not_a_cancellation(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "ST-BER", 1), level("SKU-1", "WH-HAM", 3)]})
    await transfers_allowed(api, admin)
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 1, "10")], pickup="ST-BER"))
    berlin = await store_key(api, "ST-BER")
    first = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]["fulfilments"][0]
    assert first["status"] == "ASSIGNED"
    await ok(api, berlin, REJECT, id=first["id"], reason="OUT_OF_STOCK")

    after = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]
    assert after["status"] == "ROUTED"
    assert sorted((f["status"], f["location"]["code"]) for f in after["fulfilments"]) == [
        ("AWAITING_TRANSFER", "ST-BER"),
        ("REJECTED", "ST-BER"),
    ]
    assert "PICKUP_DELAYED" in [e["type"] for e in after["events"]]
    transfers = (await api.data(admin, TRANSFERS, {"loc": "ST-BER", "direction": "INBOUND"}))["transfers"]
    assert [(t["from"]["code"], t["lines"][0]["quantity"]) for t in transfers] == [("WH-HAM", 1)]
    assert await stock(api, "SKU-1", "WH-HAM") == (3, 1, 0, 0)
    assert await stock(api, "SKU-1", "ST-BER") == (0, 0, 0, 0)  # the store's unit was not there: written off


async def test_a_pickup_picked_short_gets_the_missing_units_by_transfer(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "ST-BER", 3), level("SKU-1", "WH-HAM", 5)]})
    await transfers_allowed(api, admin)
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 3, "10")], pickup="ST-BER"))
    berlin = await store_key(api, "ST-BER")
    first = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]["fulfilments"][0]
    await ok(api, berlin, ACCEPT, id=first["id"])
    await ok(api, berlin, PICK, id=first["id"], lines=[{"sku": "SKU-1", "quantity": 2}])

    after = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]
    assert after["lines"] == [{"sku": "SKU-1", "quantityShipped": 0, "quantityCancelled": 0}]  # nothing cancelled
    assert sorted((f["status"], f["lines"][0]["quantity"]) for f in after["fulfilments"]) == [
        ("AWAITING_TRANSFER", 1),
        ("PICKED", 3),
    ]
    assert "PICKUP_DELAYED" in [e["type"] for e in after["events"]]
    transfers = (await api.data(admin, TRANSFERS, {"loc": "ST-BER", "direction": "INBOUND"}))["transfers"]
    assert [(t["from"]["code"], t["lines"][0]["quantity"]) for t in transfers] == [("WH-HAM", 1)]
    assert await stock(api, "SKU-1", "ST-BER") == (2, 2, 0, 0)  # the unit not found was written off
    assert await stock(api, "SKU-1", "WH-HAM") == (5, 1, 0, 0)  # reserved there for the transfer


async def test_a_rejected_pickup_is_cancelled_when_nowhere_has_the_units(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "ST-BER", 1)]})
    await transfers_allowed(api, admin)
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 1, "10")], pickup="ST-BER"))
    first = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]["fulfilments"][0]
    await ok(api, await store_key(api, "ST-BER"), REJECT, id=first["id"], reason="OUT_OF_STOCK")
    assert (await api.data(admin, ORDER, {"id": order["id"]}))["order"]["status"] == "CANCELLED"


async def test_short_picked_short_received_and_called_back_transfers_account_for_every_unit(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10), level("SKU-2", "WH-HAM", 4)]})
    lines = [{"sku": "SKU-1", "quantity": 6}, {"sku": "SKU-2", "quantity": 2}]
    made = await step(api, admin, CREATE, input={"from": "WH-HAM", "to": "ST-BER", "lines": lines, "reason": "refill"})
    assert made["status"] == "REQUESTED" and made["expectedAt"] is not None
    assert (await stock(api, "SKU-1", "WH-HAM"))[:2] == (10, 6)
    # short-picked: 5 of 6 found, the sixth is off the warehouse's books
    shipped = await work_at_source(api, admin, made, [{"sku": "SKU-1", "quantity": 5}, {"sku": "SKU-2", "quantity": 2}])
    assert await books(api, admin, "SKU-1") == {"WH-HAM": (4, 0, 0), "ST-BER": (0, 0, 5)}
    # short-received: 3 sellable, 1 damaged, 1 never came
    got = await step(
        api,
        admin,
        T_RECEIVE,
        id=shipped["id"],
        lines=[{"sku": "SKU-1", "received": 3, "damaged": 1}, {"sku": "SKU-2", "received": 2}],
    )
    assert got["status"] == "PARTLY_RECEIVED"
    assert [(li["sku"], li["picked"], li["received"], li["damaged"], li["missing"]) for li in got["lines"]] == [
        ("SKU-1", 5, 3, 1, 1),
        ("SKU-2", 2, 2, 0, 0),
    ]
    assert await books(api, admin, "SKU-1") == {"WH-HAM": (4, 0, 0), "ST-BER": (3, 0, 0)}
    assert [r for r in await ledger(api, "SKU-1", "WH-HAM") if r[0] != "sync"] == [
        ("short_pick", -1),
        ("transfer_out", -5),
    ]
    assert await ledger(api, "SKU-1", "ST-BER") == [("transfer_in", 4), ("transfer_damaged", -1)]

    # called back on the road: the units go back on the source's shelf
    again = await step(
        api,
        admin,
        CREATE,
        input={"from": "WH-HAM", "to": "ST-BER", "lines": [{"sku": "SKU-1", "quantity": 4}], "reason": "x"},
    )
    on_road = await work_at_source(api, admin, again)
    assert await books(api, admin, "SKU-1") == {"WH-HAM": (0, 0, 0), "ST-BER": (3, 0, 4)}
    cancelled = await step(api, admin, T_CANCEL, id=on_road["id"], reason="truck broke down")
    assert cancelled["status"] == "CANCELLED"
    assert await books(api, admin, "SKU-1") == {"WH-HAM": (4, 0, 0), "ST-BER": (3, 0, 0)}
    refused = await attempt(api, admin, T_RECEIVE, id=on_road["id"], lines=[{"sku": "SKU-1", "received": 4}])
    assert [e["code"] for e in refused["errors"]] == ["INVALID_TRANSITION"]


async def test_a_transfer_takes_only_free_units_and_bad_input_writes_nothing(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 3)]})
    await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 2, "10")]))  # 2 of 3 promised
    too_many = await attempt(
        api,
        admin,
        CREATE,
        input={"from": "WH-HAM", "to": "ST-BER", "lines": [{"sku": "SKU-1", "quantity": 2}], "reason": "x"},
    )
    assert [(e["code"], e["field"]) for e in too_many["errors"]] == [
        ("INSUFFICIENT_STOCK", ["input", "lines", "0", "quantity"])
    ]
    bad = await attempt(
        api,
        admin,
        CREATE,
        input={"from": "WH-HAM", "to": "WH-HAM", "lines": [{"sku": "NOPE", "quantity": 0}], "reason": ""},
    )
    assert sorted(e["code"] for e in bad["errors"]) == [
        "INVALID_INPUT",
        "INVALID_INPUT",
        "INVALID_INPUT",
        "UNKNOWN_SKU",
    ]
    assert (await api.data(admin, TRANSFERS, {}))["transfers"] == []
    assert (await stock(api, "SKU-1", "WH-HAM"))[:2] == (3, 2)


async def test_a_store_key_sees_and_works_only_transfers_from_or_to_its_location(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    made = await step(
        api,
        admin,
        CREATE,
        input={"from": "WH-HAM", "to": "ST-BER", "lines": [{"sku": "SKU-1", "quantity": 1}], "reason": "x"},
    )
    munich, berlin = await store_key(api, "ST-MUC"), await store_key(api, "ST-BER")
    assert (await api.data(munich, TRANSFERS, {}))["transfers"] == []
    assert [e["code"] for e in (await attempt(api, munich, T_ACCEPT, id=made["id"]))["errors"]] == ["NOT_FOUND"]
    # the destination sees it but does not work the source's steps
    assert [t["number"] for t in (await api.data(berlin, TRANSFERS, {}))["transfers"]] == [made["number"]]
    assert [e["code"] for e in (await attempt(api, berlin, T_ACCEPT, id=made["id"]))["errors"]] == ["PERMISSION_DENIED"]
    foreign = await attempt(
        api,
        munich,
        CREATE,
        input={"from": "WH-HAM", "to": "ST-BER", "lines": [{"sku": "SKU-1", "quantity": 1}], "reason": "x"},
    )
    assert [e["code"] for e in foreign["errors"]] == ["PERMISSION_DENIED"]
    storefront = await make_key(api.db, Role.STOREFRONT, channel="web")
    denied = await api.run(storefront, TRANSFERS, {})
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


COUNT = """mutation($input: [StockLevelInput!]!) { setStockLevels(input: $input) {
  stockLevels { location { code } onHand inTransit } errors { code } } }"""


async def test_a_count_at_the_destination_does_not_swallow_a_transfer_on_the_road(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 6)]})
    lines = [{"sku": "SKU-1", "quantity": 3}]
    made = await step(api, admin, CREATE, input={"from": "WH-HAM", "to": "ST-BER", "lines": lines, "reason": "x"})
    on_road = await work_at_source(api, admin, made)
    counted = (await api.data(admin, COUNT, {"input": [level("SKU-1", "ST-BER", 2)]}))["setStockLevels"]
    assert counted["stockLevels"] == [{"location": {"code": "ST-BER"}, "onHand": 2, "inTransit": 3}]
    between = utcnow().isoformat()  # counted on the shelf while the units were still on the road
    await step(api, admin, T_RECEIVE, id=on_road["id"], lines=[{"sku": "SKU-1", "received": 3}])
    assert (await books(api, admin, "SKU-1"))["ST-BER"] == (5, 0, 0)
    # that count, sent after they arrived: what arrived since it was taken is added on top
    late = await api.data(admin, COUNT, {"input": [{**level("SKU-1", "ST-BER", 1), "countedAt": between}]})
    assert late["setStockLevels"] == {
        "stockLevels": [{"location": {"code": "ST-BER"}, "onHand": 1 + 3, "inTransit": 0}],
        "errors": [],
    }


async def test_a_pickup_the_store_holds_in_part_takes_the_rest_by_transfer_and_cancelling_gives_all_back(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "ST-BER", 1), level("SKU-1", "WH-HAM", 3)]})
    await transfers_allowed(api, admin)
    unrouted = await api.data(admin, PLACE_ORDER, {"input": order_input("k1", [("SKU-1", 3, "10")], pickup="ST-BER")})
    assert unrouted["placeOrder"]["errors"] == []
    assert await stock(api, "SKU-1", "ST-BER") == (1, 1, 0, 2)  # the store's one reserved, two promised
    cancelled = await api.data(admin, CANCEL_ORDER, {"id": unrouted["placeOrder"]["order"]["id"], "reason": "no"})
    assert cancelled["cancelOrder"]["errors"] == []
    assert await stock(api, "SKU-1", "ST-BER") == (1, 0, 0, 0)

    order = await placed_and_routed(api, admin, order_input("k2", [("SKU-1", 3, "10")], pickup="ST-BER"))
    transfers = (await api.data(admin, TRANSFERS, {"loc": "ST-BER", "direction": "INBOUND"}))["transfers"]
    assert [(t["from"]["code"], t["lines"][0]["quantity"], t["status"]) for t in transfers] == [
        ("WH-HAM", 2, "REQUESTED")
    ]
    assert await stock(api, "SKU-1", "WH-HAM") == (3, 2, 0, 0)
    await api.data(admin, CANCEL_ORDER, {"id": order["id"], "reason": "changed mind"})
    assert [t["status"] for t in (await api.data(admin, TRANSFERS, {}))["transfers"]] == ["CANCELLED"]
    assert await stock(api, "SKU-1", "WH-HAM") == (3, 0, 0, 0)
    assert await stock(api, "SKU-1", "ST-BER") == (1, 0, 0, 0)


TRANSIT = """mutation($input: [TransitTimeInput!]!) { setTransitTimes(input: $input) {
  transitTimes { from { code } to { code } hours } errors { code field } } }"""
TRANSIT_TIMES = "query($loc: String) { transitTimes(locationCode: $loc) { from { code } to { code } hours } }"


async def test_a_pairs_own_transit_time_sets_the_expected_arrival_and_can_be_forgotten(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10)]})
    lines = [{"sku": "SKU-1", "quantity": 1}]
    request = {"from": "WH-HAM", "to": "ST-BER", "lines": lines, "reason": "refill"}
    integration = await make_key(api.db, Role.INTEGRATION)
    done = await api.data(integration, TRANSIT, {"input": [{"from": "WH-HAM", "to": "ST-BER", "hours": 6}]})
    assert done["setTransitTimes"] == {
        "transitTimes": [{"from": {"code": "WH-HAM"}, "to": {"code": "ST-BER"}, "hours": 6}],
        "errors": [],
    }
    before = utcnow()
    made = await step(api, admin, CREATE, input=request)
    hours = (datetime.fromisoformat(made["expectedAt"]) - before).total_seconds() / 3600
    assert 5.9 < hours < 6.1
    analyst = await make_key(api.db, Role.ANALYST)
    assert len((await api.data(analyst, TRANSIT_TIMES, {"loc": "ST-BER"}))["transitTimes"]) == 1

    forgotten = await api.data(integration, TRANSIT, {"input": [{"from": "WH-HAM", "to": "ST-BER", "hours": None}]})
    assert forgotten["setTransitTimes"] == {"transitTimes": [], "errors": []}
    made = await step(api, admin, CREATE, input=request)
    hours = (datetime.fromisoformat(made["expectedAt"]) - utcnow()).total_seconds() / 3600
    assert 23.9 < hours < 24.1  # Hamburg to Berlin, ~255 km: the default of a day

    bad = [
        {"from": "WH-HAM", "to": "ST-MUC", "hours": 8},  # fine, but the rest is not: nothing is written
        {"from": "NOPE", "to": "ST-BER", "hours": 5},
        {"from": "ST-BER", "to": "ST-BER", "hours": 5},
        {"from": "ST-BER", "to": "ST-MUC", "hours": 0},
        {"from": "WH-HAM", "to": "ST-MUC", "hours": 9},
    ]
    refused = (await api.data(integration, TRANSIT, {"input": bad}))["setTransitTimes"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("UNKNOWN_LOCATION", ["input", "1", "from"]),
        ("INVALID_INPUT", ["input", "2", "to"]),
        ("INVALID_INPUT", ["input", "3", "hours"]),
        ("INVALID_INPUT", ["input", "4"]),
    ]
    assert (await api.data(analyst, TRANSIT_TIMES, {}))["transitTimes"] == []
    store = await store_key(api, "WH-HAM")
    assert (await api.run(store, TRANSIT, {"input": bad[:1]}))["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
