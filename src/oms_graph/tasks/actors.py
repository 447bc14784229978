"""Actors, named area.verb: thin, they take ids, open their own transaction and call a service."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import dramatiq

from oms_graph.adapters.carriers import CarrierError
from oms_graph.adapters.notifications import sender_for
from oms_graph.adapters.outbound import Unreachable, send
from oms_graph.adapters.payments import PaymentError
from oms_graph.config import Settings
from oms_graph.db.base import utcnow
from oms_graph.domain.events import EventType
from oms_graph.domain.fulfilment import ShipmentStatus
from oms_graph.domain.notifications import Medium, NotificationStatus
from oms_graph.domain.payments import PaymentKind
from oms_graph.services import audit, notifications, webhooks
from oms_graph.services import outbox as events
from oms_graph.services.analytics import summaries as sales_summary
from oms_graph.services.fulfilment import shipping, sweep
from oms_graph.services.orders import backorders, promises
from oms_graph.services.payments import transactions as payments
from oms_graph.services.routing import plan as routing
from oms_graph.services.routing import simulation
from oms_graph.tasks import connected
from oms_graph.tasks.context import database, runtime, use_settings
from oms_graph.tasks.marketplaces import cancel_posting, poll_marketplaces
from oms_graph.tasks.stock import import_stock, resend_stalled_imports, send_availability
from oms_graph.tasks.tracking import poll_tracking

log = logging.getLogger(__name__)
MAX_RETRIES = 8
ROUTE_BATCH = 20  # orders one routing transaction takes when several are waiting


async def route_order(order_id: str) -> None:
    """Route the order, with other waiting orders in the same transaction; should that batch fail, the
    order alone (so one order that cannot be routed never holds up the others)."""
    pause = float(os.environ.get("OMS_TEST_ROUTE_PAUSE", "0"))  # lets a test kill a worker mid-routing
    try:
        async with database().write() as session:
            await routing.route_order(session, order_id=uuid.UUID(order_id), batch=ROUTE_BATCH)
            if pause:
                await asyncio.sleep(pause)
        return
    except Exception:
        log.warning("routing %s in a batch failed; routing it alone", order_id, exc_info=True)
    async with database().write() as session:
        await routing.route_order(session, order_id=uuid.UUID(order_id))


async def simulate_routing(simulation_id: str) -> None:
    """Run a what-if routing simulation (services/routing/simulation.py); a failure marks it FAILED."""
    job = uuid.UUID(simulation_id)
    try:
        await simulation.run(database(), simulation_id=job)
    except Exception as error:
        await simulation.failed(database(), simulation_id=job, error=f"{type(error).__name__}: {error}")
        raise


async def book_shipment(shipment_id: str) -> None:
    """Book a packed fulfilment's shipment with its carrier; the carrier is called outside any transaction,
    with the shipment's id as idempotency key, so a retry after a timeout cannot book twice."""
    async with database().read() as session:
        wanted = await shipping.booking_request(session, shipment_id=uuid.UUID(shipment_id))
    if wanted is None:
        return  # booked, cancelled or failed already
    try:  # a carrier no connector or setting names is a permanent refusal too: the shipment FAILED
        carrier, connector = await connected.carrier(wanted.carrier)
        async with connected.logged(connector, "book"):
            booking = await carrier.book(wanted.request)
    except CarrierError as error:
        if not error.permanent:
            raise  # retried with backoff; after the last retry task.failed marks the shipment FAILED
        async with database().write() as session:
            await shipping.booking_failed(session, shipment_id=uuid.UUID(shipment_id), error=str(error))
        return
    async with database().write() as session:
        shipment = await shipping.booked(session, shipment_id=uuid.UUID(shipment_id), booking=booking)
        cancelled = shipment is not None and shipment.status == ShipmentStatus.CANCELLED
    if cancelled:  # its order was cancelled while the carrier was booking it
        async with connected.logged(connector, "cancel"):
            await carrier.cancel(booking.tracking_number)


async def cancel_shipment(shipment_id: str) -> None:
    """Tell the carrier a booked shipment is off (its order was cancelled after packing)."""
    async with database().read() as session:
        booked = await shipping.to_cancel(session, shipment_id=uuid.UUID(shipment_id))
    if booked is None:
        return
    name, tracking_number = booked
    carrier, connector = await connected.carrier(name)
    async with connected.logged(connector, "cancel"):
        await carrier.cancel(tracking_number)


