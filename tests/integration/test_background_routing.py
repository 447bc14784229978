"""The outbox relay hands placed orders to the order.route actor, which routes each exactly once."""

from __future__ import annotations

import asyncio
import time

import dramatiq
import pytest
from sqlalchemy import func, select

from oms_graph.api.node import decode_id
from oms_graph.db.models import Fulfilment, Order, OrderEvent, Shipment, StockLevel
from oms_graph.domain.access import Role
from oms_graph.events.relay import OutboxRelay, routing_handlers
from oms_graph.tasks.actors import TASK_FAILED, register
from oms_graph.tasks.broker import build_broker
from tests.conftest import actor_settings, make_key
from tests.factories import PLACE_ORDER, SET_STOCK, level, order_input, small_chain


@pytest.fixture
async def background(api):  # type: ignore[no-untyped-def]
    """An in-process broker and worker (Dramatiq's StubBroker) on the test database."""
    broker = build_broker(None)
    actors = register(broker, settings=actor_settings(api.db))
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)  # stops in a tenth of a second
    worker.start()
    yield broker, actors
    worker.stop()
    broker.close()


async def placed_order(api, key):  # type: ignore[no-untyped-def]
    await small_chain(api, key)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    result = (await api.data(key, PLACE_ORDER, {"input": order_input("k1", [("SKU-1", 2, "10")])}))["placeOrder"]
    return decode_id(result["order"]["id"])[1]


async def state(db, order_id):  # type: ignore[no-untyped-def]
    async with db.read() as session:
        status = await session.scalar(select(Order.status).where(Order.id == order_id))
        fulfilments = await session.scalar(
            select(func.count()).select_from(Fulfilment).where(Fulfilment.order_id == order_id)
        )
        reserved = await session.scalar(select(func.sum(StockLevel.reserved)))
        unrelayed = await session.scalar(
            select(func.count()).select_from(OrderEvent).where(OrderEvent.relayed_at.is_(None))
        )
    return status, fulfilments, reserved, unrelayed


async def test_a_relayed_placement_is_routed_by_the_actor(api, background):
    broker, actors = background
    key = await make_key(api.db, Role.ADMIN)
    order_id = await placed_order(api, key)
    relay = OutboxRelay(api.db, routing_handlers(actors.route_order.send))
    assert await relay.relay_once() == 1
    await asyncio.to_thread(broker.join, actors.route_order.queue_name, fail_fast=True)
    status, fulfilments, reserved, _ = await state(api.db, order_id)
    assert (status, fulfilments, reserved) == ("ROUTED", 1, 2)
    assert await relay.relay_once() == 1  # ORDER_ROUTED, which nothing acts on
    assert (await state(api.db, order_id))[3] == 0


async def test_a_crash_between_hand_off_and_mark_sends_again_and_the_order_is_routed_once(api, background):
    broker, actors = background
    key = await make_key(api.db, Role.ADMIN)
    order_id = await placed_order(api, key)
    crashes = [True]

    def send_then_crash(order: str) -> None:
        actors.route_order.send(order)
        if crashes.pop() if crashes else False:
            raise RuntimeError("relay died before marking")

    relay = OutboxRelay(api.db, routing_handlers(send_then_crash))
    with pytest.raises(RuntimeError):
        await relay.relay_once()
    assert (await state(api.db, order_id))[3] == 1  # not marked: it will be relayed again
    assert await relay.relay_once() >= 1  # ORDER_PLACED again (and ORDER_ROUTED if the first send was quick)
    await asyncio.to_thread(broker.join, actors.route_order.queue_name, fail_fast=True)
    status, fulfilments, reserved, _ = await state(api.db, order_id)
    assert (status, fulfilments, reserved) == ("ROUTED", 1, 2)


