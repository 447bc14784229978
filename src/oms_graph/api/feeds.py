"""Subscriptions shared: one execution per event for every subscriber that asked the same thing.

What an `orderEvents` subscription answers to an event depends only on its document, its variables and
what its caller may see (role, channel, location). Subscribers alike in those three join one `Feed`: it
runs the subscription once (strawberry's own stream, with a copy of the first subscriber's context),
encodes each result once, and hands every member the same `next` message with the member's operation id
spliced in. A member is a list of messages and its operation's task, which writes the messages to its socket: one
that falls `queue_size` messages behind is ended with TOO_SLOW and the last event id it got, as a lone
subscription is, and slows no one else. The feed ends with its last member; a subscription that resumes
(`after`), that the feed cannot run (an invalid document), or that asks for a field not listed in SHARED
takes strawberry's path of one execution per subscriber.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, cast

import orjson
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, VariableNode, parse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.types.execution import ExecutionResult, PreExecutionError

from oms_graph.api.context import Context
from oms_graph.api.limits import MAX_TOKENS, unsuggested
from oms_graph.db.engine import UNAVAILABLE
from oms_graph.metrics import FEED_MEMBERS, FEEDS

log = logging.getLogger(__name__)
# Root fields a feed may serve, each with the arguments that make a subscription its own when given.
SHARED: dict[str, frozenset[str]] = {"orderEvents": frozenset({"after"})}
MAX_SHARED_DOCUMENT = 4000  # characters
# As HTTP's 503, the way 4401 and 4403 stand for 401 and 403.
DATABASE_AWAY = 4503, f"UNAVAILABLE: {UNAVAILABLE}"
TOO_SLOW = "the subscription fell too far behind and was ended; subscribe again with after: the last event id"


class Unavailable(Exception):
    """The database cannot be reached to check a WebSocket connection's key."""


Start = Callable[[Context], Awaitable[AsyncGenerator[Any, None]]]  # the subscription's result stream, given a context


@lru_cache(maxsize=512)
def _shared_field(query: str, operation_name: str | None) -> tuple[str, tuple[tuple[str, str | None], ...]] | None:
    """The root field of a subscription document a feed may serve, with its arguments that make a subscriber
    its own (each with its variable's name, None for a literal); None when the document is not such."""
    try:
        document = parse(query, max_tokens=MAX_TOKENS)  # as the schema's limiter parses it
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1 or chosen[0].operation is not OperationType.SUBSCRIPTION:
        return None
    selections = chosen[0].selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode) or selections[0].directives:
        return None
    root = selections[0]
    if root.name.value not in SHARED:
        return None
    personal = tuple(
        (a.name.value, a.value.name.value if isinstance(a.value, VariableNode) else None)
        for a in root.arguments or ()
        if a.name.value in SHARED[root.name.value]
    )
    return root.name.value, personal


def feed_key(
    query: str, variables: dict[str, Any] | None, operation_name: str | None, context: Context
) -> tuple[Any, ...] | None:
    """What subscribers of one feed have in common; None when this subscription is its own (a document
    longer than a subscription needs goes strawberry's way, with its limits, and is not kept here)."""
    if len(query) > MAX_SHARED_DOCUMENT:
        return None
    shared = _shared_field(query, operation_name)
    if shared is None or context.principal is None:
        return None
    values = variables or {}
    if any(variable is None or values.get(variable) is not None for _, variable in shared[1]):
        return None  # resumes from its own point
    caller = context.principal
    try:
        given = json.dumps(values, sort_keys=True)
    except TypeError:
        return None
    return (query, operation_name, given, caller.role, caller.channel_id, caller.location_id)


END, FALL_BACK, FAILED = "end", "fall back", "failed"  # what a member gets besides messages


Item = tuple[int | None, str] | str  # (event, message) to write, or END / FALL_BACK / FAILED


@dataclass(eq=False, slots=True)
class Member:
    """One subscriber of a feed: its messages, written by its operation's task. A list and a future made
    only while it waits, not an asyncio.Queue: ten thousand idle members cost a few KB less each."""

    operation_id: str
    limit: int  # messages waiting to be written, at most
    waiting: list[Item] = field(default_factory=list)
    head: int = 0  # the next of `waiting` to write
    wake: asyncio.Future[None] | None = None
    last_event: int | None = None  # the event of the last message written to the socket
    behind: bool = False  # it fell `limit` messages behind: it is ended, with the last event it got

    def offer(self, event: int | None, message: str) -> None:
        if self.behind:
            return
        if len(self.waiting) - self.head < self.limit:
            self._put((event, message))
            return
        self.behind = True
        self.waiting.clear()  # what it has not written goes; it resumes from what it got
        self.head = 0
        self._put(END)

    def end(self, ending: str) -> None:
        if not self.behind:
            self._put(ending)

    def _put(self, item: Item) -> None:
        self.waiting.append(item)
        if self.wake is not None and not self.wake.done():
            self.wake.set_result(None)

    async def next(self) -> Item:
        while self.head == len(self.waiting):
            self.wake = asyncio.get_running_loop().create_future()
            try:
                await self.wake
            finally:
                self.wake = None
        item = self.waiting[self.head]
        self.head += 1
        if self.head == len(self.waiting):
            self.waiting.clear()
            self.head = 0
        return item

    def too_slow(self) -> str:
        error = {
            "message": TOO_SLOW,
            "path": [],
            "extensions": {"code": "TOO_SLOW", "after": None if self.last_event is None else str(self.last_event)},
        }
        return _message(self.operation_id, json.dumps({"data": None, "errors": [error]}))


