"""No amount of concurrency sells a unit that is not there (to an order or a transfer), and every loser hears
INSUFFICIENT_STOCK."""

from __future__ import annotations

import asyncio
import random

import pytest
from sqlalchemy import select

from oms_graph.db.models import Order, Product, StockLevel
from oms_graph.domain.access import Role
from oms_graph.services.routing.plan import route_order
from tests.conftest import make_key
from tests.factories import PLACE_ORDER, SET_STOCK, atp, level, order_input, small_chain
from tests.transfer_steps import CREATE, attempt, transfers_allowed


@pytest.fixture
async def keys(api):  # type: ignore[no-untyped-def]
    admin = await make_key(api.db, Role.ADMIN)
    await small_chain(api, admin)
    return {"admin": admin, "web": await make_key(api.db, Role.STOREFRONT, channel="web")}


async def race(api, key, orders):  # type: ignore[no-untyped-def]
    """Place every order at once; (placed, insufficient) counts. Anything else fails the test."""

    async def one(order):  # type: ignore[no-untyped-def]
        body = await api.run(key, PLACE_ORDER, {"input": order})
        assert not body.get("errors"), body["errors"]
        result = body["data"]["placeOrder"]
        if result["order"]:
            return True
        assert {e["code"] for e in result["errors"]} == {"INSUFFICIENT_STOCK"}, result["errors"]
        return False

    outcomes = await asyncio.gather(*(one(o) for o in orders))
    return sum(outcomes), len(outcomes) - sum(outcomes)


async def counters(db, sku):  # type: ignore[no-untyped-def]
    async with db.read() as session:
        promised = await session.scalar(select(Product.promised).where(Product.sku == sku))
        reserved = await session.scalar(select(StockLevel.reserved).where(StockLevel.sku == sku))
    return promised, reserved


async def test_two_hundred_buyers_for_the_last_ten_units(api, keys):
    await api.data(keys["admin"], SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10)]})
    placed, refused = await race(api, keys["web"], [order_input(f"buyer-{i}") for i in range(200)])
    assert (placed, refused) == (10, 190)
    assert await atp(api, keys["admin"], "SKU-1") == 0
    assert await counters(api.db, "SKU-1") == (10, 0)


async def test_three_sku_orders_in_random_sku_order_neither_deadlock_nor_oversell(api, keys):
    await api.data(
        keys["admin"],
        SET_STOCK,
        {
            "input": [
                level("SKU-1", "WH-HAM", 10),
                level("SKU-2", "ST-BER", 10),
                level("SKU-3", "WH-HAM", 10),
            ]
        },
    )
    rng = random.Random(3)
    orders = []
    for i in range(60):
        lines = [("SKU-1", 1, "1"), ("SKU-2", 1, "1"), ("SKU-3", 1, "1")]
        rng.shuffle(lines)
        orders.append(order_input(f"basket-{i}", lines))
    placed, refused = await race(api, keys["web"], orders)
    assert (placed, refused) == (10, 50)
    for sku in ("SKU-1", "SKU-2", "SKU-3"):
        assert await atp(api, keys["admin"], sku) == 0
        assert (await counters(api.db, sku))[0] == 10


async def test_a_pickup_race_on_one_stores_last_units(api, keys):
    await api.data(keys["admin"], SET_STOCK, {"input": [level("SKU-2", "ST-MUC", 5)]})
    orders = [order_input(f"collect-{i}", [("SKU-2", 1, "1")], pickup="ST-MUC") for i in range(50)]
    placed, refused = await race(api, keys["web"], orders)
    assert (placed, refused) == (5, 45)
    assert await counters(api.db, "SKU-2") == (0, 5)


async def test_deliveries_and_pickups_racing_for_a_shipping_stores_units_share_them(api, keys):
    await api.data(keys["admin"], SET_STOCK, {"input": [level("SKU-3", "ST-BER", 6)]})
    orders = [order_input(f"mixed-{i}", [("SKU-3", 1, "1")], pickup="ST-BER" if i % 2 else None) for i in range(40)]
    placed, refused = await race(api, keys["web"], orders)
    promised, reserved = await counters(api.db, "SKU-3")
    assert placed == 6 == promised + reserved and refused == 34
    assert await atp(api, keys["admin"], "SKU-3") == 0


async def test_placements_and_transfers_racing_for_a_warehouses_units_never_oversell(api, keys):
    admin = keys["admin"]
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10)]})
    await transfers_allowed(api, admin)
    request = {"from": "WH-HAM", "to": "ST-BER", "lines": [{"sku": "SKU-1", "quantity": 1}], "reason": "refill"}

    async def transfer():  # type: ignore[no-untyped-def]
        done = await attempt(api, admin, CREATE, input=request)
        assert done["transfer"] or {e["code"] for e in done["errors"]} == {"INSUFFICIENT_STOCK"}, done
        return done["transfer"] is not None

    deliveries = [order_input(f"d-{i}") for i in range(20)]
    pickups = [order_input(f"p-{i}", [("SKU-1", 1, "1")], pickup="ST-MUC") for i in range(10)]  # by transfer
    (placed, _), (collected, _), *moved = await asyncio.gather(
        race(api, keys["web"], deliveries), race(api, keys["web"], pickups), *(transfer() for _ in range(20))
    )
    assert placed + collected + sum(moved) == 10  # every unit once, to an order or a transfer
    promised, reserved = await counters(api.db, "SKU-1")
    assert (promised, reserved) == (placed + collected, sum(moved)) and await atp(api, admin, "SKU-1") == 0

    # routing the pickups (their transfers reserve the promised units) races more transfers: none gets through
    async with api.db.read() as session:
        waiting = list(await session.scalars(select(Order.id).where(Order.pickup_location_id.is_not(None))))
    late = await asyncio.gather(*(route(api, order_id) for order_id in waiting), *(transfer() for _ in range(10)))
    assert late[len(waiting) :] == [False] * 10
    assert set(late[: len(waiting)]) <= {"ROUTED"}
    assert await counters(api.db, "SKU-1") == (placed, 10 - placed)


async def route(api, order_id):  # type: ignore[no-untyped-def]
    async with api.db.write() as session:
        await route_order(session, order_id=order_id)
    async with api.db.read() as session:
        return await session.scalar(select(Order.status).where(Order.id == order_id))