async def test_a_slow_broker_does_not_block_the_event_loop_and_the_batch_is_marked_after_it(api):
    key = await make_key(api.db, Role.ADMIN)
    order_id = await placed_order(api, key)
    sent: list[str] = []

    def slow_send(order: str) -> None:
        time.sleep(0.5)  # a broker's blocking socket write
        sent.append(order)

    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        assert await OutboxRelay(api.db, routing_handlers(slow_send)).relay_once() == 1
    finally:
        ticker.cancel()
    assert sent == [str(order_id)]
    assert ticks >= 20  # the loop kept running while the send blocked (0.5 s: about 50 ticks)
    assert (await state(api.db, order_id))[3] == 0  # marked relayed once handed on


async def test_a_task_failing_its_last_retry_leaves_an_event_on_the_order(api):
    broker = build_broker(None)
    register(broker, settings=actor_settings(api.db))

    @dramatiq.actor(broker=broker, actor_name="test.always_fails", max_retries=0, on_retry_exhausted=TASK_FAILED)
    async def always_fails(order: str) -> None:
        raise RuntimeError("the carrier is down")

    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)  # stops in a tenth of a second
    worker.start()
    key = await make_key(api.db, Role.ADMIN)
    order_id = await placed_order(api, key)
    try:
        always_fails.send(str(order_id))
        await asyncio.to_thread(broker.join, always_fails.queue_name, fail_fast=False)
        await asyncio.to_thread(broker.join, "failures", fail_fast=False)
        for _ in range(50):  # the failure is recorded on the worker's event loop
            async with api.db.read() as session:
                failed = (
                    await session.execute(
                        select(OrderEvent.data).where(OrderEvent.order_id == order_id, OrderEvent.type == "TASK_FAILED")
                    )
                ).all()
            if failed:
                break
            await asyncio.sleep(0.1)
    finally:
        worker.stop()
        broker.close()
    assert len(failed) == 1 and failed[0].data["task"] == "test.always_fails"
    assert "the carrier is down" in failed[0].data["error"]


async def test_on_start_orders_waiting_for_routing_and_unanswered_payment_calls_are_sent_again(api):
    from sqlalchemy import update

    from oms_graph.config import Settings
    from oms_graph.tasks.runtime import background

    key = await make_key(api.db, Role.ADMIN)
    order_id = await placed_order(api, key)
    dropped = (await api.data(key, PLACE_ORDER, {"input": order_input("k2", [("SKU-1", 1, "10")])}))["placeOrder"]
    cancel = 'mutation($id: ID!) { cancelOrder(id: $id, reason: "changed mind") { errors { code } } }'
    await api.data(key, cancel, {"id": dropped["order"]["id"]})  # its payment is to be voided
    dropped_id = decode_id(dropped["order"]["id"])[1]
    async with api.db.write() as session:  # as if the messages were lost after their events were marked relayed
        await session.execute(update(OrderEvent).values(relayed_at=func.now()))
    url = api.db.engine.url.render_as_string(hide_password=False)

    async def voided() -> bool:
        async with api.db.read() as session:
            return await session.scalar(select(Order.payment_status).where(Order.id == dropped_id)) == "VOIDED"

    async with background(Settings(database_url=url, worker_threads=1), api.db):
        for _ in range(100):
            if (await state(api.db, order_id))[0] == "ROUTED" and await voided():
                break
            await asyncio.sleep(0.1)
    assert (await state(api.db, order_id))[:3] == ("ROUTED", 1, 2)
    assert await voided()


async def test_an_order_that_cannot_be_routed_does_not_hold_up_the_batch_it_falls_into(api, background):
    """The actor routes waiting orders in one transaction; when that fails, it routes its own order alone."""
    from sqlalchemy import update

    from oms_graph.tasks import actors as tasks

    key = await make_key(api.db, Role.ADMIN)
    broken = await placed_order(api, key)
    result = (await api.data(key, PLACE_ORDER, {"input": order_input("k2", [("SKU-1", 1, "10")])}))["placeOrder"]
    fine = decode_id(result["order"]["id"])[1]
    async with api.db.write() as session:  # data no routing can use (written around the API's checks)
        await session.execute(
            update(Order).where(Order.id == broken).values(delivery_address={"latitude": "north", "longitude": 1})
        )
    await tasks.route_order(str(fine))
    assert (await state(api.db, fine))[:2] == ("ROUTED", 1)
    assert (await state(api.db, broken))[:2] == ("PLACED", 0)
    with pytest.raises(TypeError):
        await tasks.route_order(str(broken))  # its own message fails (Dramatiq retries, then TASK_FAILED)


