"""The DHL Parcel DE adapter (Shipping API v2) against a fake DHL on loopback that follows its documentation:
set up as a connector, a packed shipment is created with the contract's product and billing number, its label
is DHL's; a refusal fails it with DHL's validation messages; a 5xx or a 429 is tried again later, not at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from oms_graph.adapters.carriers import CarrierError, Parcel, ShipmentRequest
from oms_graph.adapters.carriers.dhl import DhlParcelDe
from oms_graph.api.node import decode_id, encode_id
from oms_graph.db.models import Shipment
from oms_graph.tasks.tracking import poll_tracking
from tests.api.test_carriers import packed, shipment
from tests.api.test_cdek import SHIPMENT_URLS
from tests.fakes.dhl import API_KEY, LABEL, PASSWORD, USER, FakeDhl
from tests.fulfilment_steps import book, chain_admin

SAVE = """mutation($input: ConnectorInput!) { saveConnector(input: $input) { errors { code field message } } }"""
SHIPPER = {
    "name1": "Chain GmbH",
    "addressStreet": "Hafenstraße 1",
    "postalCode": "21035",
    "city": "Hamburg",
    "country": "DE",
}
SETTINGS = {"product": "V01PAK", "billingNumber": "33333333330102", "shipper": SHIPPER}
SECRETS = {"apiKey": API_KEY, "user": USER, "password": PASSWORD}


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


@pytest.fixture
async def fake(api, admin):  # type: ignore[no-untyped-def]
    server = FakeDhl().start()
    connector = {
        "name": "dhl",
        "kind": "CARRIER",
        "adapter": "dhl_parcel_de",
        "settings": SETTINGS | {"baseUrl": server.url, "trackingUrl": f"{server.base_url}/track/shipments"},
        "secrets": SECRETS,
    }
    assert (await api.data(admin, SAVE, {"input": connector}))["saveConnector"]["errors"] == []
    yield server
    server.stop()


async def test_a_shipment_is_created_with_dhl_and_its_label_served(api, admin, fake):
    _, fid = await packed(api, admin, "dhl")
    await book(api, fid)
    assert await shipment(api, fid) == ("BOOKED", "00340434161094042557", "dhl")
    (made,) = fake.created
    assert made["product"] == "V01PAK" and made["billingNumber"] == "33333333330102"
    assert made["consignee"]["country"] == "DEU" and made["shipper"]["country"] == "DEU"
    assert made["details"]["weight"] == {"uom": "kg", "value": 0.8}
    assert fake.queries[0]["includeDocs"] == ["include"]
    async with api.db.read() as session:
        shipment_id = await session.scalar(select(Shipment.id).where(Shipment.fulfilment_id == decode_id(fid)[1]))
    label = await api.client.get(
        f"/documents/shipments/{encode_id('Shipment', shipment_id)}/label.pdf",
        headers={"authorization": f"Bearer {admin}"},
    )
    assert label.content == LABEL
    urls = await api.data(admin, SHIPMENT_URLS, {"id": fid})
    assert urls["node"]["shipment"]["labelUrl"] and urls["node"]["shipment"]["waybillUrl"] is None  # DHL issues none


async def test_a_refusal_fails_the_shipment_with_dhls_messages(api, admin, fake):
    carrier = DhlParcelDe("dhl", SETTINGS | {"baseUrl": fake.url}, SECRETS)
    nowhere = {"name": "Ada", "line1": "Unter den Linden 1", "city": "Berlin", "country": "DE"}  # no postal code
    with pytest.raises(CarrierError) as refused:
        await carrier.book(ShipmentRequest("k1", None, {}, nowhere, (Parcel(500),)))
    assert refused.value.permanent and "consignee.postalCode: Die Postleitzahl fehlt." in str(refused.value)
    assert fake.created == []


async def test_a_5xx_is_tried_again_later_and_makes_one_shipment(api, admin, fake):
    fake.failures = 1
    _, fid = await packed(api, admin, "dhl")
    with pytest.raises(CarrierError) as first:
        await book(api, fid)  # transient: the actor's message is retried with backoff
    assert not first.value.permanent and (await shipment(api, fid))[0] == "BOOKING"
    await book(api, fid)
    assert (await shipment(api, fid))[0] == "BOOKED" and len(fake.created) == 1


async def test_rate_limits_are_transient_and_bad_credentials_permanent(api, admin, fake):
    carrier = DhlParcelDe("dhl", SETTINGS | {"baseUrl": fake.url}, SECRETS)
    berlin = {"name": "Ada", "line1": "Unter den Linden 1", "city": "Berlin", "postalCode": "10117", "country": "DE"}
    fake.slow_down = True
    with pytest.raises(CarrierError) as limited:
        await carrier.book(ShipmentRequest("k1", None, {}, berlin, (Parcel(500),)))
    assert not limited.value.permanent
    fake.slow_down = False
    wrong = DhlParcelDe("dhl", SETTINGS | {"baseUrl": fake.url}, SECRETS | {"password": "nope"})
    with pytest.raises(CarrierError) as refused:
        await wrong.book(ShipmentRequest("k2", None, {}, berlin, (Parcel(500),)))
    assert refused.value.permanent and fake.created == []
    booked = await carrier.book(ShipmentRequest("k3", None, {}, berlin, (Parcel(500),)))
    await carrier.cancel(booked.tracking_number)
    assert fake.cancelled == [booked.tracking_number]


async def test_dhls_tracking_moves_the_shipment_when_polled(api, admin, fake):
    _, fid = await packed(api, admin, "dhl")
    await book(api, fid)
    number = "00340434161094042557"
    await poll_tracking()  # DHL does not know the parcel yet: nothing moves
    assert await shipment(api, fid) == ("BOOKED", number, "dhl") and fake.tracked == [number]
    fake.statuses[number] = "transit"
    assert await poll_tracking() == 1
    assert (await shipment(api, fid))[0] == "IN_TRANSIT"
    fake.statuses[number] = "delivered"
    await poll_tracking()
    assert (await shipment(api, fid))[0] == "DELIVERED"
    await poll_tracking()  # delivered: no longer asked about
    assert len(fake.tracked) == 3
