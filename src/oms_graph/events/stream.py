"""The event stream that subscriptions read, in every API process.

Events are written in the transaction of their change with an id, but ids are handed out before commit,
so a reader going by id could pass an event that commits later. The sequencer gives committed events a
`position`, one sequencer at a time (a PostgreSQL advisory lock), so positions grow in the order events
became visible and a reader that has seen position P has seen everything up to P. Per order, events
keep their order (every change locks the order row first).

After each batch the sequencer tells every API process (PostgreSQL NOTIFY with the top position only;
in-process when embedded). Each process's hub reads the new events once, with what subscribers filter
on (the order's channel and locations), and hands each subscriber what it wants through a bounded queue:
a subscriber that falls behind by more than its queue is ended (with the last event id it got, to
resume from) and slows no one else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, select, text, update
from sqlalchemy.engine import make_url

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import hold_lock
from oms_graph.db.engine import Database
from oms_graph.db.models import Fulfilment, Order, OrderEvent, Transfer

log = logging.getLogger(__name__)
CHANNEL = "oms_events"
SEQUENCER_LOCK = 4_210_007  # the PostgreSQL advisory lock one sequencer holds at a time
BATCH = 1000
POLL_SECONDS = 1.0
SEQUENCER_POLL_SECONDS = 0.25
REPLAY_WINDOW = timedelta(hours=24)
REPLAY_LIMIT = 10_000


_EVENTS = cast(Table, OrderEvent.__table__)
_UNSEQUENCED = (
    select(
        _EVENTS.c.id,
        func.row_number().over(order_by=_EVENTS.c.id).label("n"),
        select(func.coalesce(func.max(_EVENTS.c.position), 0)).scalar_subquery().label("top"),
    )
    .where(_EVENTS.c.position.is_(None))
    .order_by(_EVENTS.c.id)
    .limit(BATCH)
    .subquery("batch")
)
# The next batch of committed events, in id order, numbered on from the top position: one statement.
_SEQUENCE = (
    update(_EVENTS)
    .where(_EVENTS.c.id == _UNSEQUENCED.c.id)
    .values(position=_UNSEQUENCED.c.top + _UNSEQUENCED.c.n)
    .returning(_EVENTS.c.position)
)


# The stream after a position, with what subscribers filter on (read() adds the bounds). An event belongs to
# an order, a transfer or both (a ship-to-store transfer's).
_STREAM = (
    select(
        _EVENTS.c.id,
        _EVENTS.c.position,
        _EVENTS.c.order_id,
        _EVENTS.c.transfer_id,
        _EVENTS.c.type,
        _EVENTS.c.at,
        _EVENTS.c.actor,
        _EVENTS.c.data,
        Order.number,
        Order.channel_id,
        Order.pickup_location_id,
        Order.origin_location_id,
        Transfer.from_location_id,
        Transfer.to_location_id,
    )
    .outerjoin(Order, Order.id == _EVENTS.c.order_id)
    .outerjoin(Transfer, Transfer.id == _EVENTS.c.transfer_id)
    .order_by(_EVENTS.c.position)
)


class Sequencer:
    """Gives committed events their stream position, then calls `sequenced` (the local hub's wake-up)."""

    def __init__(self, db: Database, sequenced: Callable[[], None], *, poll_seconds: float = POLL_SECONDS) -> None:
        self.db, self.sequenced, self.poll_seconds = db, sequenced, poll_seconds
        self._wake = asyncio.Event()

    def poke(self) -> None:
        self._wake.set()

    async def sequence_once(self) -> int:
        async with self.db.write() as session:
            await hold_lock(session, SEQUENCER_LOCK)
            positions = list(await session.scalars(_SEQUENCE))
            if not positions:
                return 0
            if self.db.dialect == "postgresql":  # delivered to every listener at commit
                top = min(positions) - 1
                await session.execute(text("SELECT pg_notify(:channel, :top)"), {"channel": CHANNEL, "top": str(top)})
        self.sequenced()
        return len(positions)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            try:
                if await self.sequence_once() == BATCH:
                    continue
            except Exception:
                log.exception("event sequencer failed; retrying")
            await wait_or_stop(self._wake, stop, self.poll_seconds)


@dataclass(frozen=True)
class StreamEvent:
    """An order's or a transfer's event (a ship-to-store transfer's: both) with what subscribers filter on:
    the order's channel, and the locations of the order (its fulfilments, pickup store and originating store)
    and of the transfer (both ends)."""

    id: int
    position: int
    order_id: uuid.UUID | None
    order_number: str | None
    transfer_id: uuid.UUID | None
    type: str
    at: datetime
    actor: str | None
    data: dict[str, Any]
    channel_id: uuid.UUID | None
    location_ids: frozenset[uuid.UUID]


class TooSlow(Exception):
    """The subscriber's queue overflowed: it was ended, to resume after the last event it got."""


@dataclass(eq=False)
class Subscriber:
    wants: Callable[[StreamEvent], bool]
    queue: asyncio.Queue[StreamEvent]
    overflowed: bool = False

    async def next(self) -> StreamEvent:
        if self.overflowed and self.queue.empty():
            raise TooSlow()
        return await self.queue.get()


@dataclass
class EventHub:
    """One per API process: reads each new stretch of the stream once and fans it out."""

    db: Database
    queue_size: int = 1000
    poll_seconds: float = POLL_SECONDS
    cursor: int = 0
    subscribers: set[Subscriber] = field(default_factory=set)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _started: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        self._wake.set()

    @contextlib.contextmanager
    def subscribe(self, wants: Callable[[StreamEvent], bool]) -> Iterator[Subscriber]:
        subscriber = Subscriber(wants, asyncio.Queue(self.queue_size))
        self.subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self.subscribers.discard(subscriber)

    async def run(self, stop: asyncio.Event) -> None:
        async with self.db.read() as session:
            self.cursor = await session.scalar(select(func.max(OrderEvent.position))) or 0
        self._started.set()
        while not stop.is_set():
            self._wake.clear()
            try:
                while await self.pump() == BATCH:  # a full batch: more may wait; else caught up
                    pass
            except Exception:
                log.exception("event hub failed to read the stream; retrying")
            await wait_or_stop(self._wake, stop, self.poll_seconds)

    async def ready(self) -> None:
        await self._started.wait()

    async def pump(self) -> int:
        """Fan out the events after the cursor; how many there were."""
        if not self.subscribers:  # nobody listens: skip ahead without reading
            async with self.db.read() as session:
                self.cursor = await session.scalar(select(func.max(OrderEvent.position))) or self.cursor
            return 0
        events = await self.read(after=self.cursor, limit=BATCH)
        if not events:
            async with self.db.read() as session:
                top = await session.scalar(select(func.max(OrderEvent.position))) or 0
            if top < self.cursor:  # the stream was emptied and started again (a restore, a test's reset)
                self.cursor = 0
                return await self.pump()
            return 0
        for event in events:
            for subscriber in list(self.subscribers):
                if subscriber.overflowed or not subscriber.wants(event):
                    continue
                try:
                    subscriber.queue.put_nowait(event)
                except asyncio.QueueFull:
                    subscriber.overflowed = True
            self.cursor = event.position
            await asyncio.sleep(0)  # followers that keep up take each event as it comes
        return len(events)

    async def read(self, *, after: int, limit: int, since: datetime | None = None) -> list[StreamEvent]:
        """Events after a position, in stream order, with their orders' channel and their orders' and
        transfers' locations."""
        async with self.db.read() as session:
            stmt = _STREAM.where(_EVENTS.c.position > after).limit(limit)
            if since is not None:
                stmt = stmt.where(_EVENTS.c.at >= since)
            rows = (await session.execute(stmt)).all()
            order_ids = {row.order_id for row in rows if row.order_id is not None}
            places: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
            if order_ids:
                for order_id, location_id in await session.execute(
                    select(Fulfilment.order_id, Fulfilment.location_id).where(Fulfilment.order_id.in_(order_ids))
                ):
                    places[order_id].add(location_id)
        return [
            StreamEvent(
                id=row.id,
                position=row.position,
                order_id=row.order_id,
                order_number=row.number,
                transfer_id=row.transfer_id,
                type=row.type,
                at=row.at,
                actor=row.actor,
                data=row.data,
                channel_id=row.channel_id,
                location_ids=frozenset(
                    (places[row.order_id] if row.order_id else set())
                    | {row.pickup_location_id, row.origin_location_id, row.from_location_id, row.to_location_id}
                )
                - {None},
            )
            for row in rows
        ]

    async def position_of(self, event_id: int) -> tuple[int, datetime] | None:
        async with self.db.read() as session:
            found = (
                await session.execute(
                    select(OrderEvent.position, OrderEvent.at).where(
                        OrderEvent.id == event_id, OrderEvent.position.is_not(None)
                    )
                )
            ).first()
        return None if found is None or found[0] is None else (found[0], found[1])

    async def follow(
        self, wants: Callable[[StreamEvent], bool], *, after: int | None = None
    ) -> AsyncIterator[StreamEvent]:
        """The events a subscriber wants: first those after event id `after` (within the replay window),
        then live ones, with no gap and no duplicate at the seam. LookupError when `after` is unknown or
        too old to replay; TooSlow when the subscriber fell too far behind."""
        await self.ready()
        with self.subscribe(wants) as subscriber:  # live events queue up while the missed ones are read
            last: int | None = None  # what was replayed: queued events up to there come twice
            if after is not None:
                found = await self.position_of(after)
                if found is None or found[1] < utcnow() - REPLAY_WINDOW:
                    raise LookupError(f"event {after} is unknown or older than the replay window")
                last = found[0]
                while True:
                    missed = await self.read(after=last, limit=BATCH)
                    for event in missed:
                        last = event.position
                        if wants(event):
                            yield event
                    if len(missed) < BATCH:
                        break
            while True:
                event = await subscriber.next()
                if last is not None and event.position <= last:
                    continue  # replayed already
                last = event.position
                yield event


async def listen(db: Database, stream: Live, stop: asyncio.Event) -> None:
    """PostgreSQL: wake the hub whenever any process's sequencer committed a batch (LISTEN/NOTIFY)."""
    import asyncpg  # only on PostgreSQL

    dsn = make_url(db.engine.url.render_as_string(hide_password=False)).set(drivername="postgresql")
    while not stop.is_set():
        try:
            connection = await asyncpg.connect(dsn.render_as_string(hide_password=False), timeout=10)
            try:
                lost = asyncio.Event()  # the server went away (restarted, connection cut): listen anew
                connection.add_termination_listener(lambda *_, lost=lost: lost.set())
                await connection.add_listener(CHANNEL, lambda *_: stream.sequenced())
                stream.hub.wake()  # what was sequenced while we were not listening
                await wait_or_stop(lost, stop, None)
                if lost.is_set():
                    log.warning("the connection listening for events was lost; listening again")
            finally:
                await connection.close()
        except Exception:
            log.exception("listening for events failed; retrying")
            await wait_or_stop(asyncio.Event(), stop, POLL_SECONDS)


async def wait_or_stop(wake: asyncio.Event, stop: asyncio.Event, seconds: float | None) -> None:
    """Until woken, stopped, or `seconds` passed (None: no limit): the poll loops' pause."""
    waits = [asyncio.create_task(wake.wait()), asyncio.create_task(stop.wait())]
    await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for task in waits:
        task.cancel()


@dataclass
class Live:
    """What an API process runs for subscriptions: the sequencer, the hub, the stock watch, the availability
    feed."""

    hub: EventHub
    sequencer: Sequencer
    stock: Any  # StockWatch (imported late: it builds on this module)
    availability: Any  # AvailabilityFeed (likewise)

    def sequenced(self) -> None:
        """Some process's sequencer committed a batch: the hub and the stock watch look."""
        self.hub.wake()
        self.stock.wake()


@contextlib.asynccontextmanager
async def live(db: Database, *, queue_size: int) -> AsyncIterator[Live]:
    """Run the event stream's parts for the life of the block (in every API process)."""
    from oms_graph.db.engine import create_database
    from oms_graph.events.availability_feed import AvailabilityFeed
    from oms_graph.events.stock_watch import StockWatch

    # A small pool of its own: the stream's reads never wait behind requests, nor requests behind it.
    db = create_database(db.engine.url.render_as_string(hide_password=False), pool_size=6)
    hub = EventHub(db, queue_size=queue_size)
    feed = AvailabilityFeed(db)
    stream = Live(hub, Sequencer(db, lambda: stream.sequenced()), StockWatch(db, queue_size=queue_size), feed)
    # Commits of this process poke the sequencer; worker processes' are found by its poll (a NOTIFY per
    # worker commit would serialize every commit on PostgreSQL's notify lock: measured, it costs more).
    stream.sequencer.poll_seconds = SEQUENCER_POLL_SECONDS
    stop = asyncio.Event()
    tasks = [asyncio.create_task(part.run(stop)) for part in (stream.sequencer, hub, stream.stock, feed)]
    if db.dialect == "postgresql":
        tasks.append(asyncio.create_task(listen(db, stream, stop)))
    try:
        yield stream
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await db.dispose()
