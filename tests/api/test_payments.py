"""Payments through the `http` adapter against a fake card gateway on loopback, end to end through the
payment actor: captures per shipment, declines, outages, timeouts, refunds and their limits."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import select

from oms_graph.adapters.payments import PaymentError
from oms_graph.adapters.payments import base as payments
from oms_graph.adapters.payments.http import HttpGateway
from oms_graph.api.node import decode_id
from oms_graph.db.models import PaymentTransaction
from oms_graph.services.fulfilment import transitions as fulfilment_work
from oms_graph.services.fulfilment.sweep import SCHEDULE
from oms_graph.services.payments.transactions import CaptureInFlight
from oms_graph.tasks import actors as tasks
from oms_graph.tasks.broker import build_broker
from tests.conftest import actor_settings
from tests.factories import SET_STOCK, level, order_input
from tests.fakes.gateway import FakeGateway
from tests.fulfilment_steps import chain_admin, pay, placed_and_routed, shipped

PAYMENTS = """query($id: ID) { order(id: $id) { paymentStatus events { type data }
  payments { kind status amount provider reference error attempts }
  returns { status refundAmount } } }"""
REQUEST = """mutation($input: RequestReturnInput!) { requestReturn(input: $input) { return { id } errors { code } } }"""
RECEIVE = """mutation($input: ReceiveReturnInput!) { receiveReturn(input: $input) {
  return { status refundAmount } errors { code } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


@pytest.fixture
def gateway():  # type: ignore[no-untyped-def]
    fake = FakeGateway().start()
    payments.register("cards", lambda: HttpGateway("cards", fake.url, timeout=0.5, backoff=0.05))
    yield fake
    fake.stop()


def card_order(key, lines):  # type: ignore[no-untyped-def]
    order = order_input(key, lines)
    order["payment"] = {"method": "PREPAID", "provider": "cards"}
    return order


async def shipped_card_order(api, admin, lines=(("SKU-1", 2, "10.00"),)):  # type: ignore[no-untyped-def]
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-3", "ST-BER", 5)]})
    order = await placed_and_routed(api, admin, card_order("k1", list(lines)))
    await shipped(api, admin, order["id"])
    return order


async def of(api, admin, order):  # type: ignore[no-untyped-def]
    return (await api.data(admin, PAYMENTS, {"id": order["id"]}))["order"]


async def pending(api, order):  # type: ignore[no-untyped-def]
    async with api.db.read() as session:
        return [
            str(i)
            for i in await session.scalars(
                select(PaymentTransaction.id)
                .where(PaymentTransaction.order_id == decode_id(order["id"])[1], PaymentTransaction.status == "PENDING")
                .order_by(PaymentTransaction.created_at)
            )
        ]


async def returned(api, admin, order, units):  # type: ignore[no-untyped-def]
    """A return of `units` × SKU-1 received sellable at Hamburg; the return."""
    started = await api.data(
        admin, REQUEST, {"input": {"orderId": order["id"], "lines": [{"sku": "SKU-1", "quantity": units}]}}
    )
    lines = [{"sku": "SKU-1", "quantity": units, "condition": "SELLABLE"}]
    variables = {
        "input": {"returnId": started["requestReturn"]["return"]["id"], "locationCode": "WH-HAM", "lines": lines}
    }
    return (await api.data(admin, RECEIVE, variables))["receiveReturn"]["return"]


async def test_each_shipment_is_captured_once_even_when_the_actor_runs_twice(api, admin, gateway):
    # SKU-1 is only in Hamburg, SKU-3 only in Berlin: two shipments.
    order = await shipped_card_order(api, admin, [("SKU-1", 1, "10.00"), ("SKU-3", 2, "5.00")])
    tasks.register(build_broker(None), settings=actor_settings(api.db))
    asked = await pending(api, order)
    assert len(asked) == 2
    for transaction_id in asked:  # a message delivered twice, both copies at once
        await asyncio.gather(tasks.execute_payment(transaction_id), tasks.execute_payment(transaction_id))
    await tasks.execute_payment(asked[0])  # and once more, late
    assert len(gateway.done("authorizations")) == 1  # no reference came with the order: authorised first
    assert sorted(Decimal(c["amount"]) for c in gateway.done("captures")) == [Decimal("10.00"), Decimal("14.90")]
    after = await of(api, admin, order)
    assert after["paymentStatus"] == "CAPTURED"
    assert sorted(p["amount"] for p in after["payments"]) == ["10.00", "14.90"]  # the delivery on the first
    assert {(p["kind"], p["status"], p["provider"]) for p in after["payments"]} == {("CAPTURE", "SUCCEEDED", "cards")}
    types = [e["type"] for e in after["events"]]
    assert types.count("PAYMENT_CAPTURED") == 2 and types.count("PAYMENT_AUTHORIZED") == 1


async def test_a_declined_capture_fails_the_payment_with_an_event(api, admin, gateway):
    order = await shipped_card_order(api, admin)
    gateway.decline = True
    assert await pay(api, order["id"]) == 1
    after = await of(api, admin, order)
    assert after["paymentStatus"] == "FAILED"
    assert [(p["kind"], p["status"]) for p in after["payments"]] == [("CAPTURE", "FAILED")]
    failed = after["events"][-1]
    assert failed["type"] == "PAYMENT_FAILED" and "402" in failed["data"]["error"]
    assert await pay(api, order["id"]) == 0  # nothing is retried after a decline
    assert gateway.done("captures") == []


async def test_after_a_declined_first_capture_the_next_one_takes_the_delivery(api, admin, gateway):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-3", "ST-BER", 5)]})
    order = await placed_and_routed(api, admin, card_order("k1", [("SKU-1", 1, "10.00"), ("SKU-3", 2, "5.00")]))
    await shipped(api, admin, order["id"], at="WH-HAM")
    gateway.decline = True
    await pay(api, order["id"])
    gateway.decline = False
    await shipped(api, admin, order["id"], at="ST-BER")
    await pay(api, order["id"])
    after = await of(api, admin, order)
    assert [(p["status"], p["amount"]) for p in after["payments"]] == [("FAILED", "14.90"), ("SUCCEEDED", "14.90")]


async def test_a_refund_is_retried_after_500s_and_made_once(api, admin, gateway):
    order = await shipped_card_order(api, admin)
    await pay(api, order["id"])
    back = await returned(api, admin, order, 1)
    assert back == {"status": "RECEIVED", "refundAmount": "10.00"}
    gateway.failures = 5  # more than one run of the actor tries (3)
    with pytest.raises(PaymentError):
        await pay(api, order["id"])  # Dramatiq retries the message with backoff
    waiting = await of(api, admin, order)
    refund = next(p for p in waiting["payments"] if p["kind"] == "REFUND")
    assert (refund["status"], refund["attempts"]) == ("PENDING", 1) and "500" in refund["error"]
    assert waiting["events"][-1]["type"] == "PAYMENT_RETRYING"
    assert await pay(api, order["id"]) == 1
    assert len(gateway.done("refunds")) == 1 and gateway.refunded == {"PAY-1": Decimal("10.00")}
    after = await of(api, admin, order)
    assert after["returns"] == [{"status": "REFUNDED", "refundAmount": "10.00"}]
    assert after["paymentStatus"] == "PARTIALLY_REFUNDED"


async def test_a_call_that_times_out_moves_money_once(api, admin, gateway):
    order = await shipped_card_order(api, admin)
    gateway.slow_seconds = 1.0  # the client gives up after 0.5 s; the gateway captured all the same
    await pay(api, order["id"])
    assert len(gateway.done("captures")) == 1 and gateway.requests >= 3
    assert (await of(api, admin, order))["paymentStatus"] == "CAPTURED"


async def test_a_gateway_down_through_every_retry_fails_the_call(api, admin, gateway):
    order = await shipped_card_order(api, admin)
    gateway.failures = 1000
    with pytest.raises(PaymentError):
        await pay(api, order["id"])
    message = {
        "actor_name": tasks.EXECUTE_PAYMENT,
        "args": (await pending(api, order))[:1],
        "options": {"traceback": "Traceback...\nPaymentError: cards unreachable after 3 attempts (HTTP 500)"},
    }
    await tasks.task_failed(message, {})  # what on_retry_exhausted calls after the last retry
    after = await of(api, admin, order)
    assert after["paymentStatus"] == "FAILED" and after["events"][-1]["type"] == "PAYMENT_FAILED"


async def test_a_refund_waits_for_the_capture_before_it(api, admin, gateway):
    order = await shipped_card_order(api, admin)
    await returned(api, admin, order, 2)  # received before the capture was answered
    capture, refund = await pending(api, order)
    tasks.register(build_broker(None), settings=actor_settings(api.db))
    with pytest.raises(CaptureInFlight):
        await tasks.execute_payment(refund)  # retried by Dramatiq
    await tasks.execute_payment(capture)
    await tasks.execute_payment(refund)
    assert gateway.refunded == {"PAY-1": Decimal("20.00")}
    assert (await of(api, admin, order))["paymentStatus"] == "PARTIALLY_REFUNDED"


async def test_refunds_never_exceed_what_was_captured(api, admin, gateway):
    order = await shipped_card_order(api, admin)
    gateway.decline = True
    await pay(api, order["id"])  # nothing was captured
    assert await returned(api, admin, order, 2) == {"status": "RECEIVED", "refundAmount": "0.00"}
    after = await of(api, admin, order)
    assert [p["kind"] for p in after["payments"]] == ["CAPTURE"]  # no refund asked for
    assert gateway.done("refunds") == []


async def test_cash_on_delivery_is_captured_when_delivered_not_when_shipped(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 1, "10.00")], payment="CASH_ON_DELIVERY"))
    fulfilments = await shipped(api, admin, order["id"])
    assert await pay(api, order["id"]) == 0
    async with api.db.write() as session:
        await fulfilment_work.deliver(session, fulfilment_id=decode_id(fulfilments[0]["id"])[1], principal=SCHEDULE)
    assert await pay(api, order["id"]) == 1
    after = await of(api, admin, order)
    assert after["paymentStatus"] == "CAPTURED"
    assert [(p["kind"], p["amount"], p["provider"], p["reference"][:2]) for p in after["payments"]] == [
        ("CAPTURE", "14.90", "manual", "CP")
    ]


