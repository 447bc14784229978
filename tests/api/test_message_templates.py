"""Customer messages' texts as data: an ADMIN sets a channel's Russian text, and the customer's mail (real
SMTP on loopback) says it, with the count's plural form and the money as Russian writes them; a text for every
channel stands where the channel has none; a preview fills a draft from a real order; a test mail goes through
the real sender; a template that could do anything but fill placeholders is refused and writes nothing."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from oms_graph.app import create_app
from oms_graph.config import Settings
from tests.api.test_notifications import notify
from tests.conftest import serving
from tests.factories import SET_STOCK, UPSERT_CHANNELS, channel, level, order_input, snapshot
from tests.fulfilment_steps import chain_admin, placed_and_routed
from tests.graphql_client import Api

SAVE = """mutation($input: MessageTemplateInput!) { saveMessageTemplate(input: $input) {
  template { event language channel subject body updatedBy } errors { code field message } } }"""
REMOVE = """mutation($event: String!, $language: String!, $channel: String) {
  removeMessageTemplate(event: $event, language: $language, channel: $channel) { errors { code } } }"""
PREVIEW = """query($input: MessagePreviewInput!) { messagePreview(input: $input) { subject body } }"""
TEST_SEND = """mutation($input: TestMessageInput!) { sendTestMessage(input: $input) {
  sent message { subject body } errors { code field message } } }"""
TEMPLATES = """{ messageTemplates { event language channel subject } }"""
PLACED_RU = {
    "event": "ORDER_PLACED",
    "language": "ru",
    "channel": "web",
    "subject": "Заказ {number} принят",
    "body": "{name}, в заказе {units} {units|one=товар|few=товара|many=товаров|other=товара} на {total}.",
}


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, UPSERT_CHANNELS, {"input": [channel("web", language="ru", currency="RUB")]})
    await api.data(key, SET_STOCK, {"input": [level("SKU-2", "ST-MUC", 9)]})
    return key


async def three_units(api, admin):  # type: ignore[no-untyped-def]
    return await placed_and_routed(api, admin, order_input("k1", [("SKU-2", 3, "463.50")], pickup="ST-MUC"))


async def test_a_channels_russian_text_reaches_the_customer_by_smtp(api, admin, inbox):
    saved = (await api.data(admin, SAVE, {"input": PLACED_RU}))["saveMessageTemplate"]
    assert saved["errors"] == [] and saved["template"]["channel"] == "web" and saved["template"]["updatedBy"]
    order = await three_units(api, admin)
    await notify(api, order["id"], "ORDER_PLACED")
    await asyncio.sleep(0.2)
    (mail,) = inbox.mails
    assert mail["Subject"] == f"Заказ {order['number']} принят"
    assert mail.get_content().strip() == "Ada, в заказе 3 товара на 1\xa0390,50\xa0₽."


async def test_the_text_for_every_channel_stands_where_the_channel_has_none(api, admin):
    every = PLACED_RU | {"channel": None, "subject": "Для всех: {number}"}
    assert (await api.data(admin, SAVE, {"input": every}))["saveMessageTemplate"]["errors"] == []
    order = await three_units(api, admin)
    preview = {"orderId": order["id"], "event": "ORDER_PLACED"}
    assert (await api.data(admin, PREVIEW, {"input": preview}))["messagePreview"]["subject"].startswith("Для всех")
    assert (await api.data(admin, SAVE, {"input": PLACED_RU}))["saveMessageTemplate"]["errors"] == []
    assert (await api.data(admin, PREVIEW, {"input": preview}))["messagePreview"]["subject"].endswith("принят")
    web_ru = {"event": "ORDER_PLACED", "language": "ru", "channel": "web"}
    assert (await api.data(admin, REMOVE, web_ru))["removeMessageTemplate"]["errors"] == []
    again = (await api.data(admin, REMOVE, web_ru))["removeMessageTemplate"]["errors"]
    assert again == [{"code": "NOT_FOUND"}]  # gone already
    assert (await api.data(admin, PREVIEW, {"input": preview}))["messagePreview"]["subject"].startswith("Для всех")
    listed = (await api.data(admin, TEMPLATES))["messageTemplates"]
    assert listed == [{"event": "ORDER_PLACED", "language": "ru", "channel": None, "subject": "Для всех: {number}"}]


async def test_a_draft_is_previewed_from_a_real_order_in_any_language(api, admin):
    order = await three_units(api, admin)
    draft = {"subject": "Order {number}", "body": "{units} {units|one=item|other=items}, {total}"}
    shown = await api.data(
        admin, PREVIEW, {"input": {"orderId": order["id"], "event": "ORDER_PLACED", "language": "en", **draft}}
    )
    assert shown["messagePreview"] == {"subject": f"Order {order['number']}", "body": "3 items, RUB1,390.50"}
    built_in = {"orderId": order["id"], "event": "ORDER_PLACED"}  # no draft, none set up: the built-in, in Russian
    body = (await api.data(admin, PREVIEW, {"input": built_in}))["messagePreview"]["body"]
    assert body.startswith("Здравствуйте, Ada!") and "3 товара" in body


async def test_a_test_mail_goes_through_the_real_sender(api, admin, inbox):
    order = await three_units(api, admin)
    settings = Settings(
        database_url=str(api.db.engine.url), background=False, smtp_host="127.0.0.1", smtp_port=inbox.port
    )
    async with serving(create_app(settings, db=api.db)) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        own = Api(client, api.db)
        sent = await own.data(
            admin, TEST_SEND, {"input": {"orderId": order["id"], "event": "ORDER_PLACED", "to": "ops@chain.example"}}
        )
    assert sent["sendTestMessage"]["sent"] is True and sent["sendTestMessage"]["errors"] == []
    await asyncio.sleep(0.2)
    (mail,) = inbox.mails
    assert mail["To"] == "ops@chain.example" and mail["Subject"] == f"Ваш заказ {order['number']}"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"body": "{name.__class__.__init__.__globals__}"}, ["input", "body"]),
        ({"subject": "{units|one=товар}"}, ["input", "subject"]),
        ({"event": "STOCK_COUNTED"}, ["input", "event"]),
        ({"channel": "nowhere"}, ["input", "channel"]),
        ({"language": "zz-nope"}, ["input", "language"]),
    ],
)
async def test_a_bad_template_is_refused_and_writes_nothing(api, admin, change, field):
    before = await snapshot(api.db)
    errors = (await api.data(admin, SAVE, {"input": PLACED_RU | change}))["saveMessageTemplate"]["errors"]
    assert [e["field"] for e in errors] == [field]
    assert await snapshot(api.db) == before


@pytest.mark.parametrize(("to", "said"), [("ops@", "not an email address"), (" ", "email address or a phone")])
async def test_a_test_message_to_nowhere_is_refused(api, admin, to, said):
    order = await three_units(api, admin)
    sent = await api.data(admin, TEST_SEND, {"input": {"orderId": order["id"], "event": "ORDER_PLACED", "to": to}})
    (error,) = sent["sendTestMessage"]["errors"]
    assert sent["sendTestMessage"]["sent"] is False and error["field"] == ["input", "to"] and said in error["message"]
