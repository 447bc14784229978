"""Shipping documents: a valid label PDF with the tracking number and its Code128 barcode, a packing slip,
the day's handover manifest; only for keys of the location."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import SET_STOCK, level, order_input
from tests.fulfilment_steps import ACCEPT, PACK, PICK, SHIP, book, chain_admin, ok, placed_and_routed, queue

SHIPMENT = "query($id: ID!) { node(id: $id) { ... on Fulfilment { shipment { id trackingNumber labelUrl } } } }"


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


async def shipped(api, admin):  # type: ignore[no-untyped-def]
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    fid = (await queue(api, admin, "WH-HAM"))["edges"][0]["node"]["id"]
    await ok(api, admin, ACCEPT, id=fid)
    await ok(api, admin, PICK, id=fid, lines=[{"sku": "SKU-1", "quantity": 2}])
    await ok(api, admin, PACK, id=fid, parcels=[{"weightGrams": 700}, {"weightGrams": 300}])
    assert (await api.data(admin, SHIPMENT, {"id": fid}))["node"]["shipment"]["labelUrl"] is None  # not booked
    await book(api, fid)
    await ok(api, admin, SHIP, id=fid)
    return order, fid, (await api.data(admin, SHIPMENT, {"id": fid}))["node"]["shipment"]


def pdf_text(raw: bytes) -> tuple[str, bytes]:
    reader = PdfReader(io.BytesIO(raw))
    page = reader.pages[0]
    return page.extract_text(), page.get_contents().get_data()


async def get(api, key, url):  # type: ignore[no-untyped-def]
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return await api.client.get(url, headers=headers)


async def test_the_label_is_a_pdf_with_the_tracking_number_and_its_barcode(api, admin):
    order, _, shipment = await shipped(api, admin)
    hamburg = await make_key(api.db, Role.STORE, location="WH-HAM")
    answer = await get(api, hamburg, shipment["labelUrl"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text, drawing = pdf_text(answer.content)
    assert shipment["trackingNumber"] in text and order["number"] in text and "2 parcel(s)" in text
    assert "Ada" in text and "Berlin" in text
    # Code128's bars are filled rectangles: 3 per symbol (start, data at 1-2 characters each, check) + 4 to stop
    fewest_bars = 3 * (2 + math.ceil(len(shipment["trackingNumber"]) / 2)) + 4
    assert drawing.count(b" re f") >= fewest_bars


async def test_documents_need_a_key_of_the_location(api, admin):
    _, fid, shipment = await shipped(api, admin)
    assert (await get(api, None, shipment["labelUrl"])).status_code == 401
    assert (await get(api, "oms_wrong", shipment["labelUrl"])).status_code == 401
    berlin = await make_key(api.db, Role.STORE, location="ST-BER")
    assert (await get(api, berlin, shipment["labelUrl"])).status_code == 403
    storefront = await make_key(api.db, Role.STOREFRONT, channel="web")
    assert (await get(api, storefront, f"/documents/fulfilments/{fid}/packing-slip.pdf")).status_code == 403
    assert (await get(api, admin, "/documents/shipments/nonsense/label.pdf")).status_code == 404


async def test_the_packing_slip_and_the_days_manifest(api, admin):
    order, fid, shipment = await shipped(api, admin)
    slip = await get(api, admin, f"/documents/fulfilments/{fid}/packing-slip.pdf")
    text, _ = pdf_text(slip.content)
    assert order["number"] in text and "SKU-1" in text
    today = datetime.now(UTC).date().isoformat()  # the manifest's days are UTC days
    manifest = await get(api, admin, f"/documents/manifests/WH-HAM/courier/{today}.pdf")
    assert manifest.status_code == 200
    text, _ = pdf_text(manifest.content)
    assert shipment["trackingNumber"] in text and "1 shipment(s), 2 parcel(s)" in text
    other_day = await get(api, admin, "/documents/manifests/WH-HAM/courier/2020-01-01.pdf")
    assert shipment["trackingNumber"] not in pdf_text(other_day.content)[0]
