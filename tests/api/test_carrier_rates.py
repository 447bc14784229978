"""Carriers' own prices in deliveryOptions: a CDEK connector's calculator (a fake CDEK on loopback) prices
its option, asked once for the same parcels and places; a carrier slower than the budget leaves the table's
price in an answer that does not wait for it, and its late price serves the next checkout; a price in another
currency than the channel's is not offered."""

from __future__ import annotations

import asyncio
import time

import pytest

from oms_graph.adapters.carriers import cdek
from oms_graph.db.base import utcnow
from oms_graph.domain import delivery as rules
from oms_graph.domain.access import Role
from oms_graph.domain.calendars import Calendar
from tests.api.test_cdek import SAVE, SECRETS, SETTINGS
from tests.api.test_delivery_options import cart
from tests.conftest import make_key
from tests.factories import HAMBURG, SET_STOCK, level
from tests.fakes.cdek import FakeCdek
from tests.fulfilment_steps import chain_admin

OPTIONS = """query($input: DeliveryOptionsInput!) { deliveryOptions(input: $input) {
  method carrier service price currency estimatedDeliveryDate quoted } }"""
CALLS = """{ connectors { name health calls(first: 10) { operation ok } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})  # Hamburg ships it
    return key


@pytest.fixture
async def fake(api, admin):  # type: ignore[no-untyped-def]
    server = FakeCdek(currency="EUR").start()
    cdek._tokens.clear()
    settings = SETTINGS | {"baseUrl": server.url}
    connector = {"name": "cdek", "kind": "CARRIER", "adapter": "cdek", "settings": settings, "secrets": SECRETS}
    assert (await api.data(admin, SAVE, {"input": connector}))["saveConnector"]["errors"] == []
    yield server
    server.stop()


async def options(api):  # type: ignore[no-untyped-def]
    storefront = await make_key(api.db, Role.STOREFRONT, channel="web")
    found = (await api.data(storefront, OPTIONS, cart([("SKU-1", 2)])))["deliveryOptions"]
    return {(o["carrier"], o["service"]): o for o in found if o["method"] == "DELIVERY"}


async def test_the_carrier_prices_its_option_and_is_asked_once(api, admin, fake):
    offered = await options(api)
    cdek_option = offered["cdek", "standard"]
    leaves = Calendar().work_starts(utcnow())
    assert cdek_option["quoted"] is True and cdek_option["price"] == "360.00"  # the fake's tariff for 1 kg
    assert cdek_option["estimatedDeliveryDate"] == rules.quoted_arrival(leaves, 4).isoformat()  # its period_max
    assert offered["courier", "standard"]["quoted"] is False and offered["courier", "standard"]["price"] == "5.30"
    assert list(offered) == sorted(offered, key=lambda k: offered[k]["price"].zfill(10))  # cheapest first
    (asked,) = fake.quotes
    assert asked["tariff_code"] == 136 and [p["weight"] for p in asked["packages"]] == [1000]
    assert (asked["from_location"]["latitude"], asked["from_location"]["longitude"]) == pytest.approx(HAMBURG)
    assert asked["to_location"]["city"] == "Berlin" and asked["to_location"]["country_code"] == "DE"
    again = await options(api)
    assert again["cdek", "standard"] == cdek_option and len(fake.quotes) == 1  # the kept answer
    (connector,) = (await api.data(admin, CALLS))["connectors"]
    assert connector["health"] == "OK" and connector["calls"] == [{"operation": "quote", "ok": True}]


async def test_a_slow_carrier_is_priced_by_the_table_within_the_budget(api, admin, fake):
    fake.quote_seconds = 3.0  # past the 1 s budget
    started = time.perf_counter()
    offered = await options(api)
    assert time.perf_counter() - started < 2.5  # the answer did not wait for the carrier
    table = rules.price(rules.STANDARD, 1000)
    assert offered["cdek", "standard"]["quoted"] is False and offered["cdek", "standard"]["price"] == str(table)
    for _ in range(100):  # its late answer lands in the cache
        if fake.quoted:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    later = await options(api)
    assert later["cdek", "standard"]["quoted"] is True and later["cdek", "standard"]["price"] == "360.00"
    assert len(fake.quotes) == 1


async def test_a_price_in_another_currency_is_not_offered(api, admin, fake):
    fake.currency = "RUB"  # the channel sells in EUR
    offered = await options(api)
    assert offered["cdek", "standard"]["quoted"] is False
    assert offered["cdek", "standard"]["price"] == str(rules.price(rules.STANDARD, 1000))
    assert len(fake.quotes) == 1
