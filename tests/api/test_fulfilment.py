"""Stores and warehouses work their fulfilment queue over HTTP: the life of a delivery and of a pickup,
every refused transition, a store key on another store's work, rejections and short picks."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from oms_graph.adapters.signing import HEADER, sign
from oms_graph.db.base import utcnow
from oms_graph.db.models import Shipment
from oms_graph.domain.access import Role
from oms_graph.services.fulfilment import sweep as fulfilment_sweep
from tests.conftest import WEBHOOK_SECRET, make_key
from tests.factories import CANCEL_ORDER, SET_STOCK, level, order_input, snapshot
from tests.fulfilment_steps import (
    ACCEPT,
    COLLECT,
    DELIVERY_LIFE,
    ORDER,
    PACK,
    PICK,
    QUEUE,
    READY,
    REJECT,
    SHIP,
    book,
    chain_admin,
    do,
    ledger,
    ok,
    pay,
    placed_and_routed,
    queue,
    stock,
    store_key,
    tracking,
)
from tests.statements import counting_transactions


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


async def test_the_life_of_a_delivery_from_assignment_to_the_driver(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    hamburg = await store_key(api, "WH-HAM")
    waiting = await queue(api, hamburg, "WH-HAM", status=["ASSIGNED"])
    assert [(e["node"]["status"], e["node"]["order"]["number"]) for e in waiting["edges"]] == [
        ("ASSIGNED", order["number"])
    ]
    assert (await queue(api, hamburg, "WH-HAM", status=["PACKED"]))["edges"] == []  # nothing there yet: no error
    fid = waiting["edges"][0]["node"]["id"]

    assert (await ok(api, hamburg, ACCEPT, id=fid))["status"] == "ACCEPTED"
    assert (await api.data(admin, ORDER, {"id": order["id"]}))["order"]["status"] == "IN_FULFILMENT"
    picked = await ok(api, hamburg, PICK, id=fid, lines=[{"sku": "SKU-1", "quantity": 2}])
    assert picked["status"] == "PICKED" and picked["lines"] == [{"sku": "SKU-1", "quantity": 2, "quantityPicked": 2}]
    packed = await ok(api, hamburg, PACK, id=fid, parcels=[{"weightGrams": 900}])
    assert packed["status"] == "PACKED"
    assert packed["shipment"] | {"id": None} == {
        "id": None,
        "status": "BOOKING",
        "carrier": "courier",
        "trackingNumber": None,
        "parcels": 1,
    }
    refused = await do(api, hamburg, SHIP, id=fid)  # not booked yet
    assert [e["code"] for e in refused["errors"]] == ["INVALID_TRANSITION"]

    await book(api, fid)
    await book(api, fid)  # a second delivery of the message books nothing more
    shipped = await ok(api, hamburg, SHIP, id=fid)
    assert shipped["status"] == "SHIPPED" and shipped["shipment"]["status"] == "IN_TRANSIT"
    assert shipped["shipment"]["trackingNumber"].startswith("CR")
    assert await stock(api, "SKU-1", "WH-HAM") == (3, 0, 0, 0)
    assert await ledger(api, "SKU-1", "WH-HAM") == [("sync", 5), ("shipped", -2)]
    final = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]
    assert final["status"] == "SHIPPED" and final["lines"] == [
        {"sku": "SKU-1", "quantityShipped": 2, "quantityCancelled": 0}
    ]
    assert [e["type"] for e in final["events"]] == DELIVERY_LIFE


async def test_the_life_of_a_click_and_collect_order_with_its_pickup_code(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "ST-MUC", 3)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-2", 2, "10")], pickup="ST-MUC"))
    munich = await store_key(api, "ST-MUC")
    fid = (await queue(api, munich, "ST-MUC"))["edges"][0]["node"]["id"]
    await ok(api, munich, ACCEPT, id=fid)
    await ok(api, munich, PICK, id=fid, lines=[{"sku": "SKU-2", "quantity": 2}])
    ready = await ok(api, munich, READY, id=fid)
    assert ready["status"] == "READY_FOR_PICKUP" and ready["pickupExpiresAt"]
    assert ready["pickupCode"] is None  # the store asks the customer for it
    code = (await api.data(admin, f'query {{ node(id: "{fid}") {{ ... on Fulfilment {{ pickupCode }} }} }}'))["node"][
        "pickupCode"
    ]
    assert len(code) == 6 and code.isdigit()
    assert (await api.data(admin, ORDER, {"id": order["id"]}))["order"]["status"] == "READY_FOR_PICKUP"

    before = await snapshot(api.db)
    wrong = "000000" if code != "000000" else "111111"
    refused = await do(api, munich, COLLECT, id=fid, code=wrong)
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("PICKUP_CODE_MISMATCH", ["pickupCode"])]
    assert await snapshot(api.db) == before

    assert (await ok(api, munich, COLLECT, id=fid, code=code))["status"] == "COLLECTED"
    assert await stock(api, "SKU-2", "ST-MUC") == (1, 0, 0, 0)
    assert (await api.data(admin, ORDER, {"id": order["id"]}))["order"]["status"] == "COMPLETED"


async def test_every_move_the_state_machine_does_not_have_is_refused_and_writes_nothing(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-2", "ST-MUC", 5)]})
    await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 1, "10")]))
    await placed_and_routed(api, admin, order_input("k2", [("SKU-2", 1, "10")], pickup="ST-MUC"))
    delivery = (await queue(api, admin, "WH-HAM"))["edges"][0]["node"]["id"]
    pickup = (await queue(api, admin, "ST-MUC"))["edges"][0]["node"]["id"]
    one_line = [{"sku": "SKU-1", "quantity": 1}]
    refused = [
        (delivery, PICK, {"lines": one_line}),  # not accepted yet
        (delivery, PACK, {"parcels": [{"weightGrams": 100}]}),
        (delivery, SHIP, {}),
        (delivery, READY, {}),  # a delivery is not handed out
        (delivery, COLLECT, {"code": "123456"}),
    ]
    await ok(api, admin, ACCEPT, id=pickup)
    await ok(api, admin, PICK, id=pickup, lines=[{"sku": "SKU-2", "quantity": 1}])
    refused += [
        (pickup, ACCEPT, {}),  # twice
        (pickup, REJECT, {"reason": "OTHER"}),  # picked already
        (pickup, PACK, {"parcels": [{"weightGrams": 100}]}),  # a pickup is not shipped
        (pickup, SHIP, {}),
        (pickup, COLLECT, {"code": "123456"}),  # not ready yet
    ]
    before = await snapshot(api.db)
    for fid, mutation, variables in refused:
        payload = await do(api, admin, mutation, id=fid, **variables)
        assert [e["code"] for e in payload["errors"]] == ["INVALID_TRANSITION"], (mutation, payload)
        assert payload["fulfilment"] is None
    assert await snapshot(api.db) == before


async def test_a_store_key_works_only_its_own_location(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 1, "10")]))
    fid = (await queue(api, admin, "WH-HAM"))["edges"][0]["node"]["id"]
    berlin = await store_key(api, "ST-BER")
    before = await snapshot(api.db)
    payload = await do(api, berlin, ACCEPT, id=fid)
    assert [e["code"] for e in payload["errors"]] == ["PERMISSION_DENIED"]
    body = await api.run(berlin, QUEUE, {"loc": "WH-HAM"})
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert await snapshot(api.db) == before
    storefront = await make_key(api.db, Role.STOREFRONT, channel="web")
    body = await api.run(storefront, ACCEPT, {"id": fid})
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


@pytest.mark.parametrize(
    ("reason", "gone"),
    [("OUT_OF_STOCK", "rejected_out_of_stock"), ("DAMAGED", "rejected_damaged"), ("NO_CAPACITY", None)],
)
async def test_a_rejection_sends_the_units_elsewhere_and_corrects_stock_for_missing_units(api, admin, reason, gone):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-1", "WH-FRA", 5)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    hamburg = await store_key(api, "WH-HAM")
    fid = (await queue(api, hamburg, "WH-HAM"))["edges"][0]["node"]["id"]
    rejected = await ok(api, hamburg, REJECT, id=fid, reason=reason, note="shelf empty")
    assert rejected["status"] == "REJECTED"
    after = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]
    assert [(f["location"]["code"], f["status"]) for f in after["fulfilments"]] == [
        ("WH-HAM", "REJECTED"),
        ("WH-FRA", "ASSIGNED"),
    ]
    assert after["status"] == "ROUTED"
    assert [e["type"] for e in after["events"]][-2:] == ["FULFILMENT_REJECTED", "ORDER_REROUTED"]
    assert await stock(api, "SKU-1", "WH-HAM") == ((3, 0, 0, 2) if gone else (5, 0, 0, 2))
    assert await stock(api, "SKU-1", "WH-FRA") == (5, 2, 2, 2)
    assert await ledger(api, "SKU-1", "WH-HAM") == ([("sync", 5), (gone, -2)] if gone else [("sync", 5)])


async def test_a_rejection_after_a_recount_below_the_reservation_writes_off_only_what_was_there(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-1", "WH-FRA", 5)]})
    await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 3, "10")]))
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 1)]})  # 3 reserved, 1 found
    hamburg = await store_key(api, "WH-HAM")
    fid = (await queue(api, hamburg, "WH-HAM"))["edges"][0]["node"]["id"]
    await ok(api, hamburg, REJECT, id=fid, reason="OUT_OF_STOCK", note=None)
    assert await stock(api, "SKU-1", "WH-HAM") == (0, 0, 0, 3)  # the 3 units are routed to Frankfurt
    # The ledger adds up to onHand: the write-off is the one unit there was, not the three reserved.
    assert await ledger(api, "SKU-1", "WH-HAM") == [("sync", 5), ("sync", -4), ("rejected_out_of_stock", -1)]


async def test_a_short_pick_sends_the_missing_units_elsewhere(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-1", "WH-FRA", 5)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 3, "10")]))
    hamburg = await store_key(api, "WH-HAM")
    fid = (await queue(api, hamburg, "WH-HAM"))["edges"][0]["node"]["id"]
    await ok(api, hamburg, ACCEPT, id=fid)
    bad = await do(api, hamburg, PICK, id=fid, lines=[{"sku": "SKU-1", "quantity": 4}])
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID_INPUT", ["lines", "0", "quantity"])]
    picked = await ok(api, hamburg, PICK, id=fid, lines=[{"sku": "SKU-1", "quantity": 2}])
    assert picked["status"] == "PICKED"
    after = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]
    assert [(f["location"]["code"], f["status"], f["lines"]) for f in after["fulfilments"]] == [
        ("WH-HAM", "PICKED", [{"sku": "SKU-1", "quantity": 3, "quantityPicked": 2}]),
        ("WH-FRA", "ASSIGNED", [{"sku": "SKU-1", "quantity": 1, "quantityPicked": None}]),
    ]
    assert after["status"] == "IN_FULFILMENT"
    assert await stock(api, "SKU-1", "WH-HAM") == (4, 2, 2, 3)
    assert await ledger(api, "SKU-1", "WH-HAM") == [("sync", 5), ("short_pick", -1)]


async def test_a_short_pick_with_no_other_stock_leaves_the_order_backordered(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 2)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    fid = (await queue(api, admin, "WH-HAM"))["edges"][0]["node"]["id"]
    await ok(api, admin, ACCEPT, id=fid)
    await ok(api, admin, PICK, id=fid, lines=[{"sku": "SKU-1", "quantity": 1}])
    after = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]
    assert after["status"] == "BACKORDERED"
    assert await stock(api, "SKU-1", "WH-HAM") == (1, 1, 1, 2)  # the missing unit is promised again


async def test_cancelling_an_order_in_fulfilment_gives_everything_back(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    fid = (await queue(api, admin, "WH-HAM"))["edges"][0]["node"]["id"]
    await ok(api, admin, ACCEPT, id=fid)
    await ok(api, admin, PICK, id=fid, lines=[{"sku": "SKU-1", "quantity": 2}])
    await ok(api, admin, PACK, id=fid, parcels=[{"weightGrams": 500}])
    done = (await api.data(admin, CANCEL_ORDER, {"id": order["id"], "reason": "customer called"}))["cancelOrder"]
    assert done["errors"] == [] and done["order"]["status"] == "CANCELLED"
    after = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]
    assert [(f["status"], f["shipment"]) for f in after["fulfilments"]] == [("CANCELLED", {"status": "CANCELLED"})]
    assert await stock(api, "SKU-1", "WH-HAM") == (5, 0, 0, 0)
    await book(api, fid)  # the booking message arriving late books nothing
    async with api.db.read() as session:
        assert await session.scalar(select(func.count()).where(Shipment.status == "BOOKED")) == 0


async def test_the_queue_pages_oldest_first(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 9)]})
    numbers = [
        (await placed_and_routed(api, admin, order_input(f"k{i}", [("SKU-1", 1, "10")])))["number"] for i in range(3)
    ]
    first = await queue(api, admin, "WH-HAM", first=2)
    rest = await queue(api, admin, "WH-HAM", first=2, after=first["pageInfo"]["endCursor"])
    assert first["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]
    assert [e["node"]["order"]["number"] for e in first["edges"] + rest["edges"]] == numbers


TABLET_QUEUES = [  # what a tablet asks of its queue: directly, and through fragments
    """query($loc: String!) { fulfilments(locationCode: $loc, first: 10) {
      edges { node { id status lines { sku quantity } shipment { status } } } } }""",
    """query($loc: String!) { fulfilments(locationCode: $loc, first: 10) { edges { node { id status ...Work } } } }
    fragment Work on Fulfilment { lines { sku quantity } ... on Fulfilment { shipment { status } } }""",
]


async def test_the_queue_reads_a_page_with_its_lines_and_shipments_in_one_transaction(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 9), level("SKU-2", "WH-HAM", 9)]})
    for i in range(3):
        await placed_and_routed(api, admin, order_input(f"k{i}", [("SKU-1", 1, "10"), ("SKU-2", i + 1, "5")]))
    fid = (await queue(api, admin, "WH-HAM"))["edges"][0]["node"]["id"]
    await ok(api, admin, ACCEPT, id=fid)
    await ok(api, admin, PICK, id=fid, lines=[{"sku": "SKU-1", "quantity": 1}, {"sku": "SKU-2", "quantity": 1}])
    await ok(api, admin, PACK, id=fid, parcels=[{"weightGrams": 500}])
    for query in TABLET_QUEUES:
        with counting_transactions(api.db) as begun:
            page = (await api.data(admin, query, {"loc": "WH-HAM"}))["fulfilments"]["edges"]
        assert [(e["node"]["lines"], e["node"]["shipment"]) for e in page] == [
            ([{"sku": "SKU-1", "quantity": 1}, {"sku": "SKU-2", "quantity": n}], shipment)
            for n, shipment in [(1, {"status": "BOOKING"}), (2, None), (3, None)]
        ]
        reads = [[s.split("FROM")[1].split()[0] for s in statements] for statements in begun]
        # one transaction; the page is found by its location's code (the location alone only when it is empty)
        assert reads == [["fulfilments", "fulfilment_lines", "shipments"]]


async def shipped_delivery(api, admin, key="k1"):  # type: ignore[no-untyped-def]
    """A routed delivery of 2 × SKU-1 from Hamburg, packed and booked; (order, fulfilment id, tracking)."""
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await placed_and_routed(api, admin, order_input(key, [("SKU-1", 2, "10")]))
    fid = (await queue(api, admin, "WH-HAM"))["edges"][0]["node"]["id"]
    await ok(api, admin, ACCEPT, id=fid)
    await ok(api, admin, PICK, id=fid, lines=[{"sku": "SKU-1", "quantity": 2}])
    await ok(api, admin, PACK, id=fid, parcels=[{"weightGrams": 500}])
    await book(api, fid)
    tracking = (
        await api.data(
            admin, f'query {{ node(id: "{fid}") {{ ... on Fulfilment {{ shipment {{ trackingNumber }} }} }} }}'
        )
    )["node"]["shipment"]["trackingNumber"]
    return order, fid, tracking


async def test_carrier_tracking_hands_over_and_delivers_and_completes_the_order(api, admin):
    order, fid, number = await shipped_delivery(api, admin)
    moved = await tracking(api, {"trackingNumber": number, "status": "IN_TRANSIT"})
    assert moved.status_code == 200 and moved.json() == {"trackingNumber": number, "status": "IN_TRANSIT"}
    assert await stock(api, "SKU-1", "WH-HAM") == (3, 0, 0, 0)  # the driver's scan is the handover
    assert (await tracking(api, {"trackingNumber": number, "status": "IN_TRANSIT"})).status_code == 200  # repeat
    assert (await tracking(api, {"trackingNumber": number, "status": "DELIVERED"})).status_code == 200
    after = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]
    assert after["status"] == "COMPLETED"
    assert [(f["status"], f["shipment"]) for f in after["fulfilments"]] == [("DELIVERED", {"status": "DELIVERED"})]
    assert [e["type"] for e in after["events"]][-5:] == [
        "FULFILMENT_SHIPPED",
        "SHIPMENT_IN_TRANSIT",
        "PAYMENT_REQUESTED",
        "FULFILMENT_DELIVERED",
        "SHIPMENT_DELIVERED",
    ]
    assert await ledger(api, "SKU-1", "WH-HAM") == [("sync", 5), ("shipped", -2)]


async def test_a_tracking_webhook_without_the_right_signature_is_401_and_changes_nothing(api, admin):
    _, _, number = await shipped_delivery(api, admin)
    before = await snapshot(api.db)
    body = {"trackingNumber": number, "status": "DELIVERED"}
    assert (await tracking(api, body, secret=None)).status_code == 401
    assert (await tracking(api, body, secret="not-the-secret")).status_code == 401
    raw = json.dumps(body).encode()
    tampered = await api.client.post(
        "/webhooks/carriers/courier",
        content=raw.replace(b"DELIVERED", b"FAILED"),
        headers={HEADER: sign(WEBHOOK_SECRET, raw)},
    )
    assert tampered.status_code == 401
    assert (await tracking(api, {"trackingNumber": "CR-NOPE", "status": "DELIVERED"})).status_code == 404
    assert (await tracking(api, {"trackingNumber": number, "status": "LOST"})).status_code == 400
    assert (await tracking(api, body, carrier="other")).status_code == 404
    assert await snapshot(api.db) == before


async def sweep(api, now):  # type: ignore[no-untyped-def]
    """The scheduled sweep at a given time (what fulfilment.sweep does, with the clock injected)."""
    within = timedelta(minutes=30)
    async with api.db.read() as session:
        stale = await fulfilment_sweep.stale_assignments(session, now=now, accept_within=within)
        expired = await fulfilment_sweep.expired_pickups(session, now=now)
    for fid in stale:
        async with api.db.write() as session:
            await fulfilment_sweep.reassign_if_stale(session, fulfilment_id=fid, now=now, accept_within=within)
    for fid in expired:
        async with api.db.write() as session:
            await fulfilment_sweep.expire_pickup(session, fulfilment_id=fid, now=now)
    return len(stale), len(expired)


async def test_an_assignment_not_accepted_in_time_goes_elsewhere(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-1", "WH-FRA", 5)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    before = await snapshot(api.db)
    assert await sweep(api, utcnow() + timedelta(minutes=29)) == (0, 0)
    assert await snapshot(api.db) == before
    assert await sweep(api, utcnow() + timedelta(minutes=31)) == (1, 0)
    after = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]
    assert [(f["location"]["code"], f["status"]) for f in after["fulfilments"]] == [
        ("WH-HAM", "REJECTED"),
        ("WH-FRA", "ASSIGNED"),
    ]
    rejected = next(e for e in after["events"] if e["type"] == "FULFILMENT_REJECTED")
    assert rejected["data"]["reason"] == "NO_CAPACITY"
    assert await stock(api, "SKU-1", "WH-HAM") == (5, 0, 0, 2)  # nothing was missing there


async def test_an_uncollected_pickup_expires_and_its_units_go_back_to_the_shelf(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "ST-MUC", 3)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-2", 2, "10")], pickup="ST-MUC"))
    fid = (await queue(api, admin, "ST-MUC"))["edges"][0]["node"]["id"]
    await ok(api, admin, ACCEPT, id=fid)
    await ok(api, admin, PICK, id=fid, lines=[{"sku": "SKU-2", "quantity": 2}])
    await ok(api, admin, READY, id=fid)
    assert await sweep(api, utcnow() + timedelta(days=6)) == (0, 0)
    assert await sweep(api, utcnow() + timedelta(days=8)) == (0, 1)
    after = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]
    assert after["status"] == "CANCELLED"
    assert [f["status"] for f in after["fulfilments"]] == ["CANCELLED"]
    assert after["lines"] == [{"sku": "SKU-2", "quantityShipped": 0, "quantityCancelled": 2}]
    assert await stock(api, "SKU-2", "ST-MUC") == (3, 0, 0, 0)
    assert await pay(api, order["id"]) == 1  # the void the cancellation asked for
    payment = await api.data(admin, f'query {{ order(id: "{order["id"]}") {{ paymentStatus }} }}')
    assert payment["order"]["paymentStatus"] == "VOIDED"


async def test_a_rejected_pickup_cancels_its_units_there_being_no_other_store_to_hand_them_out(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "ST-MUC", 3)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-2", 2, "10")], pickup="ST-MUC"))
    munich = await store_key(api, "ST-MUC")
    fid = (await queue(api, munich, "ST-MUC"))["edges"][0]["node"]["id"]
    await ok(api, munich, REJECT, id=fid, reason="DAMAGED")
    after = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]
    assert after["status"] == "CANCELLED"
    assert [e["type"] for e in after["events"]][-4:] == [
        "ORDER_REDUCED",
        "ORDER_CANCELLED",
        "PAYMENT_REQUESTED",
        "FULFILMENT_REJECTED",
    ]
    assert await stock(api, "SKU-2", "ST-MUC") == (1, 0, 0, 0)
    assert await ledger(api, "SKU-2", "ST-MUC") == [("sync", 3), ("rejected_damaged", -2)]


async def test_units_a_recount_says_are_not_there_cannot_be_shipped_until_the_count_is_corrected(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "ST-MUC", 3)]})
    await placed_and_routed(api, admin, order_input("k1", [("SKU-2", 2, "10")], pickup="ST-MUC"))
    fid = (await queue(api, admin, "ST-MUC"))["edges"][0]["node"]["id"]
    await ok(api, admin, ACCEPT, id=fid)
    await ok(api, admin, PICK, id=fid, lines=[{"sku": "SKU-2", "quantity": 2}])
    ready = await ok(api, admin, READY, id=fid)
    code = ready["pickupCode"]
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "ST-MUC", 1)]})  # the count says 1
    before = await snapshot(api.db)
    refused = await do(api, admin, COLLECT, id=fid, code=code)
    assert [e["code"] for e in refused["errors"]] == ["INSUFFICIENT_STOCK"]
    assert await snapshot(api.db) == before
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "ST-MUC", 2)]})
    assert (await ok(api, admin, COLLECT, id=fid, code=code))["status"] == "COLLECTED"
    assert await stock(api, "SKU-2", "ST-MUC") == (0, 0, 0, 0)
