"""Outgoing webhooks: ADMIN registers endpoints; each event is POSTed signed to the endpoints that want it,
retried until delivered, logged, and an endpoint failing too often is switched off."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import select

from oms_graph.db.models import OrderEvent
from oms_graph.domain.access import Role
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


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    fake = FakeReceiver().start()
    yield fake
    fake.stop()


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


async def dispatch(api, event_id, **settings):  # type: ignore[no-untyped-def]
    """What the webhook.dispatch actor does when the relay hands it the event (with these settings)."""
    tasks.register(build_broker(None), settings=actor_settings(api.db, **settings))
    await tasks.dispatch_webhooks(event_id)


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