async def execute_payment(transaction_id: str) -> None:
    """Make a requested capture, void, refund or increment with the order's provider, outside any transaction, with
    the transaction's id as idempotency key (a retry, or a second delivery of the message, moves money
    once). A capture with no authorisation on the order authorises first. A decline is recorded as
    FAILED; an unreachable provider is recorded and retried with backoff."""
    key = uuid.UUID(transaction_id)
    async with database().read() as session:
        call = await payments.pending_call(session, transaction_id=key)
    if call is None:
        return
    request, authorization, reference = call.request, None, None
    try:
        provider, connector = await connected.payment_provider(call.provider)
        async with connected.logged(connector, call.kind.value.lower()):
            if call.kind is PaymentKind.CAPTURE and request.reference is None:
                authorization = await provider.authorize(replace(request, key=f"{request.key}:authorize"))
                request = replace(request, reference=authorization)
            # nothing authorised: nothing to void or to add to (a capture authorises what it takes)
            if call.kind not in (PaymentKind.VOID, PaymentKind.INCREMENT) or request.reference is not None:
                reference = await getattr(provider, call.kind.value.lower())(request)
    except PaymentError as error:
        async with database().write() as session:
            await payments.failed(session, transaction_id=key, error=str(error), permanent=error.permanent)
        if not error.permanent:
            raise
        return
    async with database().write() as session:
        await payments.succeeded(session, transaction_id=key, reference=reference, authorization=authorization)


class WebhookFailed(Exception):
    """Some deliveries of an event failed: the message is retried (delivered ones are not sent again)."""


async def dispatch_webhooks(event_ids: list[int] | int) -> None:
    """POST a batch of events (the relay sends one message per batch) to every endpoint that wants them,
    outside any transaction: each endpoint gets its events one at a time in event order, endpoints side by
    side; an endpoint that fails is left for the retry from there. The attempts are logged in one
    transaction. A failed delivery makes the whole message retry with backoff (delivered ones are not sent
    again); the event id in each POST lets receivers de-duplicate what arrives twice."""
    pause = float(os.environ.get("OMS_TEST_WEBHOOK_PAUSE", "0"))  # lets a test kill a worker mid-delivery
    async with database().write() as session:
        pending = await webhooks.deliveries(session, event_ids=_listed(event_ids))
    queues: dict[uuid.UUID, list[webhooks.EventDelivery]] = {}
    for delivery in pending:
        queues.setdefault(delivery.endpoint_id, []).append(delivery)
    made = [attempt for attempts in await asyncio.gather(*map(_post_in_turn, queues.values())) for attempt in attempts]
    if pause:
        await asyncio.sleep(pause)
    async with database().write() as session:
        await webhooks.attempted(session, made, failure_limit=runtime().settings.webhook_failure_limit)
    urls = {delivery.request.id: delivery.request.url for delivery in pending}
    failed = [f"{urls[a.delivery_id]}: {a.error}" for a in made if a.error is not None]
    if failed:
        raise WebhookFailed("; ".join(failed))


async def _post_in_turn(queue: list[webhooks.EventDelivery]) -> list[webhooks.Attempt]:
    """One endpoint's deliveries in order, up to the first that fails."""
    made = []
    for delivery in queue:
        code, error = None, None
        try:
            answer = await send(
                "POST", delivery.request.url, attempts=2, backoff=0.2, try_seconds=10,
                content=delivery.request.body, headers=delivery.request.headers,
            )  # fmt: skip
            code = answer.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except Unreachable as problem:
            code, error = problem.status, str(problem) if problem.status else f"unreachable ({problem})"
        made.append(webhooks.Attempt(delivery.request.id, delivery.endpoint_id, code, error))
        if error is not None:
            break
    return made


def _listed(event_ids: list[int] | int) -> list[int]:
    """A message's events: a list, or one id (as messages sent before batching carry)."""
    return [int(i) for i in event_ids] if isinstance(event_ids, list) else [int(event_ids)]


async def send_notification(event_id: int) -> None:
    """Send the customer the message an event gives them, once: a message logged SENT is not sent again."""
    async with database().write() as session:
        note = await notifications.prepare(session, event_id=event_id)
    if note is None or note.status != NotificationStatus.PENDING:
        return
    sender = sender_for(Medium(note.medium), runtime().settings)
    status, error = NotificationStatus.SENT, None
    if sender is None:
        status, error = NotificationStatus.SKIPPED, f"no sender configured for {note.medium}"
    else:
        try:
            await sender.send(recipient=note.recipient, subject=note.subject, body=note.body)
        except Exception as problem:
            async with database().write() as session:
                await notifications.finished(
                    session, notification_id=note.id, status=NotificationStatus.PENDING, error=str(problem)
                )
            raise  # retried with backoff
    async with database().write() as session:
        await notifications.finished(session, notification_id=note.id, status=status, error=error)


