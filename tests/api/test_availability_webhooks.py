"""AVAILABILITY_CHANGED webhooks: a channel's changed figures, many skus in one signed delivery, sent once,
and sent again when a delivery did not get through."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import pytest

from oms_graph.tasks import actors as tasks
from oms_graph.tasks.broker import build_broker
from tests.conftest import actor_settings
from tests.factories import PLACE_ORDER, SET_STOCK, level, order_input
from tests.fulfilment_steps import chain_admin

SECRET = "whsec-0123456789abcdef"
SAVE = """mutation($input: WebhookEndpointInput!) { saveWebhookEndpoint(input: $input) { errors { code } } }"""
POOL = """mutation($input: AvailabilityPoolInput!) { updateAvailabilityPool(input: $input) { errors { code } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 50), level("SKU-2", "WH-HAM", 20)]})
    return key


async def endpoint(api, admin, receiver) -> None:  # type: ignore[no-untyped-def]
    wanted = {"url": receiver.url, "secret": SECRET, "eventTypes": ["AVAILABILITY_CHANGED"]}
    assert (await api.data(admin, SAVE, {"input": wanted}))["saveWebhookEndpoint"]["errors"] == []


async def look(api) -> None:  # type: ignore[no-untyped-def]
    """What the availability.send actor does on its schedule."""
    tasks.register(build_broker(None), settings=actor_settings(api.db))
    await tasks.send_availability()


def deliveries(receiver, channel: str) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    found = [json.loads(r.body) for r in receiver.received]
    return [d for d in found if d["channel"] == channel]


async def test_changed_figures_go_many_skus_to_a_signed_delivery_once_with_the_threshold(api, admin, receiver):
    saved = await api.data(
        admin, SAVE, {"input": {"url": receiver.url, "secret": SECRET, "eventTypes": ["AVAILABILITY_CHANGED"]}}
    )
    assert saved["saveWebhookEndpoint"]["errors"] == []
    await api.data(admin, POOL, {"input": {"channel": "web", "lowStockThreshold": 10}})
    await look(api)  # a new endpoint starts from now: nothing is due
    assert receiver.received == []
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "WH-HAM", 7)]})
    placed = await api.data(admin, PLACE_ORDER, {"input": order_input("k1", [("SKU-1", 3, "10")])})
    assert placed["placeOrder"]["errors"] == []
    await asyncio.sleep(0.5)  # the event gets its place in the stream
    await look(api)
    (web,) = deliveries(receiver, "web")
    assert web["type"] == "AVAILABILITY_CHANGED"
    assert sorted((i["sku"], i["availableToPromise"]) for i in web["items"]) == [("SKU-1", 47), ("SKU-2", 0)]
    (pos,) = deliveries(receiver, "pos")  # another channel, unpooled: the network's figures
    assert sorted((i["sku"], i["availableToPromise"]) for i in pos["items"]) == [("SKU-1", 47), ("SKU-2", 7)]
    request = receiver.received[0]
    headers = {k.lower(): v for k, v in request.headers.items()}
    signed = headers["x-oms-timestamp"].encode() + b"." + request.body
    assert headers["x-oms-signature"] == "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    await look(api)
    assert len(receiver.received) == 2  # nothing changed since: nothing sent


async def test_a_delivery_that_did_not_get_through_goes_again(api, admin, receiver):
    saved = await api.data(
        admin, SAVE, {"input": {"url": receiver.url, "secret": SECRET, "eventTypes": ["AVAILABILITY_CHANGED"]}}
    )
    assert saved["saveWebhookEndpoint"]["errors"] == []
    await look(api)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 30)]})
    receiver.failures = 2  # both channels' deliveries are answered 500 this time
    await look(api)
    failed = len(receiver.received)
    assert failed == 2
    await look(api)
    again = {d["channel"]: d["items"] for d in (json.loads(r.body) for r in receiver.received[failed:])}
    assert again == {
        "web": [{"sku": "SKU-1", "availableToPromise": 30}],
        "pos": [{"sku": "SKU-1", "availableToPromise": 30}],
    }
    await look(api)
    assert len(receiver.received) == failed + 2  # delivered: not sent a third time
