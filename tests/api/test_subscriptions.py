"""Subscriptions over a real WebSocket (graphql-transport-ws): order events in commit order through an
order's life, orders and fulfilment queues as they change, stock, role scopes, and resuming with
`after` without a gap or a duplicate."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import PLACE_ORDER, SET_STOCK, level, order_input
from tests.fulfilment_steps import DELIVERY_LIFE, chain_admin, routed, shipped, store_key
from tests.live import PROTOCOL, Live, errors_of, ws_url

EVENTS = """subscription($channel: String, $loc: String, $after: ID) {
  orderEvents(channel: $channel, locationCode: $loc, after: $after) { id orderId orderNumber type actor data } }"""
ORDER = "subscription($id: ID!) { orderUpdated(id: $id) { number status fulfilments { status } } }"
QUEUE = "subscription($loc: String!) { fulfilmentUpdated(locationCode: $loc) { id status location { code } } }"
STOCK = """subscription($skus: [String!], $loc: String) {
  stockChanged(skus: $skus, locationCode: $loc) { sku location { code } onHand reserved available } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 50)]})
    return key


def base(api) -> str:  # type: ignore[no-untyped-def]
    return str(api.client.base_url)


async def place(api, key, idempotency_key, **extra):  # type: ignore[no-untyped-def]
    placed = (await api.data(key, PLACE_ORDER, {"input": order_input(idempotency_key, **extra)}))["placeOrder"]
    assert placed["errors"] == [], placed["errors"]
    return placed["order"]


async def events_of(live, n):  # type: ignore[no-untyped-def]
    return [(await live.data())["orderEvents"] for _ in range(n)]


async def test_order_events_arrive_in_commit_order_through_an_orders_life(api, admin):
    live = await Live.connect(base(api), admin)
    await live.subscribe(EVENTS)
    order = await place(api, admin, "k1")
    await routed(api, order["id"])
    await shipped(api, admin, order["id"])
    got = await events_of(live, len(DELIVERY_LIFE))
    assert [e["type"] for e in got] == DELIVERY_LIFE
    assert {(e["orderId"], e["orderNumber"]) for e in got} == {(order["id"], order["number"])}
    assert [int(e["id"]) for e in got] == sorted(int(e["id"]) for e in got)
    await live.close()


async def test_an_order_is_pushed_each_time_it_changes(api, admin):
    order = await place(api, admin, "k1")
    live = await Live.connect(base(api), admin)
    await live.subscribe(ORDER, id=order["id"])
    await asyncio.sleep(0.3)  # the subscription is live before the change
    await routed(api, order["id"])
    update = (await live.data())["orderUpdated"]
    if update["status"] == "PLACED":  # ORDER_PLACED reached the stream after the subscription began (slow CI)
        update = (await live.data())["orderUpdated"]
    assert (update["status"], update["fulfilments"]) == ("ROUTED", [{"status": "ASSIGNED"}])
    await live.close()


async def test_a_store_sees_its_own_queue_change_and_nothing_of_other_locations(api, admin):
    hamburg = await store_key(api, "WH-HAM")
    live = await Live.connect(base(api), hamburg)
    await live.subscribe(QUEUE, loc="WH-HAM")
    other = await live.subscribe(QUEUE, loc="ST-BER")
    refused = await live.next()
    assert refused["id"] == other and errors_of(refused)[0]["extensions"]["code"] == "PERMISSION_DENIED"
    await asyncio.sleep(0.3)  # the first subscription is live before the change (the refusal can come first)
    order = await place(api, admin, "k1")
    await routed(api, order["id"])
    assigned = (await live.data())["fulfilmentUpdated"]
    assert (assigned["status"], assigned["location"]) == ("ASSIGNED", {"code": "WH-HAM"})
    await live.close()


async def test_a_storefront_follows_only_its_channels_orders(api, admin):
    pos = await make_key(api.db, Role.STOREFRONT, channel="pos")
    live = await Live.connect(base(api), pos)
    refused_id = await live.subscribe(EVENTS, channel="web")
    refused = await live.next()
    assert refused["id"] == refused_id and errors_of(refused)[0]["extensions"]["code"] == "PERMISSION_DENIED"
    await live.subscribe(EVENTS)
    await place(api, admin, "web-1")  # not its channel: never seen
    mine = await place(api, admin, "pos-1", channel="pos")
    first = (await live.data())["orderEvents"]
    assert (first["orderId"], first["type"]) == (mine["id"], "ORDER_PLACED")
    await live.close()


async def test_resuming_with_after_replays_what_was_missed_then_goes_live_without_gap_or_duplicate(api, admin):
    live = await Live.connect(base(api), admin)
    await live.subscribe(EVENTS)
    first = await place(api, admin, "k1")
    seen = await events_of(live, 1)
    await live.close()  # the client goes away; meanwhile the order moves on and another is placed
    await routed(api, first["id"])
    second = await place(api, admin, "k2")
    back = await Live.connect(base(api), admin)
    await back.subscribe(EVENTS, after=seen[-1]["id"])
    third = await place(api, admin, "k3")  # while the missed ones are replayed
    got = await events_of(back, 3)
    assert [(e["orderId"], e["type"]) for e in got] == [
        (first["id"], "ORDER_ROUTED"),
        (second["id"], "ORDER_PLACED"),
        (third["id"], "ORDER_PLACED"),
    ]
    with pytest.raises(TimeoutError):
        await back.next(wait=1.5)  # nothing twice
    await back.close()