async def test_a_packed_fulfilment_is_booked_by_the_actor_the_relay_hands_it_to(api, background):
    from oms_graph.events.relay import shipping_handlers
    from tests.fulfilment_steps import ACCEPT, PACK, PICK, ok, queue

    broker, actors = background
    key = await make_key(api.db, Role.ADMIN)
    order_id = await placed_order(api, key)
    relay = OutboxRelay(
        api.db,
        routing_handlers(actors.route_order.send)
        | shipping_handlers(actors.book_shipment.send, actors.cancel_shipment.send),
    )
    await relay.relay_once()
    await asyncio.to_thread(broker.join, actors.route_order.queue_name, fail_fast=True)
    fid = (await queue(api, key, "WH-HAM"))["edges"][0]["node"]["id"]
    await ok(api, key, ACCEPT, id=fid)
    await ok(api, key, PICK, id=fid, lines=[{"sku": "SKU-1", "quantity": 2}])
    await ok(api, key, PACK, id=fid, parcels=[{"weightGrams": 400}])
    await relay.relay_once()
    await asyncio.to_thread(broker.join, actors.book_shipment.queue_name, fail_fast=True)
    async with api.db.read() as session:
        shipment = await session.scalar(select(Shipment).join(Fulfilment).where(Fulfilment.order_id == order_id))
    assert shipment.status == "BOOKED" and shipment.tracking_number.startswith("CR")


async def test_on_start_shipments_still_being_booked_are_sent_again_and_booked_once(api):
    """The SHIPMENT_BOOKING message was lost after its event was marked relayed: each start sends the
    shipment to its carrier again; the actor books it once however often it comes."""
    from sqlalchemy import update

    from oms_graph.config import Settings
    from oms_graph.tasks.runtime import background as running
    from tests.fulfilment_steps import ACCEPT, PACK, PICK, ok, queue

    key = await make_key(api.db, Role.ADMIN)
    order_id = await placed_order(api, key)
    settings = Settings(database_url=api.db.engine.url.render_as_string(hide_password=False), worker_threads=1)

    async def shipment() -> Shipment | None:
        async with api.db.read() as session:
            return await session.scalar(select(Shipment).join(Fulfilment).where(Fulfilment.order_id == order_id))

    async with running(settings, api.db):  # routes the order
        for _ in range(100):
            if (await state(api.db, order_id))[0] == "ROUTED":
                break
            await asyncio.sleep(0.1)
    fid = (await queue(api, key, "WH-HAM"))["edges"][0]["node"]["id"]
    await ok(api, key, ACCEPT, id=fid)
    await ok(api, key, PICK, id=fid, lines=[{"sku": "SKU-1", "quantity": 2}])
    await ok(api, key, PACK, id=fid, parcels=[{"weightGrams": 400}])
    async with api.db.write() as session:  # the message lost after its event was marked relayed
        await session.execute(update(OrderEvent).values(relayed_at=func.now()))
    assert (await shipment()).status == "BOOKING"  # type: ignore[union-attr]

    tracking = set()
    for _ in range(2):  # two starts; the first sends the shipment again
        async with running(settings, api.db):
            for _ in range(100):
                if (await shipment()).status == "BOOKED":  # type: ignore[union-attr]
                    break
                await asyncio.sleep(0.1)
        tracking.add((await shipment()).tracking_number)  # type: ignore[union-attr]
    assert (await shipment()).status == "BOOKED" and len(tracking) == 1  # type: ignore[union-attr]
    async with api.db.read() as session:
        booked = await session.scalar(
            select(func.count()).select_from(OrderEvent).where(OrderEvent.type == "SHIPMENT_BOOKED")
        )
    assert booked == 1