async def sweep_fulfilments() -> None:
    """The schedule's work: assignments not accepted in time go elsewhere, uncollected pickups expire,
    backorders the free stock can serve go back to routing, orders that may miss their promised date are
    flagged, and audit entries past their retention go. One
    transaction per fulfilment; one that fails is logged and left to the next sweep."""
    now, settings = utcnow(), runtime().settings
    accept_within = timedelta(seconds=settings.accept_timeout)
    async with database().read() as session:
        stale = await sweep.stale_assignments(session, now=now, accept_within=accept_within)
        expired = await sweep.expired_pickups(session, now=now)
    for fulfilment_id in stale:
        await _each(sweep.reassign_if_stale, fulfilment_id=fulfilment_id, now=now, accept_within=accept_within)
    for fulfilment_id in expired:
        await _each(sweep.expire_pickup, fulfilment_id=fulfilment_id, now=now)
    async with database().write() as session:
        await backorders.requeue_servable(session, actor=sweep.SCHEDULE.name)
    async with database().write() as session:  # after the rest: what they changed counts
        # a part half way to its accept timeout is flagged (at the timeout it is taken away and routed again)
        await promises.watch(session, now=now, accept_within=accept_within / 2, actor=sweep.SCHEDULE.name)
    await resend_stalled_imports()
    async with database().write() as session:
        await audit.forget_older_than(session, days=settings.audit_retention_days)


async def refresh_analytics() -> None:
    """Rebuild the sales summaries of the days changed since the last refresh."""
    await sales_summary.refresh(database())


async def _each(change: Callable[..., Awaitable[object]], **arguments: Any) -> None:
    try:
        async with database().write() as session:
            await change(session, **arguments)
    except Exception:
        log.exception("scheduled %s failed for %s", change.__name__, arguments.get("fulfilment_id"))


async def record_failure(order_id: str, actor_name: str, error: str) -> None:
    async with database().write() as session:
        await events.append_event(
            session,
            order_id=uuid.UUID(order_id),
            type=EventType.TASK_FAILED,
            actor="system",
            data={"task": actor_name, "error": error[:500]},
        )


async def task_failed(message: dict[str, Any], retries: dict[str, Any]) -> None:
    """A message that failed its last retry leaves a TASK_FAILED event on its order (a booking: its shipment
    FAILED; a payment call: its transaction FAILED; each with an event), never a silent drop."""
    if not message.get("args"):
        return
    traceback = message.get("options", {}).get("traceback") or ""
    error = traceback.strip().splitlines()[-1] if traceback.strip() else "failed"
    if message["actor_name"] == BOOK_SHIPMENT:
        async with database().write() as session:
            await shipping.booking_failed(session, shipment_id=uuid.UUID(message["args"][0]), error=error)
        return
    if message["actor_name"] == DISPATCH_WEBHOOKS:
        async with database().write() as session:
            await webhooks.give_up(
                session,
                event_ids=_listed(message["args"][0]),
                error=error,
                failure_limit=runtime().settings.webhook_failure_limit,
            )
        return
    if message["actor_name"] == SEND_NOTIFICATION:
        async with database().write() as session:
            note = await notifications.prepare(session, event_id=int(message["args"][0]))
            if note is not None:
                await notifications.finished(
                    session, notification_id=note.id, status=NotificationStatus.FAILED, error=error
                )
        return
    if message["actor_name"] == EXECUTE_PAYMENT:
        async with database().write() as session:
            await payments.failed(session, transaction_id=uuid.UUID(message["args"][0]), error=error, permanent=True)
        return
    order_id = str(message["args"][0])
    if message["actor_name"] == CANCEL_SHIPMENT:  # its argument is a shipment: the event goes on its order
        async with database().read() as session:
            order_id = str(await shipping.order_of(session, shipment_id=uuid.UUID(order_id)))
    await record_failure(order_id, message["actor_name"], error)


@dataclass(frozen=True)
class Actors:
    route_order: dramatiq.Actor[[str], None]
    book_shipment: dramatiq.Actor[[str], None]
    cancel_shipment: dramatiq.Actor[[str], None]
    execute_payment: dramatiq.Actor[[str], None]
    dispatch_webhooks: dramatiq.Actor[[list[int] | int], None]
    send_notification: dramatiq.Actor[[int], None]
    sweep_fulfilments: dramatiq.Actor[[], None]
    import_stock: dramatiq.Actor[[str], None]
    simulate_routing: dramatiq.Actor[[str], None]
    send_availability: dramatiq.Actor[[], None]
    refresh_analytics: dramatiq.Actor[[], None]
    poll_marketplaces: dramatiq.Actor[[], None]
    cancel_posting: dramatiq.Actor[[str], None]
    poll_tracking: dramatiq.Actor[[], int]
    task_failed: dramatiq.Actor[[dict[str, Any], dict[str, Any]], None]