async def test_after_an_unknown_event_is_an_error_the_client_can_read(api, admin):
    live = await Live.connect(base(api), admin)
    sid = await live.subscribe(EVENTS, after="999999999")
    message = await live.next()
    assert message["id"] == sid and errors_of(message)[0]["extensions"]["code"] == "INVALID_INPUT"
    await live.close()


async def test_stock_changes_are_pushed_for_the_skus_asked_for(api, admin):
    live = await Live.connect(base(api), admin)
    await live.subscribe(STOCK, skus=["SKU-2"])
    await asyncio.sleep(0.8)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 7), level("SKU-2", "WH-HAM", 9)]})
    change = (await live.data())["stockChanged"]
    assert change == {"sku": "SKU-2", "location": {"code": "WH-HAM"}, "onHand": 9, "reserved": 0, "available": 9}
    await live.close()


async def test_protocol_errors_are_answered_per_graphql_transport_ws(api, admin):
    async with websockets.connect(ws_url(base(api)), subprotocols=[PROTOCOL]) as ws:  # subscribe before init
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": EVENTS}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4401
    live = await Live.connect(base(api), admin)
    await live.subscribe(EVENTS)
    live.count = 0
    await live.subscribe(EVENTS)  # the same id again
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await live.next()
    assert closed.value.rcvd.code == 4409


async def test_a_subscription_outside_the_keys_role_is_denied(api, admin):
    web = await make_key(api.db, Role.STOREFRONT, channel="web")
    live = await Live.connect(base(api), web)
    for query, variables in ((STOCK, {}), (QUEUE, {"loc": "WH-HAM"})):
        sid = await live.subscribe(query, **variables)
        refused = await live.next()
        assert refused["id"] == sid and errors_of(refused)[0]["extensions"]["code"] == "PERMISSION_DENIED"
    await live.close()


FEED = "subscription { orderEvents { id type orderNumber } }"


async def feeds_running(api) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The process's shared feeds and the subscriptions they serve, from /metrics."""
    lines = (await api.client.get("/metrics")).text.splitlines()
    value = {line.split()[0]: float(line.split()[1]) for line in lines if line.startswith("oms_subscription_feed")}
    return value["oms_subscription_feeds"], value["oms_subscription_feed_members"]


async def until_feeds(api, expected: tuple[float, float]) -> None:  # type: ignore[no-untyped-def]
    for _ in range(100):
        if await feeds_running(api) == expected:
            return
        await asyncio.sleep(0.05)
    assert await feeds_running(api) == expected


async def test_subscribers_alike_share_one_feed_and_each_gets_every_event_once(api, admin):
    feeds, members = await feeds_running(api)
    lives = [await Live.connect(base(api), admin) for _ in range(3)]
    for live in lives:
        await live.subscribe(FEED)
    await until_feeds(api, (feeds + 1, members + 3))  # one execution for the three
    first = await place(api, admin, "feed-1")
    for live in lives:
        got = (await live.data())["orderEvents"]
        assert (got["type"], got["orderNumber"]) == ("ORDER_PLACED", first["number"])
    await lives[0].ws.send(json.dumps({"id": "1", "type": "complete"}))  # one leaves; the others go on
    await until_feeds(api, (feeds + 1, members + 2))
    second = await place(api, admin, "feed-2")
    for live in lives[1:]:
        assert (await live.data())["orderEvents"]["orderNumber"] == second["number"]
        with pytest.raises(TimeoutError):
            await live.next(wait=0.5)  # each event once
    with pytest.raises(TimeoutError):
        await lives[0].next(wait=0.5)
    for live in lives:
        await live.close()
    await until_feeds(api, (feeds, members))  # the feed ended with its last member


async def test_subscribers_who_may_see_different_orders_are_never_fed_together(api, admin):
    web = await make_key(api.db, Role.STOREFRONT, channel="web")
    pos = await make_key(api.db, Role.STOREFRONT, channel="pos")
    feeds, members = await feeds_running(api)
    lives = {name: await Live.connect(base(api), key) for name, key in (("admin", admin), ("web", web), ("pos", pos))}
    for live in lives.values():
        await live.subscribe(FEED)
    await until_feeds(api, (feeds + 3, members + 3))  # the same document, three scopes
    on_web = await place(api, admin, "scoped-web")
    on_pos = await place(api, admin, "scoped-pos", channel="pos")
    numbers = {name: [(await live.data())["orderEvents"]["orderNumber"]] for name, live in lives.items()}
    numbers["admin"].append((await lives["admin"].data())["orderEvents"]["orderNumber"])
    assert numbers == {
        "admin": [on_web["number"], on_pos["number"]],
        "web": [on_web["number"]],
        "pos": [on_pos["number"]],
    }
    for live in lives.values():
        await live.close()


async def test_a_document_a_feed_cannot_run_is_answered_as_a_lone_subscription_is(api, admin):
    live = await Live.connect(base(api), admin)
    sid = await live.subscribe("subscription { orderEvents { id notAField } }")
    refused = await live.next()
    assert (refused["id"], refused["type"]) == (sid, "error")
    assert "notAField" in refused["payload"][0]["message"]
    await live.close()