CANCEL_LINES = """mutation($id: ID!, $lines: [CancelLineInput!]!) {
  cancelOrderLines(id: $id, lines: $lines, reason: "out of stock") { order { status } errors { code } } }"""


async def test_what_the_authorisation_holds_beyond_the_captures_is_voided_once_when_the_order_ends(api, admin, gateway):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-3", "ST-BER", 5)]})
    order = await placed_and_routed(api, admin, card_order("k1", [("SKU-1", 1, "10.00"), ("SKU-3", 2, "5.00")]))
    await shipped(api, admin, order["id"], at="WH-HAM")  # 10.00 and the delivery, 4.90
    assert await pay(api, order["id"]) == 1
    assert [p["kind"] for p in (await of(api, admin, order))["payments"]] == ["CAPTURE"]  # not ended yet
    cancelled = await api.data(admin, CANCEL_LINES, {"id": order["id"], "lines": [{"sku": "SKU-3", "quantity": 2}]})
    assert cancelled["cancelOrderLines"] == {"order": {"status": "SHIPPED"}, "errors": []}
    assert await pay(api, order["id"]) == 1
    assert await pay(api, order["id"]) == 0  # asked for once
    after = await of(api, admin, order)
    assert [(p["kind"], p["status"], p["amount"]) for p in after["payments"]] == [
        ("CAPTURE", "SUCCEEDED", "14.90"),
        ("VOID", "SUCCEEDED", "10.00"),
    ]
    assert [Decimal(v["amount"]) for v in gateway.done("voids")] == [Decimal("10.00")]
    assert after["paymentStatus"] == "CAPTURED"


async def test_an_order_shipped_whole_leaves_nothing_to_void(api, admin, gateway):
    order = await shipped_card_order(api, admin)
    await pay(api, order["id"])
    assert [p["kind"] for p in (await of(api, admin, order))["payments"]] == ["CAPTURE"]
    assert gateway.done("voids") == []
