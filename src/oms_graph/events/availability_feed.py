"""Channels' availability as it changes, for `availabilityChanged` subscribers of this API process.

Four times a second, while someone follows, the feed finds the skus whose figure may have moved (stock levels
stamped since it last looked, a little further back as a transaction stamped earlier can commit later; the
skus of orders with events since its last position: placements, cancellations, shipments; every followed
sku of a channel whose pool changed), works out each followed channel's figures for them (as sent out: 0
under the low-stock threshold) and sends the ones that differ from what it sent last, many skus in one
message. A sku sent less than a second ago waits for its second to pass: at most one message per sku per
second, whatever the traffic, and a first change is heard within a tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from oms_graph.db.base import utcnow
from oms_graph.db.engine import Database
from oms_graph.db.models import AvailabilityPool
from oms_graph.events.stream import TooSlow, wait_or_stop
from oms_graph.services.stock.availability import channel_figures, moved_since

log = logging.getLogger(__name__)
POLL_SECONDS = 0.25
EVERY = timedelta(seconds=1)  # per channel and sku, at most one message in this time
Items = list[tuple[str, int]]  # (sku, figure) changed in one tick


@dataclass(eq=False)
class Follower:
    channel_id: uuid.UUID
    skus: frozenset[str] | None  # None: the whole catalogue
    queue: asyncio.Queue[Items]
    overflowed: bool = False
    fresh: bool = True  # until the feed's first look with it: what that look finds is where it starts from


@dataclass
class AvailabilityFeed:
    db: Database
    queue_size: int = 100
    poll_seconds: float = POLL_SECONDS
    followers: set[Follower] = field(default_factory=set)
    level_mark: datetime = field(default_factory=utcnow)
    pools: dict[uuid.UUID, datetime] = field(default_factory=dict)  # when each pool was last set
    position: int | None = None  # the last order event position looked at
    sent: dict[uuid.UUID, dict[str, int]] = field(default_factory=dict)  # per channel, the figures last sent
    sent_at: dict[tuple[uuid.UUID, str], datetime] = field(default_factory=dict)
    pending: dict[uuid.UUID, set[str]] = field(default_factory=dict)  # skus held back by the once-a-second rule

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.pump()
            except Exception:
                log.exception("availability feed failed; retrying")
            await wait_or_stop(asyncio.Event(), stop, self.poll_seconds)  # a tick, not a wake-up: coalescing

    async def pump(self) -> int:
        """Send the followed channels' figures that changed; how many (sku, channel) figures changed."""
        if not self.followers:
            self.level_mark = utcnow()
            self.position, self.sent, self.pools, self.sent_at, self.pending = None, {}, {}, {}, {}
            return 0
        self.sent_at = {key: at for key, at in self.sent_at.items() if utcnow() - at < EVERY}
        async with self.db.read() as session:
            dirty = await self._moved(session)
            repooled = await self._repooled(session)
            count = 0
            for channel_id in {f.channel_id for f in self.followers}:
                followers = [f for f in self.followers if f.channel_id == channel_id]
                last = self.sent.setdefault(channel_id, {})
                check = dirty | self.pending.pop(channel_id, set()) | (set(last) if channel_id in repooled else set())
                if all(f.skus is not None for f in followers):
                    check &= set().union(*(f.skus or () for f in followers))
                tick = utcnow()
                waiting = {sku for sku in check if tick - self.sent_at.get((channel_id, sku), tick - EVERY) < EVERY}
                if waiting:
                    self.pending[channel_id] = waiting
                changed: Items = []
                if check := check - waiting:
                    now = await channel_figures(session, channel_id=channel_id, skus=sorted(check))
                    changed = [(sku, n) for sku, n in sorted(now.items()) if last.get(sku) != n]
                    last.update(changed)
                    self.sent_at.update({(channel_id, sku): tick for sku, _ in changed})
                    count += len(changed)
                for follower in followers:
                    items = [(sku, n) for sku, n in changed if follower.skus is None or sku in follower.skus]
                    if follower.fresh:
                        follower.fresh = False
                    elif items and not follower.overflowed:
                        try:
                            follower.queue.put_nowait(items)
                        except asyncio.QueueFull:
                            follower.overflowed = True
        return count

    async def _moved(self, session) -> set[str]:  # type: ignore[no-untyped-def]
        """The skus whose figure may have moved since the last look."""
        moved = await moved_since(session, level_mark=self.level_mark, position=self.position)
        self.level_mark, self.position = moved.level_mark, moved.position
        return moved.skus

    async def _repooled(self, session) -> set[uuid.UUID]:  # type: ignore[no-untyped-def]
        """The channels whose pool was set, changed or removed since the last look (pools are few)."""
        now = dict((await session.execute(select(AvailabilityPool.channel_id, AvailabilityPool.updated_at))).all())
        changed = {c for c in now.keys() | self.pools.keys() if now.get(c) != self.pools.get(c)}
        self.pools = now
        return changed

    @contextlib.contextmanager
    def _following(self, follower: Follower) -> Iterator[Follower]:
        self.followers.add(follower)
        try:
            yield follower
        finally:
            self.followers.discard(follower)

    async def follow(self, *, channel_id: uuid.UUID, skus: set[str] | None) -> AsyncIterator[Items]:
        """The channel's figures of these skus (None: all) each time some change: what changed."""
        if skus:  # what they are now, so that the first message is a change
            async with self.db.read() as session:
                now = await channel_figures(session, channel_id=channel_id, skus=sorted(skus))
            last = self.sent.setdefault(channel_id, {})
            for sku, n in now.items():
                last.setdefault(sku, n)
        wanted = frozenset(skus) if skus else None
        follower = Follower(channel_id, wanted, asyncio.Queue(self.queue_size), fresh=wanted is None)
        with self._following(follower):
            while True:
                if follower.overflowed and follower.queue.empty():
                    raise TooSlow()
                yield await follower.queue.get()
