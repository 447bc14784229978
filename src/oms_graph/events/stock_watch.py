"""Stock levels as they change, for `stockChanged` subscribers of this API process.

Stock changes are not order events (a count, a reservation), so the watch looks at the levels whose
`updated_at` moved since it last looked: once per process and poll (or wake-up), and only while someone
follows. It looks back a little further than it has seen (a transaction stamped earlier can commit
later) and sends each level's state once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from oms_graph.db.base import utcnow
from oms_graph.db.engine import Database
from oms_graph.db.models import StockLevel
from oms_graph.events.stream import TooSlow, wait_or_stop

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5
LOOK_BACK = timedelta(seconds=5)


@dataclass(frozen=True)
class LevelChange:
    sku: str
    location_id: uuid.UUID
    on_hand: int
    reserved: int
    safety_stock: int
    updated_at: datetime


@dataclass(eq=False)
class Follower:
    wants: Callable[[LevelChange], bool]
    queue: asyncio.Queue[LevelChange]
    overflowed: bool = False


@dataclass
class StockWatch:
    db: Database
    queue_size: int = 1000
    poll_seconds: float = POLL_SECONDS
    followers: set[Follower] = field(default_factory=set)
    watermark: datetime = field(default_factory=utcnow)
    sent: dict[tuple[str, uuid.UUID], LevelChange] = field(default_factory=dict)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.pump()
            except Exception:
                log.exception("stock watch failed; retrying")
            await wait_or_stop(self._wake, stop, self.poll_seconds)

    async def pump(self) -> int:
        """Send the levels changed since the watermark to their followers; how many changed."""
        if not self.followers:
            self.watermark, self.sent = utcnow(), {}
            return 0
        since = self.watermark - LOOK_BACK
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(StockLevel).where(StockLevel.updated_at > since).order_by(StockLevel.updated_at)
                )
            ).scalars()
            changes = [
                LevelChange(r.sku, r.location_id, r.on_hand, r.reserved, r.safety_stock, r.updated_at) for r in rows
            ]
        fresh = [c for c in changes if self.sent.get((c.sku, c.location_id)) != c]
        for change in fresh:
            self.sent[(change.sku, change.location_id)] = change
            for follower in list(self.followers):
                if follower.overflowed or not follower.wants(change):
                    continue
                try:
                    follower.queue.put_nowait(change)
                except asyncio.QueueFull:
                    follower.overflowed = True
        if changes:
            self.watermark = max(self.watermark, changes[-1].updated_at)
        self.sent = {k: v for k, v in self.sent.items() if v.updated_at > self.watermark - LOOK_BACK}
        return len(fresh)

    @contextlib.contextmanager
    def _following(self, wants: Callable[[LevelChange], bool]) -> Iterator[Follower]:
        follower = Follower(wants, asyncio.Queue(self.queue_size))
        self.followers.add(follower)
        self.wake()
        try:
            yield follower
        finally:
            self.followers.discard(follower)

    async def follow(self, *, skus: set[str] | None, location_id: uuid.UUID | None) -> AsyncIterator[LevelChange]:
        def wants(change: LevelChange) -> bool:
            return (skus is None or change.sku in skus) and (location_id is None or change.location_id == location_id)

        with self._following(wants) as follower:
            while True:
                if follower.overflowed and follower.queue.empty():
                    raise TooSlow()
                yield await follower.queue.get()
