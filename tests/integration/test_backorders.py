"""Backorders that never starve: units freed anywhere wake the orders waiting for them, and a sweep retries
the backorders the free stock can serve, oldest first."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from oms_graph.api.node import decode_id
from oms_graph.db.models import Location, StockLevel
from oms_graph.services.orders import backorders
from oms_graph.services.routing.plan import route_order
from tests.factories import CANCEL_ORDER, SET_STOCK, UPSERT_LOCATIONS, level, location, order_input
from tests.fulfilment_steps import FRANKFURT, REJECT, chain_admin, ok, queue

STATUS = """query($id: ID) { order(id: $id) { status events { type } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


async def place(api, key, name, quantity=1):  # type: ignore[no-untyped-def]
    result = (await api.data(key, "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { "
                             "order { id } errors { code message } } }",
                             {"input": order_input(name, [("SKU-1", quantity, "10")])}))["placeOrder"]  # fmt: skip
    assert result["errors"] == [], result["errors"]
    return result["order"]


async def route(api, order):  # type: ignore[no-untyped-def]
    async with api.db.write() as session:
        await route_order(session, order_id=decode_id(order["id"])[1])


async def status(api, key, order):  # type: ignore[no-untyped-def]
    found = (await api.data(key, STATUS, {"id": order["id"]}))["order"]
    return found["status"], found["events"][-1]["type"]


async def backordered(api, admin, name):  # type: ignore[no-untyped-def]
    """An order for the unit Hamburg had, which a recount then found already taken: BACKORDERED."""
    order = await place(api, admin, name)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 1)]})  # 1 on hand, 1 reserved
    await route(api, order)
    assert await status(api, admin, order) == ("BACKORDERED", "ORDER_BACKORDERED")
    return order


async def test_a_cancellation_wakes_the_backorder_its_units_can_serve(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 2)]})
    first = await place(api, admin, "first")
    await route(api, first)  # holds one of Hamburg's units
    waiting = await backordered(api, admin, "waiting")
    done = (await api.data(admin, CANCEL_ORDER, {"id": first["id"], "reason": "changed mind"}))["cancelOrder"]
    assert done["errors"] == []
    assert await status(api, admin, waiting) == ("PLACED", "ORDER_REQUEUED")
    await route(api, waiting)  # what the routing actor does with ORDER_REQUEUED
    assert (await status(api, admin, waiting))[0] == "ROUTED"


async def test_cancelling_an_order_that_only_held_a_promise_leaves_the_backorders_alone(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 2)]})
    waiting, promised = await place(api, admin, "waiting"), await place(api, admin, "promised")
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 0)]})
    await route(api, waiting)
    assert (await status(api, admin, waiting))[0] == "BACKORDERED"
    done = (await api.data(admin, CANCEL_ORDER, {"id": promised["id"], "reason": "changed mind"}))["cancelOrder"]
    assert done["errors"] == []
    # No shelf got a unit back: requeueing would only route it to BACKORDERED again (and tell the customer).
    assert await status(api, admin, waiting) == ("BACKORDERED", "ORDER_BACKORDERED")


async def test_a_rejection_for_capacity_leaves_the_units_to_the_backorder_waiting_for_them(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 2)]})
    first = await place(api, admin, "first")
    await route(api, first)
    waiting = await backordered(api, admin, "waiting")
    fid = (await queue(api, admin, "WH-HAM"))["edges"][0]["node"]["id"]
    await ok(api, admin, REJECT, id=fid, reason="NO_CAPACITY", note="short of hands")
    # The unit stays on Hamburg's shelf: the waiting order is back in line, the rejected one waits now.
    assert await status(api, admin, waiting) == ("PLACED", "ORDER_REQUEUED")
    assert (await status(api, admin, first))[0] == "BACKORDERED"
    await route(api, waiting)
    assert (await status(api, admin, waiting))[0] == "ROUTED"


async def test_a_location_made_active_again_wakes_the_backorders_of_what_it_holds(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-FRA", 1)]})
    order = await place(api, admin, "k1")
    frankfurt = location("WH-FRA", FRANKFURT, ("SHIP",))
    await api.data(admin, UPSERT_LOCATIONS, {"input": [{**frankfurt, "active": False}]})
    await route(api, order)
    assert (await status(api, admin, order))[0] == "BACKORDERED"
    await api.data(admin, UPSERT_LOCATIONS, {"input": [frankfurt]})
    assert await status(api, admin, order) == ("PLACED", "ORDER_REQUEUED")


async def test_the_sweep_requeues_the_oldest_backorders_the_free_units_can_serve_and_no_other(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 4)]})
    big = await place(api, admin, "big", quantity=2)
    small = await place(api, admin, "small")
    last = await place(api, admin, "last")
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 0)]})
    for order in (big, small, last):
        await route(api, order)
    async with api.db.write() as session:  # a unit turns up that woke no one (stock from before this rule)
        hamburg = await session.scalar(select(Location.id).where(Location.code == "WH-HAM"))
        await session.execute(
            update(StockLevel).where(StockLevel.sku == "SKU-1", StockLevel.location_id == hamburg).values(on_hand=1)
        )
    async with api.db.write() as session:
        assert await backorders.requeue_servable(session, actor="schedule") == 1
    # The big order needs 2 (it waits, with no new event); the older of the two small ones gets the unit.
    assert await status(api, admin, big) == ("BACKORDERED", "ORDER_BACKORDERED")
    assert await status(api, admin, small) == ("PLACED", "ORDER_REQUEUED")
    assert await status(api, admin, last) == ("BACKORDERED", "ORDER_BACKORDERED")
    async with api.db.write() as session:  # nothing more is free: the next sweep changes nothing
        assert await backorders.requeue_servable(session, actor="schedule") == 0
