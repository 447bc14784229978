"""Bad input is answered with a code and a field path, and writes nothing."""

from __future__ import annotations

import json

import pytest

from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import (
    ADJUST_STOCK,
    AVAILABILITY,
    SET_STOCK,
    STOCK_LEVELS,
    UPSERT_CHANNELS,
    UPSERT_LOCATIONS,
    UPSERT_PRODUCTS,
    channel,
    level,
    location,
    product,
    small_chain,
    snapshot,
)
from tests.fulfilment_steps import QUEUE

CASES = {
    "unknown location": (
        SET_STOCK,
        {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-1", "NOWHERE", 5)]},
        "setStockLevels",
        "UNKNOWN_LOCATION",
        ["input", "1", "locationCode"],
    ),
    "unknown sku": (
        SET_STOCK,
        {"input": [level("SKU-1", "WH-HAM", 5), level("NOPE", "WH-HAM", 5)]},
        "setStockLevels",
        "UNKNOWN_SKU",
        ["input", "1", "sku"],
    ),
    "unknown sku in an adjustment": (
        ADJUST_STOCK,
        {"input": {"sku": "NOPE", "locationCode": "WH-HAM", "delta": 1, "reason": "found"}},
        "adjustStock",
        "UNKNOWN_SKU",
        ["input", "sku"],
    ),
    "unknown location in an adjustment": (  # once a KeyError: `internal error` (found by tests/fuzzing.py)
        ADJUST_STOCK,
        {"input": {"sku": "SKU-1", "locationCode": "NOWHERE", "delta": 1, "reason": "found"}},
        "adjustStock",
        "UNKNOWN_LOCATION",
        ["input", "locationCode"],
    ),
    "negative onHand": (
        SET_STOCK,
        {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-2", "WH-HAM", -1)]},
        "setStockLevels",
        "INVALID_INPUT",
        ["input", "1", "onHand"],
    ),
    "negative safety stock": (
        SET_STOCK,
        {"input": [level("SKU-1", "WH-HAM", 5, safety=-2)]},
        "setStockLevels",
        "INVALID_INPUT",
        ["input", "0", "safetyStock"],
    ),
    "latitude out of range": (
        UPSERT_LOCATIONS,
        {"input": [location("OK-1"), location("BAD-1", at=(91.0, 13.0))]},
        "upsertLocations",
        "INVALID_INPUT",
        ["input", "1", "latitude"],
    ),
    "longitude out of range": (
        UPSERT_LOCATIONS,
        {"input": [location("BAD-1", at=(52.0, -181.0))]},
        "upsertLocations",
        "INVALID_INPUT",
        ["input", "0", "longitude"],
    ),
    "negative handling cost": (
        UPSERT_LOCATIONS,
        {"input": [location("BAD-1", handlingCost=-1.0)]},
        "upsertLocations",
        "INVALID_INPUT",
        ["input", "0", "handlingCost"],
    ),
    "duplicate codes in one batch": (
        UPSERT_CHANNELS,
        {"input": [channel("app", "APP"), channel("app", "APP")]},
        "upsertChannels",
        "INVALID_INPUT",
        ["input", "1", "code"],
    ),
    "duplicate skus in one batch": (
        UPSERT_PRODUCTS,
        {"input": [product("NEW-1"), product("NEW-1")]},
        "upsertProducts",
        "INVALID_INPUT",
        ["input", "1", "sku"],
    ),
    "duplicate sku and location in one sync": (
        SET_STOCK,
        {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-1", "WH-HAM", 6)]},
        "setStockLevels",
        "INVALID_INPUT",
        ["input", "1", "sku"],
    ),
    "empty batch": (UPSERT_PRODUCTS, {"input": []}, "upsertProducts", "INVALID_INPUT", ["input"]),
    "a 10,001-row batch": (
        SET_STOCK,
        {"input": [level("SKU-1", "WH-HAM", i) for i in range(10_001)]},
        "setStockLevels",
        "INVALID_INPUT",
        ["input"],
    ),
    "blank name": (
        UPSERT_PRODUCTS,
        {"input": [product("NEW-1", name="  ")]},
        "upsertProducts",
        "INVALID_INPUT",
        ["input", "0", "name"],
    ),
    "a currency that is not ISO 4217": (
        UPSERT_CHANNELS,
        {"input": [channel("app", "APP", currency="euro")]},
        "upsertChannels",
        "INVALID_INPUT",
        ["input", "0", "currency"],
    ),
    "an adjustment below zero": (
        ADJUST_STOCK,
        {"input": {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": -11, "reason": "shrinkage"}},
        "adjustStock",
        "INVALID_INPUT",
        ["input", "delta"],
    ),
    "a zero adjustment": (
        ADJUST_STOCK,
        {"input": {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": 0, "reason": "nothing"}},
        "adjustStock",
        "INVALID_INPUT",
        ["input", "delta"],
    ),
}


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await make_key(api.db, Role.ADMIN)
    await small_chain(api, key)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10)]})
    return key


@pytest.mark.parametrize("case", list(CASES))
async def test_bad_input_is_answered_with_code_and_field_and_writes_nothing(api, admin, case):
    document, variables, operation, code, field = CASES[case]
    before = await snapshot(api.db)
    data = await api.data(admin, document, variables)
    errors = data[operation]["errors"]
    assert errors and errors[0]["code"] == code and errors[0]["field"] == field, errors
    assert errors[0]["message"]
    assert await snapshot(api.db) == before


@pytest.mark.parametrize(
    ("document", "variables", "code", "field"),
    [
        (STOCK_LEVELS, {"first": 1000}, "INVALID_INPUT", ["first"]),
        (STOCK_LEVELS, {"first": 0}, "INVALID_INPUT", ["first"]),
        (STOCK_LEVELS, {"after": "not-a-cursor"}, "INVALID_INPUT", ["after"]),
        (STOCK_LEVELS, {"loc": "NOWHERE"}, "UNKNOWN_LOCATION", ["locationCode"]),
        (STOCK_LEVELS, {"sku": "NOPE"}, "UNKNOWN_SKU", ["sku"]),
        (AVAILABILITY, {"skus": ["SKU-1", "NOPE"]}, "UNKNOWN_SKU", ["skus", "1"]),
        (AVAILABILITY, {"skus": []}, "INVALID_INPUT", ["skus"]),
        (
            AVAILABILITY,
            {"skus": ["SKU-1"], "near": {"latitude": -95, "longitude": 0}},
            "INVALID_INPUT",
            ["near", "latitude"],
        ),
        (AVAILABILITY, {"skus": ["SKU-1"], "channel": "nope"}, "UNKNOWN_CHANNEL", ["channel"]),
        (QUEUE, {"loc": "NOWHERE"}, "UNKNOWN_LOCATION", ["locationCode"]),
        (QUEUE, {"loc": "NOWHERE", "status": ["PACKED"]}, "UNKNOWN_LOCATION", ["locationCode"]),
    ],
    ids=[
        "page of 1000",
        "page of 0",
        "foreign cursor",
        "unknown location",
        "unknown sku",
        "unknown sku in availability",
        "no skus",
        "near out of range",
        "unknown channel",
        "queue of an unknown location",
        "queue of an unknown location, by status",
    ],
)
async def test_bad_query_arguments_are_rejected_with_code_and_field(api, admin, document, variables, code, field):
    body = await api.run(admin, document, variables)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code
    assert body["errors"][0]["extensions"]["field"] == field


@pytest.mark.parametrize(
    ("text", "where"),
    [("WH\x00HAM", "U+0000"), ("WH-HAM\x1b[2J", "U+001B"), ("x\ud800", "U+D800"), ("a\x7f", "U+007F")],
    ids=["NUL", "escape", "lone surrogate", "DEL"],
)
async def test_a_control_character_anywhere_is_refused_before_anything_runs(api, admin, text, where):
    adjustment = {"sku": "SKU-1", "locationCode": text, "delta": 1, "reason": "found"}
    before = await snapshot(api.db)
    sent = json.dumps({"query": ADJUST_STOCK, "variables": {"input": adjustment}})  # \\u escapes, as JSON allows
    headers = {"authorization": f"Bearer {admin}", "content-type": "application/json"}
    body = (await api.client.post("/graphql", content=sent, headers=headers)).json()
    error = body["errors"][0]
    assert body["data"] is None and error["extensions"]["code"] == "INVALID_INPUT"
    assert error["extensions"]["field"] == ["input", "locationCode"] and where in error["message"]
    written = 'mutation { adjustStock(input: {sku: "SKU-1", locationCode: "WH-HAM", delta: 1, reason: "a\\u0007b"})'
    literal = await api.run(admin, written + " { errors { code } } }")
    assert literal["errors"][0]["extensions"]["field"] == ["input", "reason"]
    assert await snapshot(api.db) == before


async def test_text_with_tabs_and_line_breaks_is_taken(api, admin):
    note = {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": 1, "reason": "found\tbehind\r\nthe shelf"}
    assert (await api.data(admin, ADJUST_STOCK, {"input": note}))["adjustStock"]["errors"] == []
