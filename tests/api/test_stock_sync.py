"""Stock from the outside world: counts true at the time they were taken, movements sent with an id once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from oms_graph.db.models import Location, StockMovement
from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import level, order_input
from tests.fulfilment_steps import chain_admin, ledger, placed_and_routed, shipped, stock

COUNT = """mutation($input: [StockLevelInput!]!) { setStockLevels(input: $input) {
  stockLevels { sku onHand location { code } } errors { code field message } warnings { code field message } } }"""
ADJUST = """mutation($input: StockAdjustmentInput!) { adjustStock(input: $input) {
  stockLevel { onHand } errors { code field message } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


def ago(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


def counted(sku: str, code: str, on_hand: int, at: str) -> dict:  # type: ignore[type-arg]
    return {**level(sku, code, on_hand), "countedAt": at}


async def count(api, key, *rows):  # type: ignore[no-untyped-def]
    return (await api.data(key, COUNT, {"input": list(rows)}))["setStockLevels"]


async def test_a_count_that_arrives_after_a_shipment_does_not_bring_the_shipped_unit_back(api, admin):
    await count(api, admin, counted("SKU-1", "WH-HAM", 10, ago(60)))
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 1, "10")]))
    await shipped(api, admin, order["id"])
    # The WMS counted 10 half an hour ago, before the parcel left; its count arrives only now.
    done = await count(api, admin, counted("SKU-1", "WH-HAM", 10, ago(30)))
    assert (done["errors"], done["warnings"], done["stockLevels"][0]["onHand"]) == ([], [], 9)
    assert (await stock(api, "SKU-1", "WH-HAM"))[0] == 9
    assert await ledger(api, "SKU-1", "WH-HAM") == [("sync", 10), ("shipped", -1)]


async def test_a_count_older_than_the_last_one_applied_changes_nothing_and_says_so(api, admin):
    await count(api, admin, counted("SKU-1", "WH-HAM", 5, ago(10)))
    done = await count(api, admin, counted("SKU-2", "WH-HAM", 3, ago(20)), counted("SKU-1", "WH-HAM", 7, ago(20)))
    assert done["errors"] == []
    assert [(w["code"], w["field"]) for w in done["warnings"]] == [("STALE_COUNT", ["input", "1", "countedAt"])]
    assert [(s["sku"], s["onHand"]) for s in done["stockLevels"]] == [("SKU-2", 3), ("SKU-1", 5)]
    assert (await stock(api, "SKU-1", "WH-HAM"))[0] == 5
    assert await ledger(api, "SKU-1", "WH-HAM") == [("sync", 5)]


async def test_the_ledger_row_of_a_count_keeps_the_counted_figure_and_what_it_came_to(api, admin):
    await count(api, admin, counted("SKU-1", "WH-HAM", 10, ago(60)))
    write_off = {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": -2, "reason": "broken"}
    assert (await api.data(admin, ADJUST, {"input": write_off}))["adjustStock"]["stockLevel"]["onHand"] == 8
    done = await count(api, admin, counted("SKU-1", "WH-HAM", 6, ago(30)))  # 6 then, 2 broken since
    assert done["stockLevels"][0]["onHand"] == 4
    async with api.db.read() as session:
        rows = (
            await session.execute(
                select(StockMovement.reason, StockMovement.delta, StockMovement.counted, StockMovement.on_hand_after)
                .join(Location, Location.id == StockMovement.location_id)
                .where(StockMovement.sku == "SKU-1", Location.code == "WH-HAM")
                .order_by(StockMovement.id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [("sync", 10, 10, 10), ("broken", -2, None, 8), ("sync", -4, 6, 4)]


async def test_a_count_taken_in_the_future_is_refused_and_nothing_is_written(api, admin):
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    done = await count(api, admin, level("SKU-1", "WH-HAM", 4), counted("SKU-2", "WH-HAM", 3, later))
    assert [(e["code"], e["field"]) for e in done["errors"]] == [("INVALID_INPUT", ["input", "1", "countedAt"])]
    assert await ledger(api, "SKU-1", "WH-HAM") == []


async def test_a_movement_sent_twice_with_its_id_moves_once_and_answers_the_first_result(api, admin):
    receipt = {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": 5, "reason": "goods in", "movementId": "ASN-1"}
    first = (await api.data(admin, ADJUST, {"input": receipt}))["adjustStock"]
    again = (await api.data(admin, ADJUST, {"input": receipt}))["adjustStock"]
    assert first == again == {"stockLevel": {"onHand": 5}, "errors": []}
    assert await ledger(api, "SKU-1", "WH-HAM") == [("goods in", 5)]
    changed = (await api.data(admin, ADJUST, {"input": {**receipt, "delta": 6}}))["adjustStock"]
    assert [(e["code"], e["field"]) for e in changed["errors"]] == [("IDEMPOTENCY_CONFLICT", ["input", "movementId"])]
    # Another sender's movement with the same id is its own.
    integration = await make_key(api.db, Role.INTEGRATION)
    other = (await api.data(integration, ADJUST, {"input": receipt}))["adjustStock"]
    assert other["stockLevel"]["onHand"] == 10
    assert await ledger(api, "SKU-1", "WH-HAM") == [("goods in", 5), ("goods in", 5)]


async def test_twenty_concurrent_repeats_of_a_movement_move_once(api, admin):
    receipt = {"sku": "SKU-2", "locationCode": "ST-BER", "delta": 3, "reason": "goods in", "movementId": "ASN-9"}
    answers = await asyncio.gather(*(api.data(admin, ADJUST, {"input": receipt}) for _ in range(20)))
    assert {a["adjustStock"]["stockLevel"]["onHand"] for a in answers} == {3}
    assert (await stock(api, "SKU-2", "ST-BER"))[0] == 3
    assert await ledger(api, "SKU-2", "ST-BER") == [("goods in", 3)]


BULK = """mutation($input: [StockAdjustmentInput!]!) { adjustStockLevels(input: $input) {
  stockLevels { sku onHand location { code } } errors { code field message } } }"""


async def test_a_file_of_deltas_applies_all_or_nothing_and_a_resend_moves_nothing(api, admin):
    receipts = [
        {"sku": "SKU-2", "locationCode": "WH-HAM", "delta": 4, "reason": "goods in", "movementId": "ASN-7/1"},
        {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": 2, "reason": "goods in", "movementId": "ASN-7/2"},
    ]
    bad = [*receipts, {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": -9, "reason": "lost"}]
    refused = (await api.data(admin, BULK, {"input": bad}))["adjustStockLevels"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_INPUT", ["input", "2", "delta"])]
    assert await ledger(api, "SKU-1", "WH-HAM") == [] and await ledger(api, "SKU-2", "WH-HAM") == []
    twice = (await api.data(admin, BULK, {"input": [receipts[0], receipts[0]]}))["adjustStockLevels"]
    assert [(e["code"], e["field"]) for e in twice["errors"]] == [("INVALID_INPUT", ["input", "1", "movementId"])]
    first = (await api.data(admin, BULK, {"input": receipts}))["adjustStockLevels"]
    again = (await api.data(admin, BULK, {"input": receipts}))["adjustStockLevels"]
    assert first == again
    assert [(s["sku"], s["onHand"]) for s in first["stockLevels"]] == [("SKU-2", 4), ("SKU-1", 2)]
    assert await ledger(api, "SKU-1", "WH-HAM") == [("goods in", 2)]
