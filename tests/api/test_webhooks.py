"""Outgoing webhooks: ADMIN registers endpoints; each event is POSTed signed to the endpoints that want it,
retried until delivered, logged, and an endpoint failing too often is switched off."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import select

from oms_graph.db.models import OrderEvent, WebhookEndpoint
from oms_graph.domain.access import Role
from oms_graph.events.relay import OutboxRelay, webhook_batches
from oms_graph.tasks import actors as tasks
from oms_graph.tasks.broker import build_broker
from oms_graph.tasks.runtime import EndpointsActive
from tests.conftest import actor_settings, make_key
from tests.factories import PLACE_ORDER, SET_STOCK, level, order_input, snapshot
from tests.fakes.receiver import FakeReceiver
from tests.fulfilment_steps import chain_admin

SECRET = "whsec-0123456789abcdef"
SAVE = """mutation($input: WebhookEndpointInput!) { saveWebhookEndpoint(input: $input) {
  endpoint { id url eventTypes active failures disabledAt } errors { code field message } } }"""
ENDPOINTS = """{ webhookEndpoints { url active failures disabledAt
  deliveries { eventId status attempts responseCode error } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 50)]})
    return key


async def endpoint(api, admin, url, **fields):  # type: ignore[no-untyped-def]
    saved = (await api.data(admin, SAVE, {"input": {"url": url, "secret": SECRET, **fields}}))["saveWebhookEndpoint"]
    assert saved["errors"] == [], saved["errors"]
    return saved["endpoint"]


async def placed_event(api, admin, key="k1"):  # type: ignore[no-untyped-def]
    """An order placed; the id of its ORDER_PLACED event."""
    placed = (await api.data(admin, PLACE_ORDER, {"input": order_input(key)}))["placeOrder"]
    assert placed["errors"] == []
    async with api.db.read() as session:
        return await session.scalar(select(OrderEvent.id).order_by(OrderEvent.id.desc()).limit(1))


async def dispatch(api, *event_ids, **settings):  # type: ignore[no-untyped-def]
    """What the webhook.dispatch actor does when the relay hands it a batch of events (with these settings)."""
    tasks.register(build_broker(None), settings=actor_settings(api.db, **settings))
    await tasks.dispatch_webhooks(list(event_ids))


async def events_of_orders(api, admin, count, prefix="o"):  # type: ignore[no-untyped-def]
    """Orders placed; the ids of every event so far, oldest first."""
    for n in range(count):
        placed = await api.data(admin, PLACE_ORDER, {"input": order_input(f"{prefix}{n}")})
        assert placed["placeOrder"]["errors"] == []
    async with api.db.read() as session:
        return list(await session.scalars(select(OrderEvent.id).order_by(OrderEvent.id)))


def ids_received(receiver):  # type: ignore[no-untyped-def]
    return [int(json.loads(r.body)["id"]) for r in receiver.received]


async def test_an_event_is_posted_signed_with_its_id_and_logged(api, admin, receiver):
    await endpoint(api, admin, receiver.url)
    event_id = await placed_event(api, admin)
    await dispatch(api, event_id)
    await dispatch(api, event_id)  # a second delivery of the message: delivered ones are not sent again
    assert len(receiver.received) == 1
    request = receiver.received[0]
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["x-oms-event-id"] == str(event_id)
    signed = headers["x-oms-timestamp"].encode() + b"." + request.body
    expected = "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert headers["x-oms-signature"] == expected
    body = json.loads(request.body)
    assert (body["id"], body["type"]) == (str(event_id), "ORDER_PLACED")
    log = (await api.data(admin, ENDPOINTS))["webhookEndpoints"][0]["deliveries"]
    assert log == [{"eventId": str(event_id), "status": "DELIVERED", "attempts": 1, "responseCode": 200, "error": None}]


