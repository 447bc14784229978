"""The routing profile's weights and a location's capacity each change a route on a real database (the pure
engine's tests cover the arithmetic): a Berlin order goes to Hamburg (nearest) until Hamburg's handling cost
weighs enough, or Frankfurt's priority does, and a store full for the day sends the next order elsewhere."""

from __future__ import annotations

import pytest

from tests.factories import HAMBURG, SET_STOCK, UPSERT_LOCATIONS, level, location
from tests.fulfilment_steps import FRANKFURT, chain_admin, goes_to
from tests.transfer_steps import PROFILE, web_profile


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 50), level("SKU-1", "WH-FRA", 50)]})
    return key


async def profile(api, admin, **weights):  # type: ignore[no-untyped-def]
    done = (await api.data(admin, PROFILE, {"input": web_profile(**weights)}))["updateRoutingProfile"]
    assert done["errors"] == []


async def test_the_cost_weight_moves_an_order_from_a_dear_location(api, admin):
    assert await goes_to(api, admin, "near") == ["WH-HAM"]  # ~255 km, against Frankfurt's ~420
    dear = location("WH-HAM", HAMBURG, ("SHIP", "RETURNS"), handlingCost=40.0)
    assert (await api.data(admin, UPSERT_LOCATIONS, {"input": [dear]}))["upsertLocations"]["errors"] == []
    await profile(api, admin, costWeight=0.0)  # cost does not count: the nearest still
    assert await goes_to(api, admin, "cost-0") == ["WH-HAM"]
    await profile(api, admin, costWeight=1.0)
    assert await goes_to(api, admin, "cost-1") == ["WH-FRA"]


async def test_the_priority_weight_moves_an_order_to_a_preferred_location(api, admin):
    preferred = location("WH-FRA", FRANKFURT, ("SHIP",), priority=100)
    assert (await api.data(admin, UPSERT_LOCATIONS, {"input": [preferred]}))["upsertLocations"]["errors"] == []
    await profile(api, admin, priorityWeight=0.0)
    assert await goes_to(api, admin, "no-priority") == ["WH-HAM"]
    await profile(api, admin, priorityWeight=5.0)
    assert await goes_to(api, admin, "priority") == ["WH-FRA"]


async def test_a_location_full_for_the_day_gets_no_more(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "ST-BER", 50)]})
    small = location("ST-BER", (52.52, 13.405), ("SHIP", "PICKUP", "RETURNS"), kind="STORE", dailyShipCapacity=1)
    assert (await api.data(admin, UPSERT_LOCATIONS, {"input": [small]}))["upsertLocations"]["errors"] == []
    assert await goes_to(api, admin, "first") == ["ST-BER"]  # in Berlin itself
    assert await goes_to(api, admin, "second") == ["WH-HAM"]  # its one shipment today is taken
