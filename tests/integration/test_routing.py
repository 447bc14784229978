"""Routing a placed order: reservations at the chosen locations, fulfilments, the decision, the events."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from oms_graph.api.node import decode_id
from oms_graph.db.models import Fulfilment, FulfilmentLine, Location, Product, StockLevel
from oms_graph.domain.access import Role
from oms_graph.services.routing.plan import route_order
from tests.conftest import make_key
from tests.factories import (
    CANCEL_ORDER,
    HOLD_ORDER,
    PLACE_ORDER,
    RELEASE_ORDER,
    SET_STOCK,
    UPSERT_LOCATIONS,
    atp,
    level,
    location,
    order_input,
    small_chain,
)

ROUTING = """query($id: ID) { order(id: $id) { status events { type data }
  routing { profile decidedAt chosen { score factors { name value weight }
    allocations { location { code } lines { sku quantity } distanceKm cost } }
    alternatives { score allocations { location { code } } } } } }"""
FRANKFURT = (50.11, 8.68)


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await make_key(api.db, Role.ADMIN)
    await small_chain(api, key)
    await api.data(key, UPSERT_LOCATIONS, {"input": [location("WH-FRA", FRANKFURT, ("SHIP",))]})
    return key


async def place(api, key, order):  # type: ignore[no-untyped-def]
    result = (await api.data(key, PLACE_ORDER, {"input": order}))["placeOrder"]
    assert result["errors"] == [], result["errors"]
    return result["order"]


async def route(api, order):  # type: ignore[no-untyped-def]
    async with api.db.write() as session:
        return await route_order(session, order_id=decode_id(order["id"])[1])


async def fulfilments(api, order):  # type: ignore[no-untyped-def]
    async with api.db.read() as session:
        rows = await session.execute(
            select(Location.code, Fulfilment.status, FulfilmentLine.sku, FulfilmentLine.quantity)
            .join(Fulfilment, Fulfilment.location_id == Location.id)
            .join(FulfilmentLine, FulfilmentLine.fulfilment_id == Fulfilment.id)
            .where(Fulfilment.order_id == decode_id(order["id"])[1])
            .order_by(Location.code, FulfilmentLine.sku)
        )
        return [tuple(r) for r in rows]


async def counters(api, sku):  # type: ignore[no-untyped-def]
    """(units still only promised: `promised` less what routing reserved, reserved per location)."""
    from sqlalchemy import func

    async with api.db.read() as session:
        promised = await session.scalar(select(Product.promised).where(Product.sku == sku))
        promised -= await session.scalar(
            select(func.coalesce(func.sum(StockLevel.routed), 0)).where(StockLevel.sku == sku)
        )
        reserved = dict(
            (
                await session.execute(
                    select(Location.code, StockLevel.reserved).join(Location).where(StockLevel.sku == sku)
                )
            ).all()
        )
    return promised, reserved


async def test_a_placed_order_is_routed_to_the_nearest_location_with_stock_and_explained(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-1", "WH-FRA", 5)]})
    order = await place(api, admin, order_input("k1", [("SKU-1", 2, "10")]))  # to Berlin: Hamburg is nearer
    assert await atp(api, admin, "SKU-1") == 8
    await route(api, order)
    assert await fulfilments(api, order) == [("WH-HAM", "ASSIGNED", "SKU-1", 2)]
    assert await counters(api, "SKU-1") == (0, {"WH-HAM": 2, "WH-FRA": 0})
    assert await atp(api, admin, "SKU-1") == 8  # a promise turned into a reservation: still taken once
    routed = (await api.data(admin, ROUTING, {"id": order["id"]}))["order"]
    assert routed["status"] == "ROUTED"
    assert [e["type"] for e in routed["events"]] == ["ORDER_PLACED", "ORDER_ROUTED"]
    assert routed["events"][-1]["data"]["fulfilments"] == [{"location": "WH-HAM", "lines": {"SKU-1": 2}}]
    decision = routed["routing"]
    assert decision["profile"] == "web"
    [allocation] = decision["chosen"]["allocations"]
    assert allocation["location"]["code"] == "WH-HAM" and allocation["lines"] == [{"sku": "SKU-1", "quantity": 2}]
    assert 240 < allocation["distanceKm"] < 270
    assert {f["name"] for f in decision["chosen"]["factors"]} == {"distance", "cost", "priority", "splits"}
    assert [a["allocations"][0]["location"]["code"] for a in decision["alternatives"]] == ["WH-FRA"]
    assert decision["alternatives"][0]["score"] > decision["chosen"]["score"]


async def test_routing_twice_routes_once(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await place(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    await route(api, order)
    await route(api, order)
    assert await fulfilments(api, order) == [("WH-HAM", "ASSIGNED", "SKU-1", 2)]
    assert await counters(api, "SKU-1") == (0, {"WH-HAM": 2})


async def test_a_batch_routes_the_waiting_orders_oldest_first_against_the_stock_the_earlier_ones_left(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 3), level("SKU-1", "WH-FRA", 2)]})
    first = await place(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    held = await place(api, admin, order_input("k2", [("SKU-1", 1, "10")]))
    await api.data(admin, HOLD_ORDER, {"id": held["id"], "reason": "fraud check"})
    second = await place(api, admin, order_input("k3", [("SKU-1", 2, "10")]))
    async with api.db.write() as session:  # the message of the newest order routes the waiting ones too
        await route_order(session, order_id=decode_id(second["id"])[1], batch=10)
    assert await fulfilments(api, first) == [("WH-HAM", "ASSIGNED", "SKU-1", 2)]
    assert await fulfilments(api, second) == [("WH-FRA", "ASSIGNED", "SKU-1", 2)]  # Hamburg has 1 left
    assert await fulfilments(api, held) == []
    assert await counters(api, "SKU-1") == (1, {"WH-HAM": 2, "WH-FRA": 2})  # the held order's unit
    events = (await api.data(admin, ROUTING, {"id": first["id"]}))["order"]["events"]
    assert [e["type"] for e in events] == ["ORDER_PLACED", "ORDER_ROUTED"]
    await route(api, first)  # its own message comes later and finds it routed
    assert await fulfilments(api, first) == [("WH-HAM", "ASSIGNED", "SKU-1", 2)]


async def test_routing_does_not_wait_for_the_product_rows_placements_lock(api, admin, database):
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer: there is no row lock to get past")
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await place(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    async with api.db.engine.connect() as placing:  # a placement of SKU-1 holding its product row
        await placing.execute(select(Product.sku).where(Product.sku == "SKU-1").with_for_update())
        await asyncio.wait_for(route(api, order), timeout=10)
        await placing.rollback()
    assert await fulfilments(api, order) == [("WH-HAM", "ASSIGNED", "SKU-1", 2)]
    assert await counters(api, "SKU-1") == (0, {"WH-HAM": 2})


async def test_reservations_of_a_plan_are_all_or_nothing(api, admin):
    from collections import Counter

    from oms_graph.db.base import utcnow
    from oms_graph.services.stock import ledger

    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-2", "WH-HAM", 1)]})
    async with api.db.write() as session:
        hamburg = await session.scalar(select(Location.id).where(Location.code == "WH-HAM"))
        units = Counter({("SKU-1", hamburg): 2, ("SKU-2", hamburg): 2})  # SKU-2 has 1: taken meanwhile
        assert await ledger.route(session, units=units, channels={}, at=utcnow()) is False
    assert await counters(api, "SKU-1") == (0, {"WH-HAM": 0})
    assert await counters(api, "SKU-2") == (0, {"WH-HAM": 0})


async def test_a_held_order_waits_and_is_routed_once_released(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await place(api, admin, order_input("k1", [("SKU-1", 1, "10")]))
    await api.data(admin, HOLD_ORDER, {"id": order["id"], "reason": "fraud check"})
    await route(api, order)
    assert await fulfilments(api, order) == []
    await api.data(admin, RELEASE_ORDER, {"id": order["id"]})
    await route(api, order)
    assert await fulfilments(api, order) == [("WH-HAM", "ASSIGNED", "SKU-1", 1)]


async def test_an_order_no_single_location_can_serve_is_split(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-2", "WH-FRA", 5)]})
    order = await place(api, admin, order_input("k1", [("SKU-1", 1, "10"), ("SKU-2", 2, "10")]))
    await route(api, order)
    assert await fulfilments(api, order) == [("WH-FRA", "ASSIGNED", "SKU-2", 2), ("WH-HAM", "ASSIGNED", "SKU-1", 1)]


async def test_a_pickup_order_is_fulfilled_at_its_store_with_the_stock_it_reserved(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-2", "ST-MUC", 3)]})
    order = await place(api, admin, order_input("k1", [("SKU-2", 2, "10")], pickup="ST-MUC"))
    await route(api, order)
    assert await fulfilments(api, order) == [("ST-MUC", "ASSIGNED", "SKU-2", 2)]
    assert await counters(api, "SKU-2") == (0, {"ST-MUC": 2})


async def test_an_order_whose_stock_vanished_is_backordered_and_keeps_its_promise(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 2)]})
    order = await place(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 1)]})  # a recount comes in lower
    await route(api, order)
    routed = (await api.data(admin, ROUTING, {"id": order["id"]}))["order"]
    assert routed["status"] == "BACKORDERED" and routed["routing"] is None
    assert routed["events"][-1] == {
        "type": "ORDER_BACKORDERED",
        "data": {"number": routed["events"][0]["data"]["number"], "lines": {"SKU-1": 2}},
    }
    assert await counters(api, "SKU-1") == (2, {"WH-HAM": 0})


async def test_cancelling_a_routed_order_gives_the_reservations_back(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await place(api, admin, order_input("k1", [("SKU-1", 3, "10")]))
    await route(api, order)
    done = (await api.data(admin, CANCEL_ORDER, {"id": order["id"], "reason": "customer called"}))["cancelOrder"]
    assert done["errors"] == [] and done["order"]["status"] == "CANCELLED"
    assert await fulfilments(api, order) == [("WH-HAM", "CANCELLED", "SKU-1", 3)]
    assert await counters(api, "SKU-1") == (0, {"WH-HAM": 0})
    assert await atp(api, admin, "SKU-1") == 5


async def test_stock_arriving_requeues_backordered_orders_of_that_sku_oldest_first(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 4)]})
    first = await place(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    second = await place(api, admin, order_input("k2", [("SKU-1", 2, "10")]))
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 0)]})  # the shelf was empty
    await route(api, first)
    await route(api, second)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 3)]})  # a delivery comes in
    events = []
    for order in (first, second):
        data = (await api.data(admin, ROUTING, {"id": order["id"]}))["order"]
        assert data["status"] == "PLACED"
        events.append([e["type"] for e in data["events"]])
    assert events[0] == ["ORDER_PLACED", "ORDER_BACKORDERED", "ORDER_REQUEUED"]
    await route(api, first)  # what the relay's actor does, oldest first
    await route(api, second)
    statuses = [(await api.data(admin, ROUTING, {"id": o["id"]}))["order"]["status"] for o in (first, second)]
    assert statuses == ["ROUTED", "BACKORDERED"]  # 3 units: enough for the older order only
    assert await counters(api, "SKU-1") == (2, {"WH-HAM": 2})


async def reject(api, order, location_code):  # type: ignore[no-untyped-def]
    """What a rejection does before it re-routes: the fulfilment is REJECTED and its reservation released
    (its units are a promise again)."""
    from sqlalchemy import update

    async with api.db.write() as session:
        location_id = await session.scalar(select(Location.id).where(Location.code == location_code))
        fulfilment_id = await session.scalar(
            select(Fulfilment.id).where(
                Fulfilment.order_id == decode_id(order["id"])[1], Fulfilment.location_id == location_id
            )
        )
        for sku, quantity in await session.execute(
            select(FulfilmentLine.sku, FulfilmentLine.quantity).where(FulfilmentLine.fulfilment_id == fulfilment_id)
        ):
            await session.execute(
                update(StockLevel)
                .where(StockLevel.sku == sku, StockLevel.location_id == location_id)
                .values(reserved=StockLevel.reserved - quantity, routed=StockLevel.routed - quantity)
            )
        await session.execute(update(Fulfilment).where(Fulfilment.id == fulfilment_id).values(status="REJECTED"))
    return location_id


async def test_rerouting_sends_the_units_elsewhere_never_back_to_the_excluded_location(api, admin):
    from oms_graph.services.routing.plan import reroute

    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-1", "WH-FRA", 5)]})
    order = await place(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    await route(api, order)
    hamburg = await reject(api, order, "WH-HAM")
    async with api.db.write() as session:
        await reroute(session, order_id=decode_id(order["id"])[1], exclude=[hamburg])
    assert await fulfilments(api, order) == [("WH-FRA", "ASSIGNED", "SKU-1", 2), ("WH-HAM", "REJECTED", "SKU-1", 2)]
    assert await counters(api, "SKU-1") == (0, {"WH-HAM": 0, "WH-FRA": 2})
    routed = (await api.data(admin, ROUTING, {"id": order["id"]}))["order"]
    assert routed["status"] == "ROUTED" and routed["events"][-1]["type"] == "ORDER_REROUTED"


async def test_units_nowhere_else_become_a_backorder_promised_again(api, admin):
    from oms_graph.services.routing.plan import reroute

    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    order = await place(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    await route(api, order)
    hamburg = await reject(api, order, "WH-HAM")
    async with api.db.write() as session:
        await reroute(session, order_id=decode_id(order["id"])[1], exclude=[hamburg])
    routed = (await api.data(admin, ROUTING, {"id": order["id"]}))["order"]
    assert routed["status"] == "BACKORDERED"
    assert await counters(api, "SKU-1") == (2, {"WH-HAM": 0})  # promised again, to be requeued when stock comes


async def test_rerouting_a_backordered_order_turns_its_promise_into_reservations(api, admin):
    from sqlalchemy import update

    from oms_graph.services.routing.plan import reroute

    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 2), level("SKU-1", "WH-FRA", 0)]})
    order = await place(api, admin, order_input("k1", [("SKU-1", 2, "10")]))
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 0)]})
    await route(api, order)
    async with api.db.write() as session:  # stock appears without a sync (so nothing requeues the order)
        frankfurt = await session.scalar(select(Location.id).where(Location.code == "WH-FRA"))
        await session.execute(update(StockLevel).where(StockLevel.location_id == frankfurt).values(on_hand=2))
    async with api.db.write() as session:
        await reroute(session, order_id=decode_id(order["id"])[1], exclude=[])
    assert (await api.data(admin, ROUTING, {"id": order["id"]}))["order"]["status"] == "ROUTED"
    assert await counters(api, "SKU-1") == (0, {"WH-HAM": 0, "WH-FRA": 2})


async def test_cancelling_a_partly_routed_backordered_order_releases_both_its_reservations_and_its_promise(api, admin):
    from oms_graph.services.routing.plan import reroute

    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-2", "WH-FRA", 5)]})
    order = await place(api, admin, order_input("k1", [("SKU-1", 1, "10"), ("SKU-2", 2, "10")]))
    await route(api, order)
    frankfurt = await reject(api, order, "WH-FRA")
    async with api.db.write() as session:
        await reroute(session, order_id=decode_id(order["id"])[1], exclude=[frankfurt])
    assert await counters(api, "SKU-1") == (0, {"WH-HAM": 1})
    assert await counters(api, "SKU-2") == (2, {"WH-FRA": 0})  # BACKORDERED: the rejected units are promised
    done = (await api.data(admin, CANCEL_ORDER, {"id": order["id"], "reason": "too slow"}))["cancelOrder"]
    assert done["errors"] == [] and done["order"]["status"] == "CANCELLED"
    assert await counters(api, "SKU-1") == (0, {"WH-HAM": 0})
    assert await counters(api, "SKU-2") == (0, {"WH-FRA": 0})
