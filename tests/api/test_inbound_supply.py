"""Inbound supply on both databases: sent in and changed by external id, never stock until received, received
in parts onto the location's shelf (the ledger says so), overdue flagged, bad input refused whole."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oms_graph.db.base import utcnow
from oms_graph.domain.access import Role
from tests.api.test_stock_imports import csv_file, imported
from tests.conftest import make_key
from tests.factories import PLACE_ORDER, SET_STOCK, atp, level, order_input
from tests.fulfilment_steps import chain_admin, ledger, stock

FIELDS = "externalId kind location { code } sku quantity received due expectedAt status overdue"
UPSERT = f"""mutation($input: [InboundSupplyInput!]!) {{ upsertInboundSupply(input: $input) {{
  supply {{ {FIELDS} }} errors {{ code field message }} }} }}"""
RECEIVE = f"""mutation($id: String!, $n: Int!) {{ receiveInboundSupply(externalId: $id, quantity: $n) {{
  supply {{ {FIELDS} }} errors {{ code field message }} }} }}"""
LIST = f"""query($loc: String, $sku: String, $overdue: Boolean) {{
  inboundSupply(locationCode: $loc, sku: $sku, overdue: $overdue) {{ {FIELDS} }} }}"""


def supply(external_id, quantity, days=3, sku="SKU-1", location="WH-HAM", kind="PURCHASE_ORDER"):  # type: ignore[no-untyped-def]
    return {
        "externalId": external_id,
        "kind": kind,
        "locationCode": location,
        "sku": sku,
        "quantity": quantity,
        "expectedAt": (utcnow() + timedelta(days=days)).isoformat(),
    }


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


async def test_supply_is_never_stock_until_received_in_parts(api, admin):
    integration = await make_key(api.db, Role.INTEGRATION)
    sent = (await api.data(integration, UPSERT, {"input": [supply("PO-1/1", 50)]}))["upsertInboundSupply"]
    assert sent["errors"] == [] and [(s["status"], s["due"], s["overdue"]) for s in sent["supply"]] == [
        ("OPEN", 50, False)
    ]
    assert await atp(api, admin, "SKU-1") == 0  # nothing on a shelf
    refused = await api.data(admin, PLACE_ORDER, {"input": order_input("k1")})
    assert [e["code"] for e in refused["placeOrder"]["errors"]] == ["INSUFFICIENT_STOCK"]

    # sent again: the date moves and the quantity changes
    moved = (await api.data(integration, UPSERT, {"input": [supply("PO-1/1", 40, days=5)]}))["upsertInboundSupply"]
    assert [(s["quantity"], s["due"]) for s in moved["supply"]] == [(40, 40)]

    store = await make_key(api.db, Role.STORE, location="WH-HAM")
    first = (await api.data(store, RECEIVE, {"id": "PO-1/1", "n": 15}))["receiveInboundSupply"]
    assert [(s["received"], s["due"], s["status"]) for s in first["supply"]] == [(15, 25, "OPEN")]
    assert (await stock(api, "SKU-1", "WH-HAM"))[0] == 15 and await atp(api, admin, "SKU-1") == 15
    assert await ledger(api, "SKU-1", "WH-HAM") == [("supply_received", 15)]
    too_many = (await api.data(store, RECEIVE, {"id": "PO-1/1", "n": 26}))["receiveInboundSupply"]
    assert [(e["code"], e["field"]) for e in too_many["errors"]] == [("INVALID_INPUT", ["quantity"])]
    cut = (await api.data(integration, UPSERT, {"input": [supply("PO-1/1", 10)]}))["upsertInboundSupply"]
    assert [(e["code"], e["field"]) for e in cut["errors"]] == [("INVALID_INPUT", ["input", "0", "quantity"])]
    rest = (await api.data(store, RECEIVE, {"id": "PO-1/1", "n": 25}))["receiveInboundSupply"]
    assert [(s["received"], s["due"], s["status"]) for s in rest["supply"]] == [(40, 0, "RECEIVED")]
    again = (await api.data(store, RECEIVE, {"id": "PO-1/1", "n": 1}))["receiveInboundSupply"]
    assert [e["code"] for e in again["errors"]] == ["INVALID_TRANSITION"]
    assert (await stock(api, "SKU-1", "WH-HAM"))[0] == 40

    other = await make_key(api.db, Role.STORE, location="ST-BER")
    hidden = (await api.data(other, RECEIVE, {"id": "PO-1/1", "n": 1}))["receiveInboundSupply"]
    assert [e["code"] for e in hidden["errors"]] == ["NOT_FOUND"]


async def test_overdue_supply_is_flagged_and_a_supply_cut_to_what_arrived_closes(api, admin):
    integration = await make_key(api.db, Role.INTEGRATION)
    batch = [supply("ASN-7", 5, days=-1, kind="ADVANCE_SHIPPING_NOTICE"), supply("PO-2/1", 8, sku="SKU-2")]
    assert (await api.data(integration, UPSERT, {"input": batch}))["upsertInboundSupply"]["errors"] == []
    late = (await api.data(integration, LIST, {"overdue": True}))["inboundSupply"]
    assert [(s["externalId"], s["overdue"]) for s in late] == [("ASN-7", True)]
    assert [s["externalId"] for s in (await api.data(integration, LIST, {"sku": "SKU-2"}))["inboundSupply"]] == [
        "PO-2/1"
    ]
    closed = (await api.data(integration, UPSERT, {"input": [supply("ASN-7", 0)]}))["upsertInboundSupply"]
    assert [(s["status"], s["overdue"]) for s in closed["supply"]] == [("CLOSED", False)]


async def test_bad_supply_is_refused_whole_and_roles_hold(api, admin):
    integration = await make_key(api.db, Role.INTEGRATION)
    bad = [
        supply("PO-3/1", 5),
        supply("PO-3/2", 5, location="NOPE"),
        supply("PO-3/3", 5, sku="NOPE"),
        supply("PO-3/4", 0),
        supply("PO-3/1", 6),
    ]
    refused = (await api.data(integration, UPSERT, {"input": bad}))["upsertInboundSupply"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("UNKNOWN_LOCATION", ["input", "1", "locationCode"]),
        ("UNKNOWN_SKU", ["input", "2", "sku"]),
        ("INVALID_INPUT", ["input", "3", "quantity"]),
        ("INVALID_INPUT", ["input", "4", "externalId"]),
    ]
    assert (await api.data(integration, LIST, {}))["inboundSupply"] == []
    assert (await api.data(integration, UPSERT, {"input": [supply("PO-4/1", 5)]}))["upsertInboundSupply"][
        "errors"
    ] == []
    moved = await api.data(integration, UPSERT, {"input": [supply("PO-4/1", 5, location="ST-BER")]})
    assert [e["field"] for e in moved["upsertInboundSupply"]["errors"]] == [["input", "0", "sku"]]
    store = await make_key(api.db, Role.STORE, location="WH-HAM")
    denied = await api.run(store, UPSERT, {"input": [supply("PO-5/1", 5)]})
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_a_count_that_finds_more_takes_in_the_supply_due_there(api, admin):
    integration = await make_key(api.db, Role.INTEGRATION)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    due = [supply("PO-6/1", 20, days=2), supply("PO-6/2", 10, days=1), supply("PO-6/3", 10, days=20)]
    await api.data(integration, UPSERT, {"input": due})

    async def dues():  # type: ignore[no-untyped-def]
        found = (await api.data(integration, LIST, {"sku": "SKU-1"}))["inboundSupply"]
        return {s["externalId"]: (s["received"], s["status"]) for s in found}

    # 17 counted where the books had 5: the earliest due (PO-6/2) takes 10, the next 2
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 17)]})
    assert await dues() == {"PO-6/2": (10, "RECEIVED"), "PO-6/1": (2, "OPEN"), "PO-6/3": (0, "OPEN")}
    # a count that finds less, or nothing more, takes in nothing
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 16)]})
    assert await dues() == {"PO-6/2": (10, "RECEIVED"), "PO-6/1": (2, "OPEN"), "PO-6/3": (0, "OPEN")}
    # a stock file counts as a count: 40 where the books had 16 takes PO-6/1's last 18; supply due in three
    # weeks is not taken in by a count (the other 6 found are a difference, not PO-6/3)
    job_id, job = await imported(api, admin, csv_file(["SKU-1,WH-HAM,40"]))
    assert job["status"] == "DONE"
    assert await dues() == {"PO-6/2": (10, "RECEIVED"), "PO-6/1": (20, "RECEIVED"), "PO-6/3": (0, "OPEN")}
    assert (await stock(api, "SKU-1", "WH-HAM"))[0] == 40
    # another location's count is not this supply
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "ST-BER", 50)]})
    assert (await dues())["PO-6/3"] == (0, "OPEN")