@dataclass(eq=False)
class Feed:
    """One execution of a subscription, its results encoded once and handed to every member."""

    key: tuple[Any, ...]
    context: Context
    members: set[Member] = field(default_factory=set)
    task: asyncio.Task[None] | None = None

    async def run(self, start: Start, feeds: Feeds) -> None:
        ending, first = END, True
        try:
            async with contextlib.aclosing(await start(self.context)) as source:
                async for result in source:
                    if isinstance(result, PreExecutionError) or not isinstance(result, ExecutionResult):
                        if first:  # each member takes strawberry's path, which answers it per protocol
                            ending = FALL_BACK
                        return
                    first = False
                    payload = orjson.dumps(_payload(result)).decode()
                    event = self.context.followed
                    for member in list(self.members):
                        member.offer(event, _message(member.operation_id, payload))
        except Exception:  # its members get an error and are completed; they may subscribe again
            log.exception("a shared subscription feed failed")
            ending = FAILED
        finally:
            feeds.forget(self)
            for member in list(self.members):
                member.end(ending)


def _payload(result: ExecutionResult) -> dict[str, Any]:
    """A result as strawberry's graphql-transport-ws handler sends it in `next`."""
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return payload


def _message(operation_id: str, payload: str) -> str:
    return f'{{"id":{json.dumps(operation_id)},"type":"next","payload":{payload}}}'


class Feeds:
    """The feeds of one API process, by what their members have in common."""

    def __init__(self, queue_size: int) -> None:
        self.queue_size = queue_size
        self.feeds: dict[tuple[Any, ...], Feed] = {}

    def join(self, key: tuple[Any, ...], operation_id: str, context: Context, start: Start) -> Member:
        """A member of the feed for `key`, started (with a copy of `context`) if there is none."""
        feed = self.feeds.get(key)
        if feed is None:
            feed = self.feeds[key] = Feed(key, replace(context, cache={}, followed=None))
            FEEDS.inc()
            feed.task = asyncio.create_task(feed.run(start, self))
        member = Member(operation_id, self.queue_size)
        feed.members.add(member)
        FEED_MEMBERS.inc()
        return member

    def leave(self, key: tuple[Any, ...], member: Member) -> None:
        """The member is gone (completed, disconnected); a feed with no member left stops."""
        FEED_MEMBERS.dec()
        feed = self.feeds.get(key)
        if feed is None or member not in feed.members:
            return
        feed.members.discard(member)
        if not feed.members and feed.task is not None:
            self.forget(feed)
            feed.task.cancel()

    def forget(self, feed: Feed) -> None:
        if self.feeds.get(feed.key) is feed:
            del self.feeds[feed.key]
            FEEDS.dec()


async def serve(
    member: Member, send_text: Callable[[str], Awaitable[None]], complete: Callable[[], Awaitable[None]]
) -> bool:
    """Write a member's messages until its feed ends (then `complete`, or TOO_SLOW when it fell behind);
    False when the feed could not run the subscription and the member must take strawberry's path."""
    while True:
        item = await member.next()
        if isinstance(item, str):
            if item == FALL_BACK:
                return False
            if member.behind:
                await send_text(member.too_slow())
            elif item == FAILED:
                await send_text(_message(member.operation_id, '{"data":null,"errors":[{"message":"internal error"}]}'))
            await complete()
            return True
        event, message = item
        await send_text(message)
        if event is not None:
            member.last_event = event


class FeedingHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws as strawberry speaks it, with subscriptions alike served by one feed; a
    connection whose key cannot be checked (the database away) is closed with DATABASE_AWAY; errors name no
    "Did you mean" where introspection is off."""

    async def handle_connection_init(self, message: Any) -> None:
        try:
            await super().handle_connection_init(message)
        except Unavailable:
            log.warning("a WebSocket connection was refused: the database is unavailable")
            await self.websocket.close(code=DATABASE_AWAY[0], reason=DATABASE_AWAY[1])

    async def send_message(self, message: Any) -> None:
        settings = getattr(self.view, "settings", None)
        if settings is not None and not settings.introspection_enabled:  # no "Did you mean" here either
            kind = message.get("type")
            if kind == "error":
                unsuggested({"errors": message["payload"]})
            elif kind == "next":
                unsuggested(message["payload"])
        await super().send_message(message)

    async def shutdown(self) -> None:
        if self.context.let_go is not None:
            self.context.let_go()
        await super().shutdown()

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        feeds = cast(Feeds | None, getattr(self.view, "feeds", None))
        key = feed_key(operation.query, operation.variables, operation.operation_name, self.context)
        if feeds is None or key is None:
            await super().run_operation(operation)
            return

        async def start(context: Context) -> AsyncGenerator[Any, None]:
            return await self.schema.stream(  # type: ignore[attr-defined, no-any-return]
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )

        async def send_text(text: str) -> None:
            await cast(Any, self.websocket).ws.send_text(text)

        async def complete() -> None:
            await operation.send_operation_message({"id": operation.id, "type": "complete"})

        member = feeds.join(key, operation.id, self.context, start)
        try:
            served = await serve(member, send_text, complete)
        except Exception:  # the socket is gone: the connection's handler cleans up
            log.debug("a shared subscription's socket is gone", exc_info=True)
            return
        finally:
            feeds.leave(key, member)
        if not served:
            await super().run_operation(operation)
