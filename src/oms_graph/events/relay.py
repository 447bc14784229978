"""The outbox relay: the one path from a commit to background work.

Events are written in the same transaction as the change they describe. The relay reads events not yet
relayed, oldest first, hands each to the actors that act on it (in a thread: a broker's send blocks), and
marks them relayed in one transaction. A crash between the hand-off and the mark re-sends the batch on
the next run (actors are idempotent); nothing committed is ever lost. Several relays (one per API process)
take turns: each locks its batch (FOR UPDATE), and one that waited finds those events relayed and takes
the next ones. They wait rather than skip, so the event sequencer (events/stream.py), which also writes
these rows for a moment, never makes a relay pass an event by.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import connection_of
from oms_graph.db.engine import Database
from oms_graph.db.models import OrderEvent
from oms_graph.domain.events import EventType

log = logging.getLogger(__name__)
BATCH = 200
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Relayed:
    """What the handlers get of an event."""

    id: int
    type: str
    order_id: uuid.UUID | None  # None: a transfer's own event
    data: dict[str, Any]


Handler = Callable[[Relayed], None]
BatchHandler = Callable[[list[Relayed]], None]  # gets each batch: one message for many events

_EVENTS = cast(Table, OrderEvent.__table__)
_UNRELAYED = (
    select(_EVENTS.c.id, _EVENTS.c.type, _EVENTS.c.order_id, _EVENTS.c.data)
    .where(_EVENTS.c.relayed_at.is_(None))
    .order_by(_EVENTS.c.id)
    .limit(BATCH)
    .with_for_update()
)
_MARK = (
    update(_EVENTS).where(_EVENTS.c.id.in_(bindparam("b_events", expanding=True))).values(relayed_at=bindparam("b_at"))
)


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        handlers: Mapping[str, Handler],
        *,
        batch_handlers: Sequence[BatchHandler] = (),
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.db = db
        self.handlers, self.batch_handlers = handlers, batch_handlers
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    def poke(self) -> None:
        """Something was committed: look now rather than at the next poll."""
        self._wake.set()

    async def relay_once(self) -> int:
        """Hand the oldest unrelayed events to their handlers and mark them; how many there were."""
        async with self.db.write() as session:
            connection = await connection_of(session)
            events = [Relayed(*row) for row in await connection.execute(_UNRELAYED)]
            if events:
                # A broker's send blocks (a socket write, a reconnect): off the event loop, while the batch
                # stays locked and unmarked, so a failure here re-sends it and loses nothing.
                await asyncio.to_thread(self._hand_on, events)
                await connection.execute(_MARK, {"b_events": [e.id for e in events], "b_at": utcnow()})
        return len(events)

    def _hand_on(self, events: list[Relayed]) -> None:
        for event in events:
            handler = self.handlers.get(event.type)
            if handler is not None:
                handler(event)
        for batch_handler in self.batch_handlers:
            batch_handler(events)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until stopped: at once when poked, else every poll interval."""
        while not stop.is_set():
            self._wake.clear()  # before reading: a commit poking while we read is looked at next round
            try:
                if await self.relay_once() == BATCH:
                    continue
            except Exception:  # the database or the broker is away: log, wait, try again
                log.exception("outbox relay failed; retrying")
            waits = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
            await asyncio.wait(waits, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            for task in waits:
                task.cancel()


def routing_handlers(send_route: Callable[[str], object]) -> dict[str, Handler]:
    """Events after which an order may need routing: placed, released from hold, requeued after a backorder."""

    def route(event: Relayed) -> None:
        send_route(str(event.order_id))

    return {EventType.ORDER_PLACED: route, EventType.ORDER_RELEASED: route, EventType.ORDER_REQUEUED: route}


def simulation_handlers(send_simulate: Callable[[str], object]) -> dict[str, Handler]:
    """A what-if routing simulation was requested: a worker runs it."""

    def simulate(event: Relayed) -> None:
        send_simulate(str(event.data["simulation"]))

    return {EventType.SIMULATION_REQUESTED: simulate}


def shipping_handlers(send_book: Callable[[str], object], send_cancel: Callable[[str], object]) -> dict[str, Handler]:
    """Events after which a carrier is called: a fulfilment was packed (book), a booked shipment was
    cancelled (cancel with the carrier)."""

    def book(event: Relayed) -> None:
        send_book(str(event.data["shipment"]))

    def cancel(event: Relayed) -> None:
        if event.data.get("trackingNumber"):
            send_cancel(str(event.data["shipment"]))

    return {EventType.SHIPMENT_BOOKING: book, EventType.SHIPMENT_CANCELLED: cancel}


def payment_handlers(send_execute: Callable[[str], object]) -> dict[str, Handler]:
    """Events after which a payment provider is called: a capture, void or refund was requested."""

    def execute(event: Relayed) -> None:
        send_execute(str(event.data["transaction"]))

    return {EventType.PAYMENT_REQUESTED: execute}


def marketplace_handlers(send_cancel: Callable[[str], object]) -> dict[str, Handler]:
    """Events a marketplace hears about: an order cancelled (the actor skips orders no marketplace sent, and
    cancellations the marketplace made itself)."""

    def cancel(event: Relayed) -> None:
        if event.order_id is not None:
            send_cancel(str(event.order_id))

    return {EventType.ORDER_CANCELLED: cancel}


def notification_handlers(send_notification: Callable[[int], object]) -> dict[str, Handler]:
    """Events a customer hears about."""
    from oms_graph.domain.notifications import TEMPLATES

    def notify(event: Relayed) -> None:
        send_notification(event.id)

    return dict.fromkeys(TEMPLATES, notify)


def webhook_batches(send_dispatch: Callable[[list[int]], object], endpoints_active: Callable[[], bool]) -> BatchHandler:
    """Every event goes to the webhook actor, a batch to a message, while any endpoint is registered and
    active."""

    def dispatch(events: list[Relayed]) -> None:
        if endpoints_active():
            send_dispatch([event.id for event in events])

    return dispatch


def combined(*tables: Mapping[str, Handler]) -> dict[str, Handler]:
    """One handler table from several; an event type in more than one gets each of their handlers."""
    chains: dict[str, list[Handler]] = {}
    for table in tables:
        for kind, handler in table.items():
            chains.setdefault(kind, []).append(handler)

    def chain(handlers: list[Handler]) -> Handler:
        def each(event: Relayed) -> None:
            for handler in handlers:
                handler(event)

        return handlers[0] if len(handlers) == 1 else each

    return {kind: chain(handlers) for kind, handlers in chains.items()}
