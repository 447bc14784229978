"""The Wildberries connector (marketplace API, FBS assembly tasks) against a fake WB on loopback that follows
its documentation: tasks become orders once (a unit each, priced from kopecks); a task the buyer cancelled
cancels its order and frees its stock; an order cancelled here cancels its task; stock goes out by barcode,
what WB does not take goes again, a 429 is waited out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from oms_graph.api.node import encode_id
from oms_graph.db.base import utcnow
from oms_graph.db.models import Order
from oms_graph.tasks import actors as tasks
from oms_graph.tasks.broker import build_broker
from oms_graph.tasks.marketplaces import cancel_posting, poll_marketplaces
from tests.api.test_ozon import HAND_OVER, SAVE, orders_of
from tests.conftest import actor_settings
from tests.factories import CANCEL_ORDER, SET_STOCK, UPSERT_CHANNELS, UPSERT_PRODUCTS, atp, channel, level, product
from tests.fakes.wildberries import TOKEN, WAREHOUSE, FakeWildberries, task
from tests.fulfilment_steps import chain_admin


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, UPSERT_CHANNELS, {"input": [channel("wb", kind="MARKETPLACE", currency="RUB")]})
    eans = [product("SKU-1", ean="4006381333931"), product("SKU-2", ean="4006381333948")]
    await api.data(key, UPSERT_PRODUCTS, {"input": eans})
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-2", "WH-HAM", 3)]})
    return key


@pytest.fixture
async def fake(api, admin):  # type: ignore[no-untyped-def]
    server = FakeWildberries().start()
    settings = {"baseUrl": server.base_url, "channel": "wb", "warehouseId": WAREHOUSE, "handOver": HAND_OVER}
    connector = {
        "name": "wb",
        "kind": "MARKETPLACE",
        "adapter": "wildberries",
        "settings": settings,
        "secrets": {"token": TOKEN},
    }
    assert (await api.data(admin, SAVE, {"input": connector}))["saveConnector"]["errors"] == []
    tasks.register(build_broker(None), settings=actor_settings(api.db))
    yield server
    server.stop()


async def test_tasks_become_orders_once(api, admin, fake):
    now = utcnow()
    fake.tasks = [
        task(13833711, "SKU-1", 139000, now - timedelta(minutes=20)),
        task(13833712, "SKU-1", 139000, now - timedelta(minutes=10)),
        task(13833713, "SKU-2", 99050, now - timedelta(minutes=5)),
    ]
    fake.limit_next = 1  # the first call meets WB's limiter
    await poll_marketplaces()
    await poll_marketplaces()
    assert await orders_of(api) == [
        ("13833711", "PLACED", pytest.approx(1390)),
        ("13833712", "PLACED", pytest.approx(1390)),
        ("13833713", "PLACED", pytest.approx(990.5)),
    ]
    assert fake.limited == 1 and await atp(api, admin, "SKU-1") == 3


async def test_a_task_the_buyer_cancelled_cancels_its_order(api, admin, fake):
    fake.tasks = [task(13833720, "SKU-1", 139000, utcnow() - timedelta(minutes=5))]
    await poll_marketplaces()
    assert await atp(api, admin, "SKU-1") == 4
    fake.statuses[13833720] = ("new", "canceled_by_client")
    await poll_marketplaces()
    assert await orders_of(api) == [("13833720", "CANCELLED", pytest.approx(1390))]
    assert await atp(api, admin, "SKU-1") == 5
    async with api.db.read() as session:
        order_id = await session.scalar(select(Order.id))
    await cancel_posting(str(order_id))
    assert fake.cancelled == []  # WB cancelled it: not cancelled back


async def test_an_order_cancelled_here_cancels_its_task(api, admin, fake):
    fake.tasks = [task(13833730, "SKU-2", 99000, utcnow() - timedelta(minutes=5))]
    await poll_marketplaces()
    async with api.db.read() as session:
        order_id = await session.scalar(select(Order.id))
    cancelled = await api.data(admin, CANCEL_ORDER, {"id": encode_id("Order", order_id), "reason": "no courier"})
    assert cancelled["cancelOrder"]["errors"] == []
    await cancel_posting(str(order_id))
    assert fake.cancelled == [13833730]


async def test_stock_goes_out_by_barcode(api, admin, fake):
    fake.known_barcodes = {"4006381333948"}  # SKU-1's card is not at WB yet
    await poll_marketplaces()
    assert fake.stocks == {"4006381333948": 3}
    assert {i["sku"] for i in fake.stock_requests[0]} == {"4006381333931", "4006381333948"}  # SKU-3: no EAN
    fake.known_barcodes = None  # the card is made
    await poll_marketplaces()  # what WB refused goes again, alone
    assert fake.stock_requests[-1] == [{"sku": "4006381333931", "amount": 5}]
    assert fake.stocks == {"4006381333948": 3, "4006381333931": 5}
