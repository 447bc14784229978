"""A card gateway set up as a connector (kind PAYMENT, adapter card_gateway) against a fake gateway on
loopback: orders may name it, the payment actor captures through it with its API key, and each call is
logged on the connector; a disabled one is no provider at all."""

from __future__ import annotations

import pytest

from tests.api.test_payments import of
from tests.factories import PLACE_ORDER, SET_STOCK, level, order_input
from tests.fakes.gateway import FakeGateway
from tests.fulfilment_steps import chain_admin, pay, placed_and_routed, shipped

SAVE = """mutation($input: ConnectorInput!) { saveConnector(input: $input) { errors { code field message } } }"""
CALLS = """{ connectors(kind: PAYMENT) { name health secretNames calls(first: 5) { operation ok } } }"""
API_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
NAME = "cards-eu"  # a name nothing else knows (other tests register `cards` in code)


def card_order(key):  # type: ignore[no-untyped-def]
    return order_input(key, [("SKU-1", 2, "10.00")]) | {"payment": {"method": "PREPAID", "provider": NAME}}


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


@pytest.fixture
async def gateway(api, admin):  # type: ignore[no-untyped-def]
    fake = FakeGateway().start()
    connector = {
        "name": NAME,
        "kind": "PAYMENT",
        "adapter": "card_gateway",
        "settings": {"baseUrl": fake.url, "timeoutSeconds": 2},
        "secrets": {"apiKey": API_KEY},
    }
    assert (await api.data(admin, SAVE, {"input": connector}))["saveConnector"]["errors"] == []
    yield fake
    fake.stop()


async def test_a_payment_connector_captures_with_its_key_and_logs_the_call(api, admin, gateway):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await placed_and_routed(api, admin, card_order("k1"))
    await shipped(api, admin, order["id"])
    assert await pay(api, order["id"]) == 1
    found = await of(api, admin, order)
    assert [(p["kind"], p["status"], p["provider"]) for p in found["payments"]] == [("CAPTURE", "SUCCEEDED", NAME)]
    assert len(gateway.done("captures")) == 1
    assert set(gateway.authorizations) == {f"Bearer {API_KEY}"}
    (connector,) = (await api.data(admin, CALLS))["connectors"]
    assert connector["health"] == "OK" and connector["secretNames"] == ["apiKey"]
    assert connector["calls"] == [{"operation": "capture", "ok": True}]
    assert API_KEY not in str(found) and API_KEY not in str(connector)


async def test_a_disabled_payment_connector_is_no_provider(api, admin, gateway):
    again = {"name": NAME, "kind": "PAYMENT", "adapter": "card_gateway", "settings": {"baseUrl": gateway.url}}
    assert (await api.data(admin, SAVE, {"input": again | {"enabled": False}}))["saveConnector"]["errors"] == []
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    placed = (await api.data(admin, PLACE_ORDER, {"input": card_order("k1")}))["placeOrder"]
    assert [(e["field"], e["code"]) for e in placed["errors"]] == [(["input", "payment", "provider"], "INVALID_INPUT")]