async def test_the_secret_is_sealed_at_rest_and_deliveries_still_verify(api, admin, receiver):
    saved = await endpoint(api, admin, receiver.url)
    new_secret = "whsec-rotated-fedcba9876543210"
    changed = await api.data(admin, SAVE, {"input": {"id": saved["id"], "url": receiver.url, "secret": new_secret}})
    assert changed["saveWebhookEndpoint"]["errors"] == []
    rows = (await snapshot(api.db))["webhook_endpoints"]
    assert SECRET not in repr(rows) and new_secret not in repr(rows)
    async with api.db.read() as session:
        (stored,) = list(await session.scalars(select(WebhookEndpoint.secret)))
    assert stored.startswith("sealed:test:")
    await dispatch(api, await placed_event(api, admin))
    request = receiver.received[0]
    headers = {k.lower(): v for k, v in request.headers.items()}
    signed = headers["x-oms-timestamp"].encode() + b"." + request.body
    assert headers["x-oms-signature"] == "sha256=" + hmac.new(new_secret.encode(), signed, hashlib.sha256).hexdigest()


async def test_a_failed_delivery_is_retried_and_logged_until_it_gets_through(api, admin, receiver):
    await endpoint(api, admin, receiver.url)
    event_id = await placed_event(api, admin)
    receiver.failures = 2  # the adapter tries twice per run of the actor
    with pytest.raises(tasks.WebhookFailed):
        await dispatch(api, event_id)  # Dramatiq retries the message with backoff
    waiting = (await api.data(admin, ENDPOINTS))["webhookEndpoints"][0]
    assert waiting["deliveries"][0] | {"eventId": None} == {
        "eventId": None,
        "status": "PENDING",
        "attempts": 1,
        "responseCode": 500,
        "error": "HTTP 500",
    }
    assert waiting["failures"] == 1
    await dispatch(api, event_id)
    after = (await api.data(admin, ENDPOINTS))["webhookEndpoints"][0]
    assert (after["deliveries"][0]["status"], after["deliveries"][0]["attempts"], after["failures"]) == (
        "DELIVERED",
        2,
        0,
    )
    ids = {json.loads(r.body)["id"] for r in receiver.received}
    assert ids == {str(event_id)} and len(receiver.received) == 3


async def test_an_endpoint_failing_too_often_is_switched_off(api, admin, receiver):
    await endpoint(api, admin, receiver.url)
    receiver.failures = 100
    for n in range(2):
        event_id = await placed_event(api, admin, key=f"k{n}")
        with pytest.raises(tasks.WebhookFailed):
            await dispatch(api, event_id, webhook_failure_limit=2)
    state = (await api.data(admin, ENDPOINTS))["webhookEndpoints"][0]
    assert (state["active"], state["failures"]) == (False, 2) and state["disabledAt"]
    seen = len(receiver.received)
    await dispatch(api, await placed_event(api, admin, key="later"))  # nothing goes to it any more
    assert len(receiver.received) == seen


async def test_an_endpoint_gets_only_the_event_types_it_asked_for(api, admin, receiver):
    await endpoint(api, admin, receiver.url, eventTypes=["FULFILMENT_SHIPPED"])
    await dispatch(api, await placed_event(api, admin))
    assert receiver.received == []


async def test_only_admin_registers_endpoints_and_bad_ones_are_refused(api, admin, receiver):
    integration = await make_key(api.db, Role.INTEGRATION)
    denied = await api.run(integration, SAVE, {"input": {"url": receiver.url, "secret": SECRET}})
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    before = await snapshot(api.db)
    cases = [
        ({"url": "ftp://x", "secret": SECRET}, ["input", "url"]),
        ({"url": receiver.url, "secret": "short"}, ["input", "secret"]),
        ({"url": receiver.url}, ["input", "secret"]),
        ({"url": receiver.url, "secret": SECRET, "eventTypes": ["order placed"]}, ["input", "eventTypes", "0"]),
    ]
    for fields, field in cases:
        answer = (await api.data(admin, SAVE, {"input": fields}))["saveWebhookEndpoint"]
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [("INVALID_INPUT", field)], fields
    assert await snapshot(api.db) == before


async def test_the_relay_counts_on_endpoints_until_it_has_looked_and_then_follows_the_database(api, admin, receiver):
    # A process just (re)started must not relay events as "no endpoints" before it has looked.
    active = EndpointsActive(api.db)
    assert active.get()
    await active.look_up()
    assert not active.get()  # none registered
    await endpoint(api, admin, receiver.url)
    await active.look_up()
    assert active.get()


