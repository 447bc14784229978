"""Concurrent stock changes lose no update and cannot deadlock."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from oms_graph.db.models import StockMovement
from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import ADJUST_STOCK, SET_STOCK, STOCK_LEVELS, UPSERT_PRODUCTS, level, product, small_chain


async def test_fifty_concurrent_adjustments_end_on_the_exact_sum(api):
    key = await make_key(api.db, Role.INTEGRATION)
    await small_chain(api, key)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 100)]})
    deltas = [1 if i % 3 else -1 for i in range(50)]  # 33 in, 17 out

    async def adjust(delta: int) -> None:
        data = await api.data(
            key, ADJUST_STOCK, {"input": {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": delta, "reason": "race"}}
        )
        assert data["adjustStock"]["errors"] == []

    await asyncio.gather(*(adjust(d) for d in deltas))
    page = await api.data(key, STOCK_LEVELS, {"sku": "SKU-1", "loc": "WH-HAM"})
    assert page["stockLevels"]["edges"][0]["node"]["onHand"] == 100 + sum(deltas)
    async with api.db.read() as session:
        ledger = await session.scalar(select(func.sum(StockMovement.delta)).where(StockMovement.reason == "race"))
    assert ledger == sum(deltas)


async def test_concurrent_removals_never_take_on_hand_below_zero(api):
    key = await make_key(api.db, Role.INTEGRATION)
    await small_chain(api, key)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10)]})

    async def take() -> bool:
        data = await api.data(
            key, ADJUST_STOCK, {"input": {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": -1, "reason": "pick"}}
        )
        return not data["adjustStock"]["errors"]

    results = await asyncio.gather(*(take() for _ in range(25)))
    assert sum(results) == 10
    page = await api.data(key, STOCK_LEVELS, {"sku": "SKU-1", "loc": "WH-HAM"})
    assert page["stockLevels"]["edges"][0]["node"]["onHand"] == 0


async def test_overlapping_syncs_in_opposite_orders_all_commit(api):
    key = await make_key(api.db, Role.INTEGRATION)
    await small_chain(api, key)
    skus = [f"P-{i:02d}" for i in range(20)]
    await api.data(key, UPSERT_PRODUCTS, {"input": [product(s) for s in skus]})
    rows = [level(s, loc, 1) for s in skus for loc in ("WH-HAM", "ST-BER")]

    async def sync(batch: list[dict], on_hand: int) -> None:
        data = await api.data(key, SET_STOCK, {"input": [{**r, "onHand": on_hand} for r in batch]})
        assert data["setStockLevels"]["errors"] == []

    await asyncio.gather(*(sync(rows if i % 2 else rows[::-1], i) for i in range(10)))
    page = await api.data(key, STOCK_LEVELS, {"first": 100})
    assert len({e["node"]["onHand"] for e in page["stockLevels"]["edges"]}) == 1  # one batch won every row
