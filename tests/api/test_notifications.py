"""Customer notifications: the message of each event, in the channel's language, sent once by email over a
real SMTP server on loopback (or by text message through an HTTP gateway), and logged on the order."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from oms_graph.db.models import OrderEvent
from oms_graph.tasks import actors as tasks
from oms_graph.tasks.broker import build_broker
from tests.conftest import actor_settings
from tests.factories import SET_STOCK, UPSERT_CHANNELS, channel, level, order_input
from tests.fakes.receiver import FakeReceiver
from tests.fulfilment_steps import ACCEPT, PICK, READY, chain_admin, ok, placed_and_routed, queue

NOTIFICATIONS = (
    """query($id: ID) { order(id: $id) { notifications { template medium recipient subject status error } } }"""
)


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, SET_STOCK, {"input": [level("SKU-2", "ST-MUC", 5)]})
    return key


async def notify(api, order_id, event_type):  # type: ignore[no-untyped-def]
    """What the notification.send actor does for the order's event of that type."""
    from oms_graph.api.node import decode_id

    tasks.register(build_broker(None), settings=actor_settings(api.db))
    async with api.db.read() as session:
        event_id = await session.scalar(
            select(OrderEvent.id).where(OrderEvent.order_id == decode_id(order_id)[1], OrderEvent.type == event_type)
        )
    assert event_id is not None
    await tasks.send_notification(event_id)


async def ready_for_pickup(api, admin, key="k1"):  # type: ignore[no-untyped-def]
    order = await placed_and_routed(api, admin, order_input(key, [("SKU-2", 1, "10")], pickup="ST-MUC"))
    fid = (await queue(api, admin, "ST-MUC"))["edges"][0]["node"]["id"]
    await ok(api, admin, ACCEPT, id=fid)
    await ok(api, admin, PICK, id=fid, lines=[{"sku": "SKU-2", "quantity": 1}])
    ready = await ok(api, admin, READY, id=fid)
    return order, ready["pickupCode"]


async def test_the_ready_for_pickup_mail_carries_the_code_and_is_sent_once(api, admin, inbox):
    order, code = await ready_for_pickup(api, admin)
    await notify(api, order["id"], "FULFILMENT_READY_FOR_PICKUP")
    await notify(api, order["id"], "FULFILMENT_READY_FOR_PICKUP")  # the actor runs twice: one mail
    await asyncio.sleep(0.2)
    assert len(inbox.mails) == 1
    mail = inbox.mails[0]
    assert mail["To"] == "ada@example.com" and "ready for pickup" in mail["Subject"]
    body = mail.get_content()
    assert code in body and "Location ST-MUC" in body
    log = (await api.data(admin, NOTIFICATIONS, {"id": order["id"]}))["order"]["notifications"]
    assert log == [
        {
            "template": "FULFILMENT_READY_FOR_PICKUP",
            "medium": "EMAIL",
            "recipient": "ada@example.com",
            "subject": mail["Subject"],
            "status": "SENT",
            "error": None,
        }
    ]


async def test_messages_are_written_in_the_channels_language(api, admin, inbox):
    await api.data(admin, UPSERT_CHANNELS, {"input": [channel("web", language="de")]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-2", 1, "10")], pickup="ST-MUC"))
    await notify(api, order["id"], "ORDER_PLACED")
    await asyncio.sleep(0.2)
    assert inbox.mails[0]["Subject"] == f"Ihre Bestellung {order['number']}"


async def test_a_russian_channels_customers_get_russian_mail_through_smtp(api, admin, inbox):
    await api.data(admin, UPSERT_CHANNELS, {"input": [channel("web", language="ru")]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-2", 1, "10")], pickup="ST-MUC"))
    await notify(api, order["id"], "ORDER_PLACED")
    await asyncio.sleep(0.2)
    mail = inbox.mails[0]
    assert mail["Subject"] == f"Ваш заказ {order['number']}"
    assert mail.get_content().startswith("Здравствуйте, Ada!")


async def test_with_no_sender_configured_the_message_is_logged_skipped(api, admin):
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-2", 1, "10")], pickup="ST-MUC"))
    await notify(api, order["id"], "ORDER_PLACED")
    log = (await api.data(admin, NOTIFICATIONS, {"id": order["id"]}))["order"]["notifications"]
    assert [(n["status"], n["error"]) for n in log] == [("SKIPPED", "no sender configured for EMAIL")]


async def test_a_customer_with_only_a_phone_gets_a_text_message(api, admin, monkeypatch):
    gateway = FakeReceiver().start()
    monkeypatch.setenv("OMS_SMS_URL", gateway.url)
    try:
        placed = order_input("k1", [("SKU-2", 1, "10")], pickup="ST-MUC")
        placed["customer"] = {"phone": "+49 30 1234567", "name": "Ada"}
        order = await placed_and_routed(api, admin, placed)
        await notify(api, order["id"], "ORDER_PLACED")
        sms = json.loads(gateway.received[0].body)
        assert sms["to"] == "+49 30 1234567" and order["number"] in sms["text"]
    finally:
        gateway.stop()
