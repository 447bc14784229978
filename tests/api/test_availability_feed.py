"""Availability out: channels' figures pushed as they change (coalesced, over a real WebSocket), the low-stock
threshold, and the whole catalogue page by page for full syncs."""

from __future__ import annotations

import asyncio
import time

import pytest

from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import (
    AVAILABILITY,
    PLACE_ORDER,
    SET_STOCK,
    UPSERT_CHANNELS,
    UPSERT_PRODUCTS,
    channel,
    level,
    order_input,
    product,
)
from tests.fulfilment_steps import chain_admin
from tests.live import Live

FEED = """subscription($channel: String!, $skus: [String!]) {
  availabilityChanged(channel: $channel, skus: $skus) { channel items { sku availableToPromise } at } }"""
POOL = """mutation($input: AvailabilityPoolInput!) { updateAvailabilityPool(input: $input) { errors { code } } }"""
SNAPSHOT = """query($channel: String!, $first: Int, $after: String) {
  availabilitySnapshot(channel: $channel, first: $first, after: $after) {
    items { sku availableToPromise } pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, UPSERT_CHANNELS, {"input": [channel("ozon", kind="MARKETPLACE")]})
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 50), level("SKU-2", "ST-BER", 10)]})
    return key


def base(api) -> str:  # type: ignore[no-untyped-def]
    return str(api.client.base_url)


async def messages(live, within: float) -> list[tuple[float, dict]]:  # type: ignore[no-untyped-def, type-arg]
    """The feed's messages that arrive within `within` seconds, with when each arrived."""
    got, start = [], time.monotonic()
    while (left := within - (time.monotonic() - start)) > 0:
        try:
            message = await asyncio.wait_for(live.data(), timeout=left)
        except TimeoutError:
            break
        got.append((time.monotonic() - start, message["availabilityChanged"]))
    return got


async def test_a_subscriber_hears_changes_within_a_second_many_skus_to_a_message_once_a_second(api, admin):
    live = await Live.connect(base(api), admin)
    await live.subscribe(FEED, channel="web", skus=["SKU-1", "SKU-2"])
    await asyncio.sleep(0.8)
    started = time.monotonic()
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 40), level("SKU-2", "ST-BER", 7)]})
    first = await asyncio.wait_for(live.data(), timeout=5)
    assert time.monotonic() - started < 1.0
    assert sorted((i["sku"], i["availableToPromise"]) for i in first["availabilityChanged"]["items"]) == [
        ("SKU-1", 40),
        ("SKU-2", 7),
    ]
    # A burst of placements: each moves SKU-1, but it is sent at most once a second, with its last figure.
    for n in range(5):
        placed = await api.data(admin, PLACE_ORDER, {"input": order_input(f"burst-{n}")})
        assert placed["placeOrder"]["errors"] == []
    got = await messages(live, 2.5)
    sku1 = [(at, i["availableToPromise"]) for at, m in got for i in m["items"] if i["sku"] == "SKU-1"]
    assert sku1 and sku1[-1][1] == 35
    assert len(sku1) <= 3 and all(b[0] - a[0] >= 0.7 for a, b in zip(sku1, sku1[1:], strict=False))
    assert all(i["sku"] != "SKU-2" for _, m in got for i in m["items"])  # unchanged: not sent again
    await live.close()


async def test_a_pooled_channel_hears_its_own_figure_and_zero_under_its_threshold(api, admin):
    await api.data(admin, POOL, {"input": {"channel": "ozon", "locationKinds": ["WAREHOUSE"], "lowStockThreshold": 5}})
    live = await Live.connect(base(api), admin)
    await live.subscribe(FEED, channel="ozon")
    await asyncio.sleep(0.8)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "ST-BER", 3)]})  # a store: not in its pool
    assert await messages(live, 1.5) == []
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 4)]})
    (_, change), *_ = await messages(live, 1.5)
    assert change["channel"] == "ozon" and change["items"] == [{"sku": "SKU-1", "availableToPromise": 0}]
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 6)]})
    (_, change), *_ = await messages(live, 2.0)
    assert change["items"] == [{"sku": "SKU-1", "availableToPromise": 6}]
    await live.close()


async def test_a_snapshot_pages_through_the_catalogue_with_the_channels_figures(api, admin):
    await api.data(admin, UPSERT_PRODUCTS, {"input": [product(f"SKU-{n}") for n in range(4, 9)]})
    await api.data(admin, POOL, {"input": {"channel": "ozon", "locationKinds": ["WAREHOUSE"], "buffer": 2}})
    stock = [level("SKU-4", "WH-HAM", 1), level("SKU-5", "WH-HAM", 9), level("SKU-5", "ST-BER", 30)]
    await api.data(admin, SET_STOCK, {"input": [*stock, level("SKU-6", "ST-BER", 4)]})
    placed = await api.data(admin, PLACE_ORDER, {"input": order_input("o-1", [("SKU-5", 3, "9.99")], channel="ozon")})
    assert placed["placeOrder"]["errors"] == []
    seen, after = [], None
    while True:
        page = (await api.data(admin, SNAPSHOT, {"channel": "ozon", "first": 3, "after": after}))[
            "availabilitySnapshot"
        ]
        seen += [(i["sku"], i["availableToPromise"]) for i in page["items"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # SKU-1: 50 at a warehouse less 2 held back; SKU-4: 1 unit, all held back; SKU-5: 9 at the warehouse less 2
    # held back less 3 promised to the channel's order (routed or not: it leaves the warehouse or waits for
    # it); store stock (SKU-2, SKU-6) is outside the pool; SKU-7, SKU-8 have no level at all.
    expected = [("SKU-1", 48), ("SKU-2", 0), ("SKU-3", 0), ("SKU-4", 0), ("SKU-5", 4)]
    assert seen == expected + [(f"SKU-{n}", 0) for n in range(6, 9)]
    shown = await api.data(admin, AVAILABILITY, {"skus": [s for s, _ in seen], "channel": "ozon"})
    assert [(a["sku"], a["availableToPromise"]) for a in shown["availability"]] == seen


async def test_a_storefront_follows_and_pages_its_own_channel_only(api, admin):
    web = await make_key(api.db, Role.STOREFRONT, channel="web")
    body = await api.run(web, SNAPSHOT, {"channel": "ozon"})
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert (await api.data(web, SNAPSHOT, {"channel": "web", "first": 1}))["availabilitySnapshot"]["items"] == [
        {"sku": "SKU-1", "availableToPromise": 50}
    ]
    too_many = await api.run(admin, SNAPSHOT, {"channel": "web", "first": 5000})
    assert too_many["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
