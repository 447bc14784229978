"""Stock: absolute sync keeps reservations, deltas, the ledger, pages, availability."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from oms_graph.db.models import Location, StockLevel, StockMovement
from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import (
    ADJUST_STOCK,
    AVAILABILITY,
    BERLIN,
    SET_STOCK,
    STOCK_LEVELS,
    UPSERT_LOCATIONS,
    UPSERT_PRODUCTS,
    level,
    location,
    product,
    small_chain,
)
from tests.statements import counting_selects


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await make_key(api.db, Role.ADMIN)
    await small_chain(api, key)
    return key


async def reserve(db, sku: str, location_code: str, units: int) -> None:  # type: ignore[no-untyped-def]
    """Stand-in for an order's reservation, which later issues make through placement and routing."""
    async with db.write() as session:
        loc_id = await session.scalar(select(Location.id).where(Location.code == location_code))
        await session.execute(
            update(StockLevel).where(StockLevel.sku == sku, StockLevel.location_id == loc_id).values(reserved=units)
        )


async def movements(db) -> list[tuple]:  # type: ignore[no-untyped-def]
    async with db.read() as session:
        rows = await session.execute(
            select(
                StockMovement.sku,
                StockMovement.delta,
                StockMovement.on_hand_after,
                StockMovement.reason,
                StockMovement.actor,
            ).order_by(StockMovement.id)
        )
        return [tuple(r) for r in rows]


async def test_set_stock_levels_replaces_on_hand_and_keeps_reservations(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10, safety=2)]})
    await reserve(api.db, "SKU-1", "WH-HAM", 3)
    data = await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 8)]})
    row = data["setStockLevels"]["stockLevels"][0]
    assert (row["onHand"], row["reserved"], row["safetyStock"], row["available"]) == (8, 3, 2, 3)


async def test_set_stock_levels_answers_rows_in_input_order(api, admin):
    rows = [level("SKU-2", "ST-BER", 1), level("SKU-1", "WH-HAM", 2), level("SKU-1", "ST-BER", 3)]
    data = await api.data(admin, SET_STOCK, {"input": rows})
    got = [(r["sku"], r["location"]["code"], r["onHand"]) for r in data["setStockLevels"]["stockLevels"]]
    assert got == [("SKU-2", "ST-BER", 1), ("SKU-1", "WH-HAM", 2), ("SKU-1", "ST-BER", 3)]


async def test_a_count_below_reservations_is_accepted_and_shows_negative_available(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10)]})
    await reserve(api.db, "SKU-1", "WH-HAM", 6)
    data = await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 4)]})
    assert data["setStockLevels"]["stockLevels"][0]["available"] == -2


async def test_every_change_appends_a_movement_and_an_unchanged_sync_does_not(api):
    integration = await make_key(api.db, Role.INTEGRATION)
    await small_chain(api, integration)
    await api.data(integration, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10)]})
    await api.data(integration, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10)]})
    await api.data(
        integration,
        ADJUST_STOCK,
        {"input": {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": 5, "reason": "delivery 4711"}},
    )
    await api.data(
        integration,
        ADJUST_STOCK,
        {"input": {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": -2, "reason": "damaged in store"}},
    )
    assert await movements(api.db) == [
        ("SKU-1", 10, 10, "sync", "test-integration"),
        ("SKU-1", 5, 15, "delivery 4711", "test-integration"),
        ("SKU-1", -2, 13, "damaged in store", "test-integration"),
    ]


async def test_a_safety_stock_change_is_kept_when_the_next_sync_omits_it(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10, safety=4)]})
    data = await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 12)]})
    assert data["setStockLevels"]["stockLevels"][0]["safetyStock"] == 4
    assert [m[1:3] for m in await movements(api.db)] == [(10, 10), (2, 12)]


async def test_adjust_stock_creates_a_level_on_first_receipt(api, admin):
    data = await api.data(
        admin, ADJUST_STOCK, {"input": {"sku": "SKU-3", "locationCode": "ST-MUC", "delta": 4, "reason": "transfer in"}}
    )
    assert data["adjustStock"]["stockLevel"]["onHand"] == 4
    assert data["adjustStock"]["errors"] == []


