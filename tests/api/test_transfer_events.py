"""What a transfer tells the world, on both databases: a store's live feed of its transfers
(`transferUpdated`), webhooks of transfers that serve no order, order feeds that skip them, the manifest
PDF that travels with the goods, and the customer's message when a pickup is delayed by a transfer."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from oms_graph.db.models import OrderEvent
from oms_graph.domain.access import Role
from tests.api.test_documents import get, pdf_text
from tests.api.test_notifications import NOTIFICATIONS, notify
from tests.api.test_webhooks import dispatch, endpoint
from tests.conftest import make_key
from tests.factories import PLACE_ORDER, SET_STOCK, level, order_input
from tests.fulfilment_steps import ORDER, REJECT, chain_admin, ok, placed_and_routed, store_key
from tests.live import Live, errors_of
from tests.transfer_steps import CREATE, T_RECEIVE, step, transfers_allowed, work_at_source

UPDATED = """subscription($loc: String!, $direction: TransferDirection) {
  transferUpdated(locationCode: $loc, direction: $direction) { number status from { code } to { code } } }"""
EVENTS = "subscription { orderEvents { type orderNumber } }"
MANIFEST = "query($id: ID!) { transfer(id: $id) { number manifestUrl } }"


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    stock = [level("SKU-1", "WH-HAM", 10), level("SKU-2", "WH-HAM", 4), level("SKU-2", "ST-MUC", 2)]
    await api.data(key, SET_STOCK, {"input": stock})
    return key


async def request(api, key, to, *lines, source="WH-HAM"):  # type: ignore[no-untyped-def]
    wanted = [{"sku": sku, "quantity": n} for sku, n in lines]
    return await step(api, key, CREATE, input={"from": source, "to": to, "lines": wanted, "reason": "refill"})


def base(api) -> str:  # type: ignore[no-untyped-def]
    return str(api.client.base_url)


async def test_a_store_follows_its_inbound_transfers_live_and_nothing_else(api, admin):
    munich = await store_key(api, "ST-MUC")
    live = await Live.connect(base(api), munich)
    await live.subscribe(UPDATED, loc="ST-MUC", direction="INBOUND")
    other = await live.subscribe(UPDATED, loc="ST-BER")
    refused = await live.next()
    assert refused["id"] == other and errors_of(refused)[0]["extensions"]["code"] == "PERMISSION_DENIED"
    await asyncio.sleep(0.3)  # the subscription is live before the changes

    await request(api, admin, "ST-BER", ("SKU-1", 2))  # another store's: never shown to Munich
    await request(api, admin, "ST-BER", ("SKU-2", 1), source="ST-MUC")  # Munich's outbound: not asked for
    mine = await request(api, admin, "ST-MUC", ("SKU-1", 3))
    await work_at_source(api, admin, mine)
    await step(api, munich, T_RECEIVE, id=mine["id"], lines=[{"sku": "SKU-1", "received": 3}])
    seen = [(await live.data())["transferUpdated"] for _ in range(6)]
    assert [s["status"] for s in seen] == ["REQUESTED", "ACCEPTED", "PICKED", "PACKED", "IN_TRANSIT", "RECEIVED"]
    assert {(s["number"], s["from"]["code"], s["to"]["code"]) for s in seen} == {(mine["number"], "WH-HAM", "ST-MUC")}
    await live.close()


async def test_outbound_transfers_are_followed_at_the_source_and_order_feeds_skip_order_less_ones(api, admin):
    hamburg = await store_key(api, "WH-HAM")
    transfers, orders = await Live.connect(base(api), hamburg), await Live.connect(base(api), admin)
    await transfers.subscribe(UPDATED, loc="WH-HAM", direction="OUTBOUND")
    await orders.subscribe(EVENTS)
    await asyncio.sleep(0.3)
    made = await request(api, admin, "ST-BER", ("SKU-1", 1))
    placed = (await api.data(admin, PLACE_ORDER, {"input": order_input("k1")}))["placeOrder"]
    assert placed["errors"] == []
    assert (await transfers.data())["transferUpdated"]["number"] == made["number"]
    # the transfer's TRANSFER_REQUESTED came first on the stream; the order feed's first event is the order's
    assert (await orders.data())["orderEvents"] == {"type": "ORDER_PLACED", "orderNumber": placed["order"]["number"]}
    await transfers.close()
    await orders.close()


async def test_a_transfer_that_serves_no_order_is_posted_to_webhooks_with_its_id(api, admin, receiver):
    await endpoint(api, admin, receiver.url, eventTypes=["TRANSFER_REQUESTED"])
    made = await request(api, admin, "ST-BER", ("SKU-1", 1))
    async with api.db.read() as session:
        event_id = await session.scalar(select(OrderEvent.id).where(OrderEvent.type == "TRANSFER_REQUESTED"))
    await dispatch(api, event_id)
    (posted,) = [json.loads(r.body) for r in receiver.received]
    assert posted["type"] == "TRANSFER_REQUESTED" and posted["orderId"] is None and posted["orderNumber"] is None
    assert posted["transferId"] is not None and posted["data"]["number"] == made["number"]


async def test_the_manifest_travels_with_the_transfer_for_the_keys_of_either_end(api, admin):
    made = await request(api, admin, "ST-BER", ("SKU-1", 3), ("SKU-2", 2))
    url = (await api.data(admin, MANIFEST, {"id": made["id"]}))["transfer"]["manifestUrl"]
    for end in ("WH-HAM", "ST-BER"):
        answer = await get(api, await make_key(api.db, Role.STORE, location=end), url)
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text, _ = pdf_text(answer.content)
    assert made["number"] in text and "WH-HAM" in text and "ST-BER" in text
    assert "SKU-1" in text and "SKU-2" in text and "5 unit(s)" in text
    assert (await get(api, await make_key(api.db, Role.STORE, location="ST-MUC"), url)).status_code == 404
    assert (await get(api, await make_key(api.db, Role.ANALYST), url)).status_code == 403
    assert (await get(api, None, url)).status_code == 401


async def test_the_customer_hears_when_a_pickup_waits_for_a_transfer(api, admin, inbox):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "ST-BER", 1)]})
    await transfers_allowed(api, admin)
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 1, "10")], pickup="ST-BER"))
    first = (await api.data(admin, ORDER, {"id": order["id"]}))["order"]["fulfilments"][0]
    await ok(api, await store_key(api, "ST-BER"), REJECT, id=first["id"], reason="OUT_OF_STOCK")
    await notify(api, order["id"], "PICKUP_DELAYED")
    await asyncio.sleep(0.2)
    (mail,) = inbox.mails
    assert mail["Subject"] == f"Your order {order['number']} will be ready later"
    body = mail.get_content()
    assert "Location ST-BER" in body and "ready for pickup by 20" in body  # the ready-by date, written out
    log = (await api.data(admin, NOTIFICATIONS, {"id": order["id"]}))["order"]["notifications"]
    assert [(n["template"], n["status"]) for n in log] == [("PICKUP_DELAYED", "SENT")]