TASK_FAILED = "task.failed"  # every actor's on_retry_exhausted
BOOK_SHIPMENT = "shipment.book"
CANCEL_SHIPMENT = "shipment.cancel"
EXECUTE_PAYMENT = "payment.execute"
DISPATCH_WEBHOOKS = "webhook.dispatch"
SEND_NOTIFICATION = "notification.send"
SWEEP_FULFILMENTS = "fulfilment.sweep"
REFRESH_ANALYTICS = "analytics.refresh"
IMPORT_STOCK = "stock.import"
SIMULATE_ROUTING = "routing.simulate"
SEND_AVAILABILITY = "availability.send"
POLL_MARKETPLACES = "marketplace.poll"
CANCEL_POSTING = "marketplace.cancel"
POLL_TRACKING = "carrier.track"


def register(broker: dramatiq.Broker, *, settings: Settings) -> Actors:
    """Declare the actors on a broker (once per broker); they work with these settings."""
    use_settings(settings)
    failed = dramatiq.actor(actor_name=TASK_FAILED, queue_name="failures", broker=broker, max_retries=3)

    def retried(name: str, queue: str, min_backoff: int, max_backoff: int) -> Any:
        """Retried with backoff for up to a day; the last failure goes to task.failed."""
        return dramatiq.actor(
            actor_name=name,
            queue_name=queue,
            broker=broker,
            max_retries=MAX_RETRIES,
            min_backoff=min_backoff,
            max_backoff=max_backoff,
            time_limit=60_000,
            max_age=24 * 3600 * 1000,
            on_retry_exhausted=TASK_FAILED,
        )

    declare = retried("order.route", "routing", 200, 30_000)
    book = retried(BOOK_SHIPMENT, "shipping", 500, 60_000)
    cancel = retried(CANCEL_SHIPMENT, "shipping", 500, 60_000)
    pay = retried(EXECUTE_PAYMENT, "payments", 1000, 300_000)
    hook = retried(DISPATCH_WEBHOOKS, "webhooks", 1000, 600_000)
    notify = retried(SEND_NOTIFICATION, "notifications", 1000, 300_000)
    sweep = dramatiq.actor(
        actor_name=SWEEP_FULFILMENTS, queue_name="schedule", broker=broker, max_retries=0, time_limit=300_000
    )
    load = dramatiq.actor(  # a million-row file takes a minute; a failed try is tried again (see the sweep)
        actor_name=IMPORT_STOCK, queue_name="imports", broker=broker, max_retries=3, time_limit=3_600_000
    )
    refresh = dramatiq.actor(  # the first refresh of a large history takes a while
        actor_name=REFRESH_ANALYTICS, queue_name="schedule", broker=broker, max_retries=0, time_limit=3_600_000
    )
    declared = Actors(
        route_order=declare(route_order),
        book_shipment=book(book_shipment),
        cancel_shipment=cancel(cancel_shipment),
        execute_payment=pay(execute_payment),
        dispatch_webhooks=hook(dispatch_webhooks),
        send_notification=notify(send_notification),
        sweep_fulfilments=sweep(sweep_fulfilments),
        import_stock=load(import_stock),
        simulate_routing=dramatiq.actor(  # a month of orders takes minutes
            actor_name=SIMULATE_ROUTING, queue_name="simulations", broker=broker, max_retries=0, time_limit=3_600_000
        )(simulate_routing),
        send_availability=dramatiq.actor(
            actor_name=SEND_AVAILABILITY, queue_name="schedule", broker=broker, max_retries=0, time_limit=300_000
        )(send_availability),
        refresh_analytics=refresh(refresh_analytics),
        poll_marketplaces=dramatiq.actor(
            actor_name=POLL_MARKETPLACES, queue_name="schedule", broker=broker, max_retries=0, time_limit=600_000
        )(poll_marketplaces),
        cancel_posting=retried(CANCEL_POSTING, "marketplaces", 1000, 300_000)(cancel_posting),
        poll_tracking=dramatiq.actor(
            actor_name=POLL_TRACKING, queue_name="schedule", broker=broker, max_retries=0, time_limit=600_000
        )(poll_tracking),
        task_failed=failed(task_failed),
    )
    runtime().actors = declared
    return declared
