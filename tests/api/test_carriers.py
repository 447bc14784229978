"""The `http` carrier adapter against a fake carrier service on loopback: outages, timeouts, refusals,
and the carrier's own tracking webhooks, end to end through the booking actor."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import select

from oms_graph.adapters.carriers import base as carriers
from oms_graph.adapters.carriers.http import HttpCarrier
from oms_graph.api.node import decode_id
from oms_graph.db.models import Shipment
from oms_graph.tasks import actors as tasks
from tests.conftest import WEBHOOK_SECRET
from tests.factories import CANCEL_ORDER, SET_STOCK, level, order_input
from tests.fakes.carrier import FakeCarrier
from tests.fulfilment_steps import ACCEPT, ORDER, PACK, PICK, book, chain_admin, ok, placed_and_routed, queue


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    carrier = FakeCarrier().start()
    carriers.register("fastship", lambda: HttpCarrier("fastship", carrier.url, timeout=0.5, backoff=0.05))
    yield carrier
    carrier.stop()


async def packed(api, admin, carrier="fastship"):  # type: ignore[no-untyped-def]
    """An order for the carrier, picked and packed at Hamburg; (order, fulfilment id)."""
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = order_input("k1", [("SKU-1", 1, "10")])
    order["delivery"]["carrier"] = carrier
    placed = await placed_and_routed(api, admin, order)
    fid = (await queue(api, admin, "WH-HAM"))["edges"][0]["node"]["id"]
    await ok(api, admin, ACCEPT, id=fid)
    await ok(api, admin, PICK, id=fid, lines=[{"sku": "SKU-1", "quantity": 1}])
    await ok(api, admin, PACK, id=fid, parcels=[{"weightGrams": 800}])
    return placed, fid


async def shipment(api, fid):  # type: ignore[no-untyped-def]
    async with api.db.read() as session:
        found = await session.scalar(select(Shipment).where(Shipment.fulfilment_id == decode_id(fid)[1]))
    return found.status, found.tracking_number, found.carrier


async def test_three_500s_then_a_booking_books_once(api, admin, fake):
    placed, fid = await packed(api, admin)
    fake.failures = 3
    await book(api, fid)
    assert await shipment(api, fid) == ("BOOKED", "FS00000001", "fastship")
    assert fake.requests == 4 and len(fake.bookings) == 1
    events = [e["type"] for e in (await api.data(admin, ORDER, {"id": placed["id"]}))["order"]["events"]]
    assert events[-1] == "SHIPMENT_BOOKED"


async def test_a_booking_that_times_out_is_not_booked_twice(api, admin, fake):
    _, fid = await packed(api, admin)
    fake.slow_seconds = 1.0  # the client gives up after 0.5 s; the carrier has booked it all the same
    await book(api, fid)
    assert await shipment(api, fid) == ("BOOKED", "FS00000001", "fastship")
    assert fake.requests >= 2 and len(fake.bookings) == 1


async def test_a_refused_booking_fails_the_shipment_with_an_event(api, admin, fake):
    placed, fid = await packed(api, admin)
    fake.refuse = True
    await book(api, fid)
    assert (await shipment(api, fid))[0] == "FAILED"
    failed = (await api.data(admin, ORDER, {"id": placed["id"]}))["order"]["events"][-1]
    assert failed["type"] == "SHIPMENT_FAILED" and "422" in failed["data"]["error"]


async def test_a_carrier_down_through_every_retry_fails_the_shipment(api, admin, fake):
    _, fid = await packed(api, admin)
    fake.failures = 100
    with pytest.raises(carriers.CarrierError):
        await book(api, fid)  # each delivery of the message raises, and Dramatiq retries with backoff
    assert (await shipment(api, fid))[0] == "BOOKING"
    async with api.db.read() as session:
        shipment_id = await session.scalar(select(Shipment.id).where(Shipment.fulfilment_id == decode_id(fid)[1]))
    message = {
        "actor_name": tasks.BOOK_SHIPMENT,
        "args": [str(shipment_id)],
        "options": {"traceback": "Traceback...\nCarrierError: fastship unreachable after 4 attempts (HTTP 500)"},
    }
    await tasks.task_failed(message, {})  # what on_retry_exhausted calls after the last retry
    assert (await shipment(api, fid))[0] == "FAILED"


async def test_the_carriers_tracking_webhook_delivers_the_parcel(api, admin, fake):
    placed, fid = await packed(api, admin)
    await book(api, fid)
    _, number, _ = await shipment(api, fid)
    base = str(api.client.base_url)
    for status in ("IN_TRANSIT", "DELIVERED"):
        answer = await asyncio.to_thread(fake.send_tracking, base, "fastship", WEBHOOK_SECRET, number, status)
        assert answer.status_code == 200, answer.text
    assert (await api.data(admin, ORDER, {"id": placed["id"]}))["order"]["status"] == "COMPLETED"
    assert (await shipment(api, fid))[0] == "DELIVERED"


async def test_cancelling_an_order_after_booking_cancels_the_shipment_with_the_carrier(api, admin, fake):
    placed, fid = await packed(api, admin)
    await book(api, fid)
    _, number, _ = await shipment(api, fid)
    done = (await api.data(admin, CANCEL_ORDER, {"id": placed["id"], "reason": "customer called"}))["cancelOrder"]
    assert done["errors"] == []
    events = (await api.data(admin, ORDER, {"id": placed["id"]}))["order"]["events"]
    cancelled = next(e for e in events if e["type"] == "SHIPMENT_CANCELLED")
    assert cancelled["data"]["trackingNumber"] == number
    await tasks.cancel_shipment(cancelled["data"]["shipment"])  # what the relay hands the event to
    assert fake.cancelled == [number]


async def test_an_order_cancelled_while_the_carrier_books_has_that_booking_cancelled(api, admin, fake):
    carriers.register("fastship", lambda: HttpCarrier("fastship", fake.url, timeout=30))
    placed, fid = await packed(api, admin)
    fake.hold = threading.Event()  # the carrier books at once and answers when the test says so
    booking = asyncio.create_task(book(api, fid))
    assert await asyncio.to_thread(fake.booked.wait, 10)
    done = (await api.data(admin, CANCEL_ORDER, {"id": placed["id"], "reason": "changed my mind"}))["cancelOrder"]
    assert done["errors"] == []
    fake.hold.set()
    await booking
    assert await shipment(api, fid) == ("CANCELLED", None, "fastship")
    assert fake.cancelled == [next(iter(fake.bookings.values()))["trackingNumber"]]
