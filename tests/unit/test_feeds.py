"""Shared subscription feeds (api/feeds.py): one stream for members alike, each member ended on its own."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncGenerator
from typing import Any, cast

from strawberry.types.execution import ExecutionResult, PreExecutionError

from oms_graph.api.context import Context
from oms_graph.api.feeds import Feeds, feed_key, serve
from oms_graph.config import Settings
from oms_graph.domain.access import Principal, Role

ADMIN = Principal(key_id=uuid.uuid4(), name="a", role=Role.ADMIN)
WEB = Principal(key_id=uuid.uuid4(), name="w", role=Role.STOREFRONT, channel_id=uuid.uuid4(), channel_code="web")
EVENTS = "subscription($after: ID) { orderEvents(after: $after) { id } }"


def context(principal: Principal = ADMIN) -> Context:
    return Context(request=cast(Any, None), db=cast(Any, None), settings=Settings(), principal=principal)


class Source:
    """A subscription's stream, fed by the test: each number an event, None its end."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[int | None] = asyncio.Queue()
        self.started = 0

    async def start(self, ctx: Context) -> AsyncGenerator[Any, None]:
        self.started += 1

        async def stream() -> AsyncGenerator[Any, None]:
            while (n := await self.events.get()) is not None:
                ctx.followed = n
                yield ExecutionResult(data={"orderEvents": {"id": str(n)}}, errors=None)

        return stream()


class Socket:
    """A member's socket: what was written; `hold` makes writing wait until released."""

    def __init__(self) -> None:
        self.written: list[dict[str, Any]] = []
        self.completed = False
        self.hold: asyncio.Event | None = None

    async def send_text(self, text: str) -> None:
        self.written.append(json.loads(text))
        if self.hold is not None:
            await self.hold.wait()

    async def complete(self) -> None:
        self.completed = True

    def ids(self) -> list[str]:
        return [m["payload"]["data"]["orderEvents"]["id"] for m in self.written if m["payload"]["data"]]


def test_only_subscribers_alike_in_document_variables_and_scope_share_a_key() -> None:
    key = feed_key(EVENTS, {}, None, context())
    assert key is not None
    assert feed_key(EVENTS, {}, None, context()) == key
    assert feed_key(EVENTS, {"after": None}, None, context()) is not None  # null is not a point to resume from
    assert feed_key(EVENTS, {}, None, context(WEB)) not in (None, key)  # another scope
    assert feed_key(EVENTS, {"after": "41"}, None, context()) is None  # resumes from its own point
    assert feed_key('subscription { orderEvents(after: "41") { id } }', {}, None, context()) is None
    assert feed_key("subscription { stockChanged { sku } }", {}, None, context()) is None  # not listed
    assert feed_key("query { __typename }", {}, None, context()) is None
    assert feed_key("subscription {", {}, None, context()) is None  # not a document
    padded = "subscription { orderEvents { id " + "id " * 5000 + "} }"  # strawberry's path, with its limits
    assert feed_key(padded, {}, None, context()) is None


async def test_members_share_one_stream_and_one_too_far_behind_is_ended_alone_with_the_last_event_it_got() -> None:
    source, feeds = Source(), Feeds(queue_size=2)
    key = ("k",)
    fast, slow = Socket(), Socket()
    slow.hold = asyncio.Event()
    members = [feeds.join(key, op, context(), source.start) for op in ("a", "b")]
    pairs = zip(members, (fast, slow), strict=True)
    serving = [asyncio.create_task(serve(m, s.send_text, s.complete)) for m, s in pairs]
    await source.events.put(1)
    for _ in range(20):
        await asyncio.sleep(0)
    for n in range(2, 8):  # the slow one is still writing event 1: it falls more than 2 behind
        await source.events.put(n)
        await asyncio.sleep(0.01)
    slow.hold.set()
    await source.events.put(None)
    assert await asyncio.wait_for(asyncio.gather(*serving), 5) == [True, True]
    assert source.started == 1
    assert fast.ids() == [str(n) for n in range(1, 8)] and fast.completed
    assert [m["id"] for m in fast.written] == ["a"] * 7
    ended = slow.written[-1]["payload"]["errors"][0]
    assert slow.ids() == ["1"] and slow.completed
    assert ended["extensions"] == {"code": "TOO_SLOW", "after": "1"}


async def test_a_stream_refused_before_it_starts_sends_every_member_down_the_lone_path() -> None:
    feeds = Feeds(queue_size=10)

    async def refused(ctx: Context) -> AsyncGenerator[Any, None]:
        async def stream() -> AsyncGenerator[Any, None]:
            yield PreExecutionError(data=None, errors=[])

        return stream()

    sockets = [Socket(), Socket()]
    members = [feeds.join(("k",), op, context(), refused) for op in ("a", "b")]
    served = [serve(m, s.send_text, s.complete) for m, s in zip(members, sockets, strict=True)]
    assert await asyncio.wait_for(asyncio.gather(*served), 5) == [False, False]
    assert all(s.written == [] and not s.completed for s in sockets)


async def test_the_feed_stops_with_its_last_member() -> None:
    source, feeds = Source(), Feeds(queue_size=10)
    members = [feeds.join(("k",), op, context(), source.start) for op in ("a", "b")]
    feed = feeds.feeds[("k",)]
    feeds.leave(("k",), members[0])
    assert feeds.feeds == {("k",): feed} and not feed.task.done()  # type: ignore[union-attr]
    feeds.leave(("k",), members[1])
    assert feeds.feeds == {}
    await asyncio.sleep(0)
    assert feed.task is not None and (feed.task.cancelled() or feed.task.done())


async def test_a_feed_that_fails_tells_each_member_and_completes_it() -> None:
    feeds = Feeds(queue_size=10)

    async def broken(ctx: Context) -> AsyncGenerator[Any, None]:
        async def stream() -> AsyncGenerator[Any, None]:
            yield ExecutionResult(data={"orderEvents": {"id": "1"}}, errors=None)
            raise RuntimeError("the stream broke")

        return stream()

    sockets = [Socket(), Socket()]
    members = [feeds.join(("k",), op, context(), broken) for op in ("a", "b")]
    served = [serve(m, s.send_text, s.complete) for m, s in zip(members, sockets, strict=True)]
    assert await asyncio.wait_for(asyncio.gather(*served), 5) == [True, True]
    for socket in sockets:
        assert socket.ids() == ["1"] and socket.completed
        assert socket.written[-1]["payload"]["errors"] == [{"message": "internal error"}]
    assert feeds.feeds == {}
