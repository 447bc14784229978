"""The CDEK adapter (API v2) against a fake CDEK on loopback that follows its documentation: set up as a
connector, a packed shipment is registered once, whatever is lost on the way; its token is renewed when it
expires; a refusal fails the shipment with CDEK's message; CDEK's label is the one served."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select

from oms_graph.adapters.carriers import Parcel, ShipmentRequest, cdek
from oms_graph.adapters.carriers.cdek import CdekCarrier
from oms_graph.api.node import decode_id, encode_id
from oms_graph.db.models import Shipment
from tests.api.test_carriers import packed, shipment
from tests.fakes.cdek import CLIENT_ID, CLIENT_SECRET, LABEL, WAYBILL, FakeCdek
from tests.fulfilment_steps import book, chain_admin

SAVE = """mutation($input: ConnectorInput!) { saveConnector(input: $input) { errors { code field message } } }"""
SETTINGS = {"tariffCode": 136, "shipmentPoint": "MSK5", "pollSeconds": 0.05}
SECRETS = {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}
SHIPMENT_URLS = """query($id: ID!) { node(id: $id) { ... on Fulfilment { shipment { labelUrl waybillUrl } } } }"""
HEALTH = """{ connectors { name health lastError calls(first: 5) { operation ok } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


@pytest.fixture
async def fake(api, admin):  # type: ignore[no-untyped-def]
    server = FakeCdek().start()
    cdek._tokens.clear()  # each test's CDEK is a new server: no token of another one is kept
    settings = SETTINGS | {"baseUrl": server.url}
    connector = {"name": "cdek", "kind": "CARRIER", "adapter": "cdek", "settings": settings, "secrets": SECRETS}
    saved = await api.data(admin, SAVE, {"input": connector})
    assert saved["saveConnector"]["errors"] == []
    yield server
    server.stop()


async def test_a_shipment_is_registered_with_cdek_and_its_label_served(api, admin, fake, caplog):
    _, fid = await packed(api, admin, "cdek")
    with caplog.at_level(logging.DEBUG):
        await book(api, fid)
    status, tracking, carrier = await shipment(api, fid)
    assert (status, tracking, carrier) == ("BOOKED", "1106207000", "cdek")
    (order,) = fake.orders.values()
    async with api.db.read() as session:
        shipment_id = await session.scalar(select(Shipment.id).where(Shipment.fulfilment_id == decode_id(fid)[1]))
    body = order["body"]
    assert body["number"] == str(shipment_id) and body["tariff_code"] == 136 and body["shipment_point"] == "MSK5"
    assert body["type"] == 1 and [p["weight"] for p in body["packages"]] == [800]
    assert body["to_location"]["city"] == "Berlin" and body["recipient"]["name"]
    assert len(fake.token_requests) == 1 and fake.token_requests[0]["grant_type"] == ["client_credentials"]
    label = await api.client.get(
        f"/documents/shipments/{encode_id('Shipment', shipment_id)}/label.pdf",
        headers={"authorization": f"Bearer {admin}"},
    )
    assert label.status_code == 200 and label.content == LABEL  # CDEK's own, not ours
    waybill = await api.client.get(
        f"/documents/shipments/{encode_id('Shipment', shipment_id)}/waybill.pdf",
        headers={"authorization": f"Bearer {admin}"},
    )
    assert waybill.status_code == 200 and waybill.content == WAYBILL
    urls = await api.data(admin, SHIPMENT_URLS, {"id": fid})
    assert (
        urls["node"]["shipment"]["waybillUrl"]
        == f"/documents/shipments/{encode_id('Shipment', shipment_id)}/waybill.pdf"
    )
    assert CLIENT_SECRET not in caplog.text
    (found,) = (await api.data(admin, HEALTH))["connectors"]
    assert found["health"] == "OK" and found["calls"] == [{"operation": "book", "ok": True}]


async def test_a_registration_whose_answer_was_lost_makes_one_order(api, admin, fake):
    fake.store_then_fail = 2  # CDEK stored it, twice answered 502
    _, fid = await packed(api, admin, "cdek")
    await book(api, fid)
    assert (await shipment(api, fid))[0] == "BOOKED"
    assert len(fake.orders) == 1  # the retry found the first order by its number


async def test_an_order_still_being_registered_is_asked_after_again(api, admin, fake):
    fake.polls_until_ready = 3
    _, fid = await packed(api, admin, "cdek")
    await book(api, fid)
    assert (await shipment(api, fid))[:2] == ("BOOKED", "1106207000")
    assert len(fake.orders) == 1


async def test_an_expired_token_is_renewed(fake):
    carrier = CdekCarrier("cdek", SETTINGS | {"baseUrl": fake.url}, SECRETS)
    await carrier.book(request("first"))
    fake.tokens.clear()  # CDEK let the token lapse before we thought it would
    assert (await carrier.book(request("second"))).tracking_number == "1106207001"
    assert len(fake.token_requests) == 2 and fake.unauthorised == 1  # one 401, then a new token
    fake.token_seconds = 61  # the next token's answer says 61 s: renewed 60 s early, so after a second
    cdek._tokens.clear()
    await carrier.book(request("third"))
    await asyncio.sleep(1.1)
    await carrier.book(request("fourth"))
    assert len(fake.token_requests) == 4 and fake.unauthorised == 1  # renewed before it lapsed
    assert len(fake.orders) == 4


def request(key: str) -> ShipmentRequest:
    recipient = {"name": "Ivan Petrov", "line1": "Tverskaya 1", "city": "Moscow", "country": "RU", "phone": "+7900"}
    return ShipmentRequest(key=key, service=None, sender={}, recipient=recipient, parcels=(Parcel(500),))


async def test_a_refusal_fails_the_shipment_with_cdeks_message(api, admin, fake):
    fake.invalid = "Recipient phone number is not set"
    _, fid = await packed(api, admin, "cdek")
    await book(api, fid)
    async with api.db.read() as session:
        failed = await session.scalar(select(Shipment).where(Shipment.fulfilment_id == decode_id(fid)[1]))
    assert failed.status == "FAILED" and "Recipient phone number is not set" in failed.error
    (found,) = (await api.data(admin, HEALTH))["connectors"]
    assert found["health"] == "FAILING" and "v2_invalid_recipient" in found["lastError"]


async def test_wrong_credentials_are_a_refusal_not_a_retry(api, admin, fake):
    fix = {
        "name": "cdek",
        "kind": "CARRIER",
        "adapter": "cdek",
        "secrets": {"clientSecret": "wrong"},
        "settings": {"baseUrl": fake.url, "tariffCode": 136, "shipmentPoint": "MSK5"},
    }
    assert (await api.data(admin, SAVE, {"input": fix}))["saveConnector"]["errors"] == []  # clientId kept
    _, fid = await packed(api, admin, "cdek")
    await book(api, fid)
    assert (await shipment(api, fid))[0] == "FAILED" and fake.orders == {}


def status_webhook(cdek_number: str, code: str) -> dict[str, object]:
    """CDEK's ORDER_STATUS webhook, shaped as its documentation's example."""
    return {
        "type": "ORDER_STATUS",
        "date_time": "2026-12-06T10:15:00+0300",
        "uuid": "72753031-1b8d-4e5f-a5a8-7f3b9a0c2d11",
        "attributes": {
            "is_return": False,
            "cdek_number": cdek_number,
            "number": "the shop's number",
            "status_code": code,
            "status_date_time": "2026-12-06T10:14:00+0300",
            "city_name": "Москва",
            "city_code": "44",
        },
    }


async def test_cdeks_status_webhooks_move_the_shipment(api, admin, fake):
    _, fid = await packed(api, admin, "cdek")
    await book(api, fid)
    url = "/webhooks/cdek/cdek/{}"
    refused = await api.client.post(url.format("anything"), json=status_webhook("1106207000", "DELIVERED"))
    assert refused.status_code == 401  # no webhookToken set up yet
    fix = {
        "name": "cdek",
        "kind": "CARRIER",
        "adapter": "cdek",
        "secrets": {"webhookToken": "w3bh00k-t0ken"},
        "settings": SETTINGS | {"baseUrl": fake.url},
    }
    assert (await api.data(admin, SAVE, {"input": fix}))["saveConnector"]["errors"] == []
    wrong = await api.client.post(url.format("guess"), json=status_webhook("1106207000", "DELIVERED"))
    assert wrong.status_code == 401 and (await shipment(api, fid))[0] == "BOOKED"
    created = await api.client.post(url.format("w3bh00k-t0ken"), json=status_webhook("1106207000", "CREATED"))
    assert created.status_code == 200 and created.json() == {"ignored": "CREATED"}
    moving = status_webhook("1106207000", "RECEIVED_AT_SHIPMENT_WAREHOUSE")
    answer = await api.client.post(url.format("w3bh00k-t0ken"), json=moving)
    assert answer.json() == {"trackingNumber": "1106207000", "status": "IN_TRANSIT"}
    answer = await api.client.post(url.format("w3bh00k-t0ken"), json=status_webhook("1106207000", "DELIVERED"))
    assert answer.json()["status"] == "DELIVERED" and (await shipment(api, fid))[0] == "DELIVERED"
    unknown = await api.client.post(url.format("w3bh00k-t0ken"), json=status_webhook("999", "DELIVERED"))
    assert unknown.status_code == 404


SUBSCRIBE = """mutation($name: String!, $url: String!) { subscribeCarrierWebhooks(name: $name, baseUrl: $url) {
  subscribed errors { code field message } } }"""


async def test_cdek_is_told_where_to_send_its_status_webhooks(api, admin, fake):
    token = "wh-7f3a9c"
    connector = {"name": "cdek", "kind": "CARRIER", "adapter": "cdek", "settings": SETTINGS | {"baseUrl": fake.url}}
    saved = await api.data(admin, SAVE, {"input": connector | {"secrets": {"webhookToken": token}}})
    assert saved["saveConnector"]["errors"] == []
    answer = await api.run(admin, SUBSCRIBE, {"name": "cdek", "url": "https://oms.chain.example/"})
    assert answer["data"]["subscribeCarrierWebhooks"] == {"subscribed": True, "errors": []}
    assert token not in str(answer)
    assert fake.webhooks == [{"url": f"https://oms.chain.example/webhooks/cdek/cdek/{token}", "type": "ORDER_STATUS"}]
    refused = await api.data(admin, SUBSCRIBE, {"name": "parcelhub", "url": "https://oms.chain.example"})
    assert refused["subscribeCarrierWebhooks"]["subscribed"] is False
