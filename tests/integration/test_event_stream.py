"""The event stream under its two hard cases: many writers committing out of id order (every event
reaches a follower once, in per-order order), and a follower too slow to keep up (ended with what it
got; the others get everything)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from oms_graph.db.models import OrderEvent
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.events import EventType
from oms_graph.events.stream import EventHub, Sequencer, TooSlow
from oms_graph.services.orders import placement
from oms_graph.services.orders.locking import lock_order
from oms_graph.services.outbox import append_event
from tests.factories import DEFAULTS, placement_fields, stocked_warehouse

ADMIN = Principal(key_id=uuid.uuid4(), name="stream", role=Role.ADMIN)


@pytest.fixture
async def stream(db):  # type: ignore[no-untyped-def]
    """A hub with small queues and a sequencer, running on the test database."""
    await stocked_warehouse(db, sku="A", on_hand=1000)
    hub = EventHub(db, queue_size=5, poll_seconds=0.05)
    sequencer = Sequencer(db, hub.wake, poll_seconds=0.05)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(sequencer.run(stop)), asyncio.create_task(hub.run(stop))]
    await hub.ready()
    yield hub
    stop.set()
    await asyncio.gather(*tasks)


async def place(db, n: int) -> uuid.UUID:  # type: ignore[no-untyped-def]
    async with db.write() as s:
        return (
            await placement.place_order(
                s, order=placement_fields(f"o{n}", [("A", 1, "1")]), principal=ADMIN, settings=DEFAULTS
            )
        ).id


async def test_events_of_concurrent_writers_reach_a_follower_once_each_in_per_order_order(db, stream):
    orders = [await place(db, n) for n in range(5)]
    got: list = []

    async def follow() -> None:
        async for event in stream.follow(lambda e: e.type == EventType.ORDER_HELD):
            got.append(event)
            if len(got) == 60:
                return

    stream.queue_size = 1000
    follower = asyncio.create_task(follow())
    await asyncio.sleep(0.2)

    async def write(order_id: uuid.UUID, k: int) -> None:
        for i in range(6):
            async with db.write() as s:
                await lock_order(s, order_id=order_id)  # as every change of an order does first
                await append_event(s, order_id=order_id, type=EventType.ORDER_HELD, actor="t", data={"k": k, "i": i})
            await asyncio.sleep(0)

    await asyncio.gather(*(write(orders[k % 5], k) for k in range(10)))
    await asyncio.wait_for(follower, 20)
    assert len({e.id for e in got}) == 60  # each once
    assert [e.position for e in got] == sorted(e.position for e in got)
    for order_id in orders:  # per order, in the order they were written
        ids = [e.id for e in got if e.order_id == order_id]
        assert ids == sorted(ids)
    async with db.read() as s:
        positions = list(await s.scalars(select(OrderEvent.position).order_by(OrderEvent.position)))
    assert None not in positions == list(range(1, len(positions) + 1))  # every event has one, no gap, none twice


async def test_a_follower_that_falls_behind_is_ended_and_slows_no_one_else(db, stream):
    slow_got: list = []
    fast_got: list = []
    slow_ready, release = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        async for event in stream.follow(lambda e: True):
            slow_got.append(event)
            slow_ready.set()
            await release.wait()  # a client that stops reading

    async def fast() -> None:
        async for event in stream.follow(lambda e: True):
            fast_got.append(event)
            if len(fast_got) == 20:
                return

    slow_task, fast_task = asyncio.create_task(slow()), asyncio.create_task(fast())
    await asyncio.sleep(0.2)
    for n in range(20):
        await place(db, n)
    await asyncio.wait_for(fast_task, 20)
    assert len(fast_got) == 20
    release.set()
    with pytest.raises(TooSlow):
        await asyncio.wait_for(slow_task, 10)
    # It got what fitted in its queue, in order, then the end: it resumes from its last event.
    assert 1 <= len(slow_got) <= 1 + 5
    assert [e.id for e in slow_got] == [e.id for e in fast_got[: len(slow_got)]]
    async with db.read() as s:
        assert await s.scalar(select(func.count()).select_from(OrderEvent)) == 20
