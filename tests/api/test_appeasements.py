"""Appeasements on both databases: money given back for a late delivery goes to the provider once however
often it is sent, never more than was captured and not refunded, answers a clear code otherwise and writes
nothing, and shows in analytics beside returns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from oms_graph.db.base import utcnow
from oms_graph.db.models import Appeasement
from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import PLACE_ORDER, SET_STOCK, level, order_input
from tests.fulfilment_steps import chain_admin, pay, placed_and_routed, shipped

APPEASE = """mutation($input: AppeasementInput!) { appeaseOrder(input: $input) {
  appeasement { amount currency reason note actor } order { paymentStatus }
  errors { code field message } } }"""
PAID = """query($id: ID) { order(id: $id) { appeasements { amount reason } events { type }
  payments { kind status amount } } }"""
TOTALS = """query($from: DateTime!, $to: DateTime!) { analytics { appeasements(from: $from, to: $to) {
  reason channel currency appeasements amount } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10)]})
    return key


def asked(order_id, amount, key="a1", reason="LATE_DELIVERY"):  # type: ignore[no-untyped-def]
    return {
        "input": {"orderId": order_id, "amount": amount, "reason": reason, "idempotencyKey": key, "note": "2 days late"}
    }


async def given(api) -> int:  # type: ignore[no-untyped-def]
    async with api.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Appeasement)) or 0)


async def test_a_late_delivery_is_appeased_once_within_what_was_captured(api, admin):
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 2, "10.00")]))  # 20.00 + 4.90
    await shipped(api, admin, order["id"])
    assert await pay(api, order["id"]) == 1  # the capture, as the goods left
    integration = await make_key(api.db, Role.INTEGRATION)

    done = (await api.data(integration, APPEASE, asked(order["id"], "5.00")))["appeaseOrder"]
    assert done["errors"] == [] and done["appeasement"]["amount"] == "5.00"
    assert (done["appeasement"]["reason"], done["appeasement"]["note"]) == ("LATE_DELIVERY", "2 days late")
    again = (await api.data(integration, APPEASE, asked(order["id"], "5.00")))["appeaseOrder"]
    assert again["errors"] == [] and await given(api) == 1  # sent twice: one appeasement
    assert await pay(api, order["id"]) == 1  # and one refund
    paid = (await api.data(admin, PAID, {"id": order["id"]}))["order"]
    assert [(p["kind"], p["status"], p["amount"]) for p in paid["payments"]] == [
        ("CAPTURE", "SUCCEEDED", "24.90"),
        ("REFUND", "SUCCEEDED", "5.00"),
    ]
    assert paid["appeasements"] == [{"amount": "5.00", "reason": "LATE_DELIVERY"}]
    assert "ORDER_APPEASED" in [e["type"] for e in paid["events"]]

    # refused, and nothing written: another amount under the same key, more than is left, a bad amount
    conflict = (await api.data(integration, APPEASE, asked(order["id"], "6.00")))["appeaseOrder"]["errors"]
    too_much = (await api.data(integration, APPEASE, asked(order["id"], "19.91", key="a2")))["appeaseOrder"]["errors"]
    cents = (await api.data(integration, APPEASE, asked(order["id"], "1.001", key="a3")))["appeaseOrder"]["errors"]
    zero = (await api.data(integration, APPEASE, asked(order["id"], "0", key="a4")))["appeaseOrder"]["errors"]
    assert [(e["code"], e["field"]) for e in conflict + too_much + cents + zero] == [
        ("IDEMPOTENCY_CONFLICT", ["input", "idempotencyKey"]),
        ("INVALID_INPUT", ["input", "amount"]),
        ("INVALID_INPUT", ["input", "amount"]),
        ("INVALID_INPUT", ["input", "amount"]),
    ]
    assert await given(api) == 1
    rest = await api.data(integration, APPEASE, asked(order["id"], "19.90", key="a5", reason="GOODWILL"))
    assert rest["appeaseOrder"]["errors"] == []  # exactly what is left

    span = {"from": (utcnow() - timedelta(hours=1)).isoformat(), "to": (utcnow() + timedelta(hours=1)).isoformat()}
    totals = (await api.data(admin, TOTALS, span))["analytics"]["appeasements"]
    assert totals == [
        {"reason": "GOODWILL", "channel": "web", "currency": "EUR", "appeasements": 1, "amount": "19.90"},
        {"reason": "LATE_DELIVERY", "channel": "web", "currency": "EUR", "appeasements": 1, "amount": "5.00"},
    ]


async def test_nothing_captured_nothing_to_give_back_and_roles_hold(api, admin):
    placed = (await api.data(admin, PLACE_ORDER, {"input": order_input("k2")}))["placeOrder"]["order"]
    refused = (await api.data(admin, APPEASE, asked(placed["id"], "1.00")))["appeaseOrder"]["errors"]
    assert [(e["code"], e["field"]) for e in refused] == [("INVALID_INPUT", ["input", "amount"])]
    storefront = await make_key(api.db, Role.STOREFRONT, channel="web")
    denied = await api.run(storefront, APPEASE, asked(placed["id"], "1.00"))
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    nope = (await api.data(admin, APPEASE, asked("T3JkZXI6bm9wZQ==", "1.00")))["appeaseOrder"]["errors"]
    assert [e["code"] for e in nope] == ["NOT_FOUND"]
    assert await given(api) == 0
