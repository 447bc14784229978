"""Replenishment on both databases: a store low on a sku that sells there is told what to get from the nearest
warehouse, never more than the warehouse can spare; one mutation turns it into a transfer, and what is on
the way is counted next time."""

from __future__ import annotations

import pytest

from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import PLACE_ORDER, SET_STOCK, level, order_input
from tests.fulfilment_steps import chain_admin
from tests.transfer_steps import TRANSFER_FIELDS

SUGGESTIONS = """query($loc: String, $threshold: Int, $days: Int) {
  replenishmentSuggestions(locationCode: $loc, threshold: $threshold, days: $days) {
    location { code } sku available inbound sold quantity source { code } sourceAvailable } }"""
REPLENISH = f"""mutation($input: ReplenishInput!) {{ replenishStore(input: $input) {{
  transfers {{ {TRANSFER_FIELDS} }} errors {{ code field message }} }} }}"""
SALE = """mutation($input: StoreSaleInput!) { recordStoreSale(input: $input) { errors { code } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    stock = [
        level("SKU-1", "ST-BER", 6),
        level("SKU-1", "WH-HAM", 20),
        level("SKU-1", "WH-FRA", 30),
        level("SKU-2", "ST-BER", 1),  # low, but it did not sell: nothing to suggest
        level("SKU-2", "WH-HAM", 9),
    ]
    await api.data(key, SET_STOCK, {"input": stock})
    sale = {
        "locationCode": "ST-BER",
        "channel": "web",
        "receiptNumber": "R-1",
        "lines": [{"sku": "SKU-1", "quantity": 5, "unitPrice": "5.00"}],
    }
    assert (await api.data(key, SALE, {"input": sale}))["recordStoreSale"]["errors"] == []
    return key


def row(sku, available, inbound, sold, quantity, source, source_available):  # type: ignore[no-untyped-def]
    return {
        "location": {"code": "ST-BER"},
        "sku": sku,
        "available": available,
        "inbound": inbound,
        "sold": sold,
        "quantity": quantity,
        "source": {"code": source},
        "sourceAvailable": source_available,
    }


async def test_a_store_low_on_a_selling_sku_is_refilled_from_the_nearest_warehouse(api, admin):
    analyst = await make_key(api.db, Role.ANALYST)
    found = (await api.data(analyst, SUGGESTIONS, {}))["replenishmentSuggestions"]
    # Berlin sold 5 and has 1 left (below 2): 4 more hold another 30 days' sales; Hamburg is nearer than Frankfurt
    assert found == [row("SKU-1", 1, 0, 5, 4, "WH-HAM", 20)]
    assert (await api.data(analyst, SUGGESTIONS, {"threshold": 1}))["replenishmentSuggestions"] == []

    integration = await make_key(api.db, Role.INTEGRATION)
    done = (await api.data(integration, REPLENISH, {"input": {"locationCode": "ST-BER"}}))["replenishStore"]
    assert done["errors"] == []
    (transfer,) = done["transfers"]
    assert (transfer["status"], transfer["reason"], transfer["from"]["code"], transfer["to"]["code"]) == (
        "REQUESTED",
        "replenishment",
        "WH-HAM",
        "ST-BER",
    )
    assert [(li["sku"], li["quantity"]) for li in transfer["lines"]] == [("SKU-1", 4)]
    # what is on the way is counted: nothing more to send
    assert (await api.data(analyst, SUGGESTIONS, {"loc": "ST-BER"}))["replenishmentSuggestions"] == []
    again = (await api.data(integration, REPLENISH, {"input": {"locationCode": "ST-BER"}}))["replenishStore"]
    assert again == {
        "transfers": [],
        "errors": [
            {
                "code": "INVALID_INPUT",
                "field": ["input", "locationCode"],
                "message": "no replenishment to send to ST-BER from a warehouse",
            }
        ],
    }


async def test_a_warehouse_sends_only_what_the_network_has_not_promised(api, admin):
    # SKU-1 can be promised from Hamburg 20, Frankfurt 30 and Berlin's 1: 51; orders take 48 of it
    placed = await api.data(admin, PLACE_ORDER, {"input": order_input("k1", [("SKU-1", 48, "10")])})
    assert placed["placeOrder"]["errors"] == []
    found = (await api.data(admin, SUGGESTIONS, {}))["replenishmentSuggestions"]
    assert found == [row("SKU-1", 1, 0, 5, 3, "WH-HAM", 3)]
    done = await api.data(admin, REPLENISH, {"input": {"locationCode": "ST-BER", "skus": ["SKU-1"]}})
    assert [li["quantity"] for li in done["replenishStore"]["transfers"][0]["lines"]] == [3]


async def test_bad_questions_are_refused_and_roles_hold(api, admin):
    analyst = await make_key(api.db, Role.ANALYST)
    for variables, code, field in [
        ({"threshold": 0}, "INVALID_INPUT", ["threshold"]),
        ({"days": 366}, "INVALID_INPUT", ["days"]),
        ({"loc": "NOPE"}, "UNKNOWN_LOCATION", ["locationCode"]),
    ]:
        body = await api.run(analyst, SUGGESTIONS, variables)
        assert (body["errors"][0]["extensions"]["code"], body["errors"][0]["extensions"]["field"]) == (code, field)
    refused = await api.run(analyst, REPLENISH, {"input": {"locationCode": "ST-BER"}})
    assert refused["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    store = await make_key(api.db, Role.STORE, location="ST-BER")
    assert (await api.run(store, SUGGESTIONS, {}))["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    bad = await api.data(admin, REPLENISH, {"input": {"locationCode": "ST-BER", "days": 0}})
    assert bad["replenishStore"]["errors"][0]["field"] == ["input", "days"]
    assert (await api.data(admin, SUGGESTIONS, {}))["replenishmentSuggestions"][0]["inbound"] == 0  # nothing written
