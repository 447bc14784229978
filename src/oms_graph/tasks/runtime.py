"""Background work beside the API: the outbox relay, and in-process workers when embedded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import dramatiq
from sqlalchemy import select

from oms_graph.config import Settings
from oms_graph.db.engine import Database
from oms_graph.db.models import Order, PaymentTransaction, Shipment
from oms_graph.domain.fulfilment import ShipmentStatus
from oms_graph.domain.orders import OrderStatus
from oms_graph.domain.payments import TransactionStatus
from oms_graph.events.relay import (
    OutboxRelay,
    combined,
    marketplace_handlers,
    notification_handlers,
    payment_handlers,
    routing_handlers,
    shipping_handlers,
    simulation_handlers,
    webhook_batches,
)
from oms_graph.services import webhooks
from oms_graph.tasks.actors import Actors, register
from oms_graph.tasks.broker import build_broker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Background:
    relay: OutboxRelay
    actors: Actors  # to send work that is not an order event (an inventory file)


@contextlib.asynccontextmanager
async def background(settings: Settings, db: Database) -> AsyncIterator[Background | None]:
    """Run the relay (and, with no broker configured, a worker) for the life of the block."""
    if not settings.background:
        yield None
        return
    broker = build_broker(
        settings.broker_url,
        heartbeat_ms=settings.broker_heartbeat_ms,
        maintenance_chance=settings.broker_maintenance_chance,
    )
    actors = register(broker, settings=settings)
    worker = None
    if settings.broker_url is None:
        worker = dramatiq.Worker(broker, worker_threads=settings.worker_threads)
        worker.start()
    endpoints = EndpointsActive(db)
    handlers = combined(
        routing_handlers(actors.route_order.send),
        simulation_handlers(actors.simulate_routing.send),
        shipping_handlers(actors.book_shipment.send, actors.cancel_shipment.send),
        payment_handlers(actors.execute_payment.send),
        marketplace_handlers(actors.cancel_posting.send),
        notification_handlers(actors.send_notification.send) if settings.smtp_host or settings.sms_url else {},
    )
    relay = OutboxRelay(db, handlers, batch_handlers=[webhook_batches(actors.dispatch_webhooks.send, endpoints.get)])
    # Messages can be lost after their event was marked relayed (the in-process broker lives in memory;
    # a broker can lose data): on start, every order still waiting for routing, every shipment still being
    # booked and every payment call still unanswered is sent again (the actors do each once).
    try:
        await resend_waiting(
            db, route=actors.route_order.send, book=actors.book_shipment.send, pay=actors.execute_payment.send
        )
    except Exception:  # a broker that is down must not keep the API from starting; the relay retries
        log.exception("could not send waiting work at start")
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(relay.run(stop)),
        asyncio.create_task(every(settings.sweep_seconds, actors.sweep_fulfilments.send, stop)),
        asyncio.create_task(every(settings.analytics_refresh_seconds, actors.refresh_analytics.send, stop)),
        asyncio.create_task(every(settings.availability_webhook_seconds, actors.send_availability.send, stop)),
        asyncio.create_task(every(settings.marketplace_poll_seconds, actors.poll_marketplaces.send, stop)),
        asyncio.create_task(every(settings.tracking_poll_seconds, actors.poll_tracking.send, stop)),
        asyncio.create_task(endpoints.run(stop)),
    ]
    try:
        yield Background(relay, actors)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        if worker is not None:
            await asyncio.to_thread(worker.stop)
        broker.close()


class EndpointsActive:
    """Whether any webhook endpoint is active, looked up every few seconds (the relay asks per event).
    Until the first answer it says yes: a dispatch with no endpoint to go to does nothing, while an event
    relayed as "no endpoints" by a process just (re)started would never reach the endpoints there are."""

    SECONDS = 5.0

    def __init__(self, db: Database) -> None:
        self.db, self.active = db, True

    def get(self) -> bool:
        return self.active

    async def look_up(self) -> None:
        async with self.db.read() as session:
            self.active = await webhooks.any_active(session)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.look_up()
            except Exception:
                log.exception("could not look up webhook endpoints")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.SECONDS)


async def resend_waiting(
    db: Database, *, route: Callable[[str], object], book: Callable[[str], object], pay: Callable[[str], object]
) -> int:
    """Send every PLACED order to routing, every BOOKING shipment to its carrier and every PENDING payment call
    to its actor again; how many."""
    async with db.read() as session:
        waiting = list(await session.scalars(select(Order.id).where(Order.status == OrderStatus.PLACED)))
        booking = list(await session.scalars(select(Shipment.id).where(Shipment.status == ShipmentStatus.BOOKING)))
        unanswered = list(
            await session.scalars(
                select(PaymentTransaction.id).where(PaymentTransaction.status == TransactionStatus.PENDING)
            )
        )
    for order_id in waiting:
        route(str(order_id))
    for shipment_id in booking:
        book(str(shipment_id))
    for transaction_id in unanswered:
        pay(str(transaction_id))
    return len(waiting) + len(booking) + len(unanswered)


async def every(seconds: float, send: Callable[[], object], stop: asyncio.Event) -> None:
    """Send a scheduled actor's message every `seconds` until stopped (each API process does; the actors
    lock what they change, so two processes sending the same sweep do the work once)."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        if stop.is_set():
            return
        try:
            send()
        except Exception:  # the broker is away: the next tick tries again
            log.exception("could not send the scheduled work")