async def test_a_batch_of_events_reaches_each_endpoint_in_event_order_and_only_what_it_wants(api, admin, receiver):
    other = FakeReceiver().start()
    try:
        await endpoint(api, admin, receiver.url)
        await endpoint(api, admin, other.url, eventTypes=["ORDER_PLACED"])
        event_ids = await events_of_orders(api, admin, 3)
        await dispatch(api, *event_ids)  # one message for the batch the relay read
        await dispatch(api, *event_ids)  # delivered again: nothing is sent twice
        assert ids_received(receiver) == event_ids
        async with api.db.read() as session:
            placed = list(await session.scalars(select(OrderEvent.id).where(OrderEvent.type == "ORDER_PLACED")))
        assert ids_received(other) == sorted(placed) and len(placed) == 3
        logs = (await api.data(admin, ENDPOINTS))["webhookEndpoints"]
        assert all(d["status"] == "DELIVERED" and d["attempts"] == 1 for e in logs for d in e["deliveries"])
    finally:
        other.stop()


async def test_an_endpoint_failing_mid_batch_gets_the_rest_on_the_retry_in_order_while_others_get_theirs(
    api, admin, receiver
):
    healthy = FakeReceiver().start()
    try:
        await endpoint(api, admin, receiver.url)
        await endpoint(api, admin, healthy.url)
        event_ids = await events_of_orders(api, admin, 3)
        receiver.failures = 2  # the first event's two tries fail: the later ones wait for the retry
        with pytest.raises(tasks.WebhookFailed):
            await dispatch(api, *event_ids)
        assert ids_received(healthy) == event_ids
        assert ids_received(receiver) == [event_ids[0], event_ids[0]]
        waiting = {
            d["eventId"]: (d["status"], d["attempts"])
            for e in (await api.data(admin, ENDPOINTS))["webhookEndpoints"]
            for d in e["deliveries"]
            if e["url"] == receiver.url
        }
        assert waiting[str(event_ids[0])] == ("PENDING", 1)
        assert all(waiting[str(i)] == ("PENDING", 0) for i in event_ids[1:])
        await dispatch(api, *event_ids)  # the retry
        assert ids_received(receiver) == [event_ids[0], event_ids[0], *event_ids]
        assert ids_received(healthy) == event_ids  # what it had is not sent again
    finally:
        healthy.stop()


async def test_a_batch_whose_last_retry_failed_is_given_up_as_failed_deliveries(api, admin, receiver):
    await endpoint(api, admin, receiver.url)
    event_ids = await events_of_orders(api, admin, 1)
    receiver.failures = 100
    with pytest.raises(tasks.WebhookFailed):
        await dispatch(api, *event_ids)
    message = {"actor_name": tasks.DISPATCH_WEBHOOKS, "args": [event_ids], "options": {"traceback": "E: HTTP 500"}}
    await tasks.task_failed(message, {})  # what on_retry_exhausted calls after the last retry
    state = (await api.data(admin, ENDPOINTS))["webhookEndpoints"][0]
    assert {d["eventId"]: d["status"] for d in state["deliveries"]} == dict.fromkeys(map(str, event_ids), "FAILED")
    assert state["failures"] == 1 + len(event_ids)  # the first try, then each given up


async def test_the_relay_hands_the_webhook_actor_one_message_per_batch_while_an_endpoint_is_active(api, admin):
    event_ids = await events_of_orders(api, admin, 2)
    sent: list[list[int]] = []
    active = [False]
    relay = OutboxRelay(api.db, {}, batch_handlers=[webhook_batches(sent.append, lambda: active[0])])
    assert await relay.relay_once() == len(event_ids) and sent == []  # no endpoint: nothing to send
    await events_of_orders(api, admin, 1, prefix="later")
    active[0] = True
    assert await relay.relay_once() > 0
    async with api.db.read() as session:
        latest = list(await session.scalars(select(OrderEvent.id).where(OrderEvent.id > max(event_ids))))
    assert sent == [sorted(latest)]