async def test_stock_levels_pages_through_every_row_once_in_order(api, admin):
    skus = [f"P-{i:02d}" for i in range(7)]
    await api.data(admin, UPSERT_PRODUCTS, {"input": [product(s) for s in skus]})
    await api.data(admin, SET_STOCK, {"input": [level(s, loc, 1) for s in skus for loc in ("WH-HAM", "ST-BER")]})
    seen, after, pages = [], None, 0
    while True:
        page = (await api.data(admin, STOCK_LEVELS, {"first": 3, "after": after}))["stockLevels"]
        pages += 1
        seen += [(e["node"]["sku"], e["node"]["location"]["code"]) for e in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted((s, loc) for s in skus for loc in ("ST-BER", "WH-HAM"))
    assert pages == 5


async def test_stock_levels_filter_by_sku_and_location(api, admin):
    await api.data(
        admin,
        SET_STOCK,
        {"input": [level("SKU-1", "WH-HAM", 1), level("SKU-1", "ST-BER", 2), level("SKU-2", "ST-BER", 3)]},
    )
    by_sku = await api.data(admin, STOCK_LEVELS, {"sku": "SKU-1"})
    assert {e["node"]["location"]["code"] for e in by_sku["stockLevels"]["edges"]} == {"WH-HAM", "ST-BER"}
    by_location = await api.data(admin, STOCK_LEVELS, {"loc": "ST-BER"})
    assert {e["node"]["sku"] for e in by_location["stockLevels"]["edges"]} == {"SKU-1", "SKU-2"}


async def test_availability_sorts_by_distance_and_promises_only_what_active_ship_locations_have(api, admin):
    await api.data(admin, UPSERT_LOCATIONS, {"input": [location("WH-OFF", BERLIN, ("SHIP",), active=False)]})
    await api.data(
        admin,
        SET_STOCK,
        {
            "input": [
                level("SKU-1", "WH-HAM", 10, safety=2),  # 8 available, ships
                level("SKU-1", "ST-BER", 5),  # 5 minus 1 reserved below, ships
                level("SKU-1", "ST-MUC", 7),  # pickup only: listed, not promisable for delivery
                level("SKU-1", "WH-OFF", 50),  # inactive: neither
                level("SKU-2", "WH-HAM", 2),
                level("SKU-2", "ST-BER", 1),  # 3 reserved below: short, must not eat WH-HAM's units
            ]
        },
    )
    await reserve(api.db, "SKU-1", "ST-BER", 1)
    await reserve(api.db, "SKU-2", "ST-BER", 3)
    data = await api.data(
        admin,
        AVAILABILITY,
        {"skus": ["SKU-1", "SKU-2", "SKU-3"], "near": {"latitude": BERLIN[0], "longitude": BERLIN[1]}},
    )
    one, two, three = data["availability"]
    assert one["availableToPromise"] == 12
    assert [(e["location"]["code"], e["available"]) for e in one["locations"]] == [
        ("ST-BER", 4),
        ("WH-HAM", 8),
        ("ST-MUC", 7),
    ]
    distances = [e["distanceKm"] for e in one["locations"]]
    assert distances[0] == pytest.approx(0, abs=0.01)
    assert distances[1] == pytest.approx(255, abs=5)  # Berlin to Hamburg
    assert distances[2] == pytest.approx(504, abs=5)  # Berlin to Munich
    assert (two["availableToPromise"], [e["location"]["code"] for e in two["locations"]]) == (2, ["WH-HAM"])
    assert (three["availableToPromise"], three["locations"]) == (0, [])


async def test_availability_without_near_lists_by_code_and_max_locations_keeps_the_nearest(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", c, 3) for c in ("WH-HAM", "ST-BER", "ST-MUC")]})
    plain = await api.data(admin, AVAILABILITY, {"skus": ["SKU-1"]})
    assert [e["location"]["code"] for e in plain["availability"][0]["locations"]] == ["ST-BER", "ST-MUC", "WH-HAM"]
    assert all(e["distanceKm"] is None for e in plain["availability"][0]["locations"])
    near = await api.data(
        admin, AVAILABILITY, {"skus": ["SKU-1"], "max": 2, "near": {"latitude": 48.2, "longitude": 11.6}}
    )
    assert [e["location"]["code"] for e in near["availability"][0]["locations"]] == ["ST-MUC", "ST-BER"]


async def test_availability_sends_the_same_number_of_statements_whatever_the_number_of_skus(api, admin):
    skus = [f"P-{i:02d}" for i in range(30)]
    await api.data(admin, UPSERT_PRODUCTS, {"input": [product(s) for s in skus]})
    await api.data(admin, SET_STOCK, {"input": [level(s, "WH-HAM", 5) for s in skus]})
    with counting_selects(api.db) as seen:
        await api.data(admin, AVAILABILITY, {"skus": skus[:1]})
        one = len(seen)
        seen.clear()
        await api.data(admin, AVAILABILITY, {"skus": skus})
        many = len(seen)
    assert one == many == 3  # known skus with their shippable units, active locations, nearest stock
