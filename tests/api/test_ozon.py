"""The Ozon connector (Seller API, FBS) against a fake Ozon on loopback that follows its documentation: a
page of new postings becomes orders once however often the poll runs; a posting cancelled at Ozon cancels its
order and frees its stock (and is not cancelled back); an order cancelled here cancels its posting; a posting
oms-graph cannot serve is cancelled at Ozon as out of stock; the channel's figures go out in Ozon's batches of
100, what Ozon answers TOO_MANY_REQUESTS goes again later, and a 429 is waited out; a packed posting is
shipped at Ozon once and carries Ozon's label."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from oms_graph.adapters.carriers import CarrierError
from oms_graph.api.node import decode_id, encode_id
from oms_graph.db.base import utcnow
from oms_graph.db.models import Connector, Order, Shipment
from oms_graph.events.relay import OutboxRelay, marketplace_handlers
from oms_graph.services import marketplaces
from oms_graph.tasks import actors as tasks
from oms_graph.tasks.broker import build_broker
from oms_graph.tasks.marketplaces import cancel_posting, poll_marketplaces
from tests.api.test_carriers import shipment
from tests.conftest import actor_settings
from tests.factories import CANCEL_ORDER, SET_STOCK, UPSERT_CHANNELS, UPSERT_PRODUCTS, atp, channel, level, product
from tests.fakes.ozon import API_KEY, CLIENT_ID, LABEL, WAREHOUSE, FakeOzon, posting, returned
from tests.fulfilment_steps import ACCEPT, PACK, PICK, SHIP, book, chain_admin, ok, queue, routed

SAVE = """mutation($input: ConnectorInput!) { saveConnector(input: $input) { errors { code field message } } }"""
HEALTH = """{ connectors(kind: MARKETPLACE) { name health lastError calls(first: 20) { operation ok } } }"""
HAND_OVER = {"line1": "Ozon sort centre, Am Zoll 3", "city": "Berlin", "postalCode": "10117", "country": "DE"}


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, UPSERT_CHANNELS, {"input": [channel("ozon", kind="MARKETPLACE", currency="RUB")]})
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-2", "WH-HAM", 3)]})
    return key


@pytest.fixture
async def fake(api, admin):  # type: ignore[no-untyped-def]
    server = FakeOzon().start()
    settings = {
        "baseUrl": server.base_url,
        "channel": "ozon",
        "warehouseId": WAREHOUSE,
        "handOver": HAND_OVER,
        "pageSize": 2,
    }
    connector = {
        "name": "ozon",
        "kind": "MARKETPLACE",
        "adapter": "ozon",
        "settings": settings,
        "secrets": {"clientId": CLIENT_ID, "apiKey": API_KEY},
    }
    assert (await api.data(admin, SAVE, {"input": connector}))["saveConnector"]["errors"] == []
    tasks.register(build_broker(None), settings=actor_settings(api.db))
    yield server
    server.stop()


def minutes_ago(n: int) -> str:
    return (utcnow() - timedelta(minutes=n)).isoformat().replace("+00:00", "Z")


async def orders_of(api):  # type: ignore[no-untyped-def]
    async with api.db.read() as session:
        found = await session.scalars(select(Order).order_by(Order.external_id))
        return [(o.external_id, o.status, o.total) for o in found]


async def test_a_page_of_new_postings_becomes_orders_once(api, admin, fake):
    fake.postings = [
        posting("05708065-0029-1", [("SKU-1", 1, "1390.00")], minutes_ago(30)),
        posting("05708065-0030-1", [("SKU-1", 2, "1390.00"), ("SKU-2", 1, "990.00")], minutes_ago(20)),
        posting("05708065-0031-1", [("SKU-2", 1, "990.00")], minutes_ago(10)),
    ]
    await poll_marketplaces()
    await poll_marketplaces()  # the second poll finds them again: nothing new
    assert await orders_of(api) == [
        ("05708065-0029-1", "PLACED", pytest.approx(1390)),
        ("05708065-0030-1", "PLACED", pytest.approx(3770)),
        ("05708065-0031-1", "PLACED", pytest.approx(990)),
    ]
    assert await atp(api, admin, "SKU-1") == 2 and await atp(api, admin, "SKU-2") == 1
    first = [body["offset"] for body in fake.lists if body["filter"].get("status") is None][:2]
    assert first == [0, 2]  # two pages of two
    assert fake.cancels == []
    (connector,) = (await api.data(admin, HEALTH))["connectors"]
    assert connector["health"] == "OK"
    assert {c["operation"] for c in connector["calls"]} == {"pull", "stock"}


async def test_a_posting_cancelled_at_ozon_cancels_its_order_and_frees_its_stock(api, admin, fake):
    fake.postings = [posting("05708065-0040-1", [("SKU-1", 2, "1390.00")], minutes_ago(5))]
    await poll_marketplaces()
    assert await atp(api, admin, "SKU-1") == 3
    fake.cancel_at_ozon("05708065-0040-1")
    await poll_marketplaces()
    assert await orders_of(api) == [("05708065-0040-1", "CANCELLED", pytest.approx(2780))]
    assert await atp(api, admin, "SKU-1") == 5
    async with api.db.read() as session:
        order_id = await session.scalar(select(Order.id))
    await cancel_posting(str(order_id))  # what the relay sends for ORDER_CANCELLED: Ozon made it, so nothing
    assert fake.cancels == []


async def test_an_order_cancelled_here_cancels_its_posting(api, admin, fake):
    fake.postings = [posting("05708065-0050-1", [("SKU-1", 1, "1390.00")], minutes_ago(5))]
    await poll_marketplaces()
    async with api.db.read() as session:
        order_id = await session.scalar(select(Order.id))
    cancelled = await api.data(admin, CANCEL_ORDER, {"id": encode_id("Order", order_id), "reason": "damaged"})
    assert cancelled["cancelOrder"]["errors"] == []
    handed: list[str] = []  # what the relay hands the marketplace.cancel actor
    relay = OutboxRelay(api.db, marketplace_handlers(handed.append))
    while await relay.relay_once():
        pass
    assert handed == [str(order_id)]  # ORDER_CANCELLED only: the placement went to no marketplace actor
    await cancel_posting(handed[0])
    (sent,) = fake.cancels
    assert sent["posting_number"] == "05708065-0050-1" and sent["cancel_reason_id"] == 402
    assert fake.postings[0]["status"] == "cancelled"
    await poll_marketplaces()  # Ozon's cancelled posting then changes nothing here
    assert [s for _, s, _ in await orders_of(api)] == ["CANCELLED"] and len(fake.cancels) == 1


async def test_a_posting_that_cannot_be_served_is_cancelled_at_ozon(api, admin, fake):
    fake.postings = [posting("05708065-0060-1", [("SKU-1", 9, "1390.00")], minutes_ago(5))]  # 5 in stock
    await poll_marketplaces()
    assert await orders_of(api) == []
    (sent,) = fake.cancels
    assert sent["posting_number"] == "05708065-0060-1" and sent["cancel_reason_id"] == 352  # out of stock
    await poll_marketplaces()
    assert len(fake.cancels) == 1  # cancelled at Ozon now: not taken, not cancelled again


async def test_stock_goes_out_in_ozons_batches_and_what_it_refuses_goes_again(api, admin, fake):
    many = [product(f"BULK-{i:03}") for i in range(230)]
    assert (await api.data(admin, UPSERT_PRODUCTS, {"input": many}))["upsertProducts"]["errors"] == []
    fake.limit_next = 1  # the first request hits the per-second limit
    await poll_marketplaces()
    assert fake.limited == 1
    assert [len(r) for r in fake.stock_requests] == [100, 100, 33]  # 233 products, 100 at most per request
    assert fake.stocks["SKU-1", WAREHOUSE] == 5 and fake.stocks["BULK-000", WAREHOUSE] == 0
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 7)]})
    await poll_marketplaces()  # within Ozon's 30 s for SKU-1: refused, kept for the next push
    assert fake.stock_requests[-1] == [{"offer_id": "SKU-1", "stock": 7, "warehouse_id": WAREHOUSE}]
    assert fake.stocks["SKU-1", WAREHOUSE] == 5
    fake.stocked_at["SKU-1", WAREHOUSE] -= 31  # Ozon's 30 s have passed
    await poll_marketplaces()
    assert fake.stocks["SKU-1", WAREHOUSE] == 7
    await poll_marketplaces()  # nothing moved: nothing sent
    assert len(fake.stock_requests) == 5


async def test_ozon_carries_its_postings_with_its_own_label(api, admin, fake):
    fake.postings = [posting("05708065-0070-1", [("SKU-1", 2, "1390.00")], minutes_ago(5))]
    fake.label_after = 1  # Ozon has the label a moment after the posting is shipped
    await poll_marketplaces()
    async with api.db.read() as session:
        order_id = await session.scalar(select(Order.id))
    await routed(api, encode_id("Order", order_id))
    fid = (await queue(api, admin, "WH-HAM"))["edges"][0]["node"]["id"]
    await ok(api, admin, ACCEPT, id=fid)
    await ok(api, admin, PICK, id=fid, lines=[{"sku": "SKU-1", "quantity": 2}])
    await ok(api, admin, PACK, id=fid, parcels=[{"weightGrams": 1000}])
    with pytest.raises(CarrierError, match="not ready"):
        await book(api, fid)  # the first try: shipped at Ozon, the label not ready (retried with backoff)
    await book(api, fid)  # the retry: not shipped again, the label taken
    assert await shipment(api, fid) == ("BOOKED", "05708065-0070-1", "ozon")
    (shipped,) = fake.shipped
    assert shipped["packages"] == [{"products": [{"product_id": 1203402851, "quantity": 2}]}]
    async with api.db.read() as session:
        shipment_id = await session.scalar(select(Shipment.id).where(Shipment.fulfilment_id == decode_id(fid)[1]))
    label = await api.client.get(
        f"/documents/shipments/{encode_id('Shipment', shipment_id)}/label.pdf",
        headers={"authorization": f"Bearer {admin}"},
    )
    assert label.status_code == 200 and label.content == LABEL


RETURNS = """query($id: ID) { order(id: $id) { returns { status requestedBy lines { sku quantity reason } } } }"""


async def test_a_return_sent_back_through_ozon_is_opened_once(api, admin, fake):
    fake.postings = [
        posting("05708065-0080-1", [("SKU-1", 2, "1390.00")], minutes_ago(9)),
        posting("05708065-0081-1", [("SKU-2", 1, "990.00")], minutes_ago(8)),
    ]
    await poll_marketplaces()
    async with api.db.read() as session:
        order_id = await session.scalar(select(Order.id).where(Order.external_id == "05708065-0080-1"))
    await routed(api, encode_id("Order", order_id))
    fid = next(e["node"]["id"] for e in (await queue(api, admin, "WH-HAM"))["edges"])
    for step, extra in ((ACCEPT, {}), (PICK, {"lines": [{"sku": "SKU-1", "quantity": 2}]})):
        await ok(api, admin, step, id=fid, **extra)
    await ok(api, admin, PACK, id=fid, parcels=[{"weightGrams": 1000}])
    await book(api, fid)  # Ozon's label
    await ok(api, admin, SHIP, id=fid)
    fake.returns = [
        returned(1000015552, "05708065-0080-1", "SKU-1", 1, minutes_ago(2)),
        returned(1000015553, "05708065-0081-1", "SKU-2", 1, minutes_ago(1)),  # never shipped here
    ]
    async with api.db.read() as session:
        cursor = (await session.scalar(select(Connector.state)))["since"]
    await poll_marketplaces()
    await poll_marketplaces()  # listed again: still one return
    found = (await api.data(admin, RETURNS, {"id": encode_id("Order", order_id)}))["order"]["returns"]
    assert found == [
        {
            "status": "REQUESTED",
            "requestedBy": "connector:ozon",
            "lines": [{"sku": "SKU-1", "quantity": 1, "reason": "Не подошёл размер"}],
        }
    ]
    async with api.db.read() as session:
        other = await session.scalar(select(Order.id).where(Order.external_id == "05708065-0081-1"))
        state = await session.scalar(select(Connector.state))
    assert (await api.data(admin, RETURNS, {"id": encode_id("Order", other)}))["order"]["returns"] == []
    assert state["since"] == cursor  # that return is not dropped: the pull stays to be tried again


async def test_a_connector_another_process_is_polling_is_left_to_it(api, admin, fake):
    fake.postings = [posting("05708065-0090-1", [("SKU-1", 1, "1390.00")], minutes_ago(5))]
    async with api.db.write() as session:
        connector_id = await session.scalar(select(Connector.id))
        assert await marketplaces.take_turn(
            session, connector_id=connector_id, now=utcnow(), hold=timedelta(minutes=10)
        )
    await poll_marketplaces()  # another process holds the turn: nothing asked, nothing placed
    assert fake.lists == [] and await orders_of(api) == []
    async with api.db.write() as session:  # that process died: its hold runs out
        await marketplaces.keep_state(session, connector_id=connector_id, heldUntil=minutes_ago(1))
    await poll_marketplaces()
    assert [external for external, _, _ in await orders_of(api)] == ["05708065-0090-1"]
    await poll_marketplaces()  # the turn was given back at the end of the poll
    assert len([body for body in fake.lists if body["filter"].get("status") is None]) == 2


async def test_a_posting_refused_for_another_reason_waits_and_is_not_cancelled(api, admin, fake):
    fake.postings = [
        posting("05708065-0100-1", [("SKU-1", 0, "1390.00")], minutes_ago(6)),  # no unit: a bad posting
        posting("05708065-0101-1", [("SKU-9", 1, "990.00")], minutes_ago(5)),  # a sku the chain does not sell
        posting("05708065-0102-1", [("SKU-2", 1, "990.00")], minutes_ago(4)),
    ]
    await poll_marketplaces()
    assert [external for external, _, _ in await orders_of(api)] == ["05708065-0102-1"]  # the rest go on
    (cancelled,) = fake.cancels  # only what the chain cannot serve is cancelled at Ozon
    assert cancelled["posting_number"] == "05708065-0101-1" and cancelled["cancel_reason_id"] == 402
    (connector,) = (await api.data(admin, HEALTH))["connectors"]
    assert {"operation": "pull", "ok": False} in connector["calls"] and "1 postings or returns refused" in connector[
        "lastError"
    ]
    async with api.db.read() as session:
        assert "since" not in (await session.scalar(select(Connector.state)) or {})  # asked again next poll
    await poll_marketplaces()
    assert len(fake.cancels) == 1 and len(await orders_of(api)) == 1


async def test_a_hand_over_address_a_placed_order_could_not_have_is_refused(api, admin, fake):
    bad = HAND_OVER | {"country": "Germany"}
    connector = {"name": "ozon2", "kind": "MARKETPLACE", "adapter": "ozon", "secrets": {"clientId": "1", "apiKey": "k"}}
    settings = {"baseUrl": fake.base_url, "channel": "ozon", "warehouseId": WAREHOUSE, "handOver": bad}
    saved = await api.data(admin, SAVE, {"input": connector | {"settings": settings}})
    assert [e["field"] for e in saved["saveConnector"]["errors"]] == [["input", "settings", "handOver", "country"]]
    assert [c["name"] for c in (await api.data(admin, HEALTH))["connectors"]] == ["ozon"]
