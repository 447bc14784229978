"""order.routingHistory on both databases: the first routing, a re-route after a rejection, a backorder with
each location considered and why it could not serve, the routing after stock came, a pickup's reservation
and a ship-to-store pickup's transfers, in the order they were made."""

from __future__ import annotations

import pytest

from tests.factories import PLACE_ORDER, SET_STOCK, level, order_input
from tests.fulfilment_steps import REJECT, chain_admin, ok, routed
from tests.transfer_steps import transfers_allowed

HISTORY = """query($id: ID) { order(id: $id) { status fulfilments { id status location { code } }
  routingHistory { kind at actor lines { sku quantity } considered { locationCode reasons } nowhere
    enoughTogether pickupAt transferTo
    decision { profile destination { precision } chosen { allocations { location { code } } } } } } }"""


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


async def history_of(api, admin, order_id):  # type: ignore[no-untyped-def]
    return (await api.data(admin, HISTORY, {"id": order_id}))["order"]


def chosen(entry):  # type: ignore[no-untyped-def]
    return [a["location"]["code"] for a in entry["decision"]["chosen"]["allocations"]]


async def place(api, admin, key, **extra):  # type: ignore[no-untyped-def]
    placed = await api.data(admin, PLACE_ORDER, {"input": order_input(key, [("SKU-1", 2, "10")], **extra)})
    assert placed["placeOrder"]["errors"] == []
    return placed["placeOrder"]["order"]["id"]


async def reject_live(api, admin, order):  # type: ignore[no-untyped-def]
    live = [f for f in order["fulfilments"] if f["status"] == "ASSIGNED"]
    await ok(api, admin, REJECT, id=live[0]["id"], reason="NO_CAPACITY")


async def test_history_keeps_the_route_the_reroute_and_the_backorder_with_reasons(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 2), level("SKU-1", "WH-FRA", 2)]})
    first = await place(api, admin, "a")
    assert await routed(api, first) == "ROUTED"
    await reject_live(api, admin, await history_of(api, admin, first))  # Hamburg gives it back: Frankfurt
    order = await history_of(api, admin, first)
    assert [e["kind"] for e in order["routingHistory"]] == ["ROUTED", "REROUTED"]
    assert [chosen(e) for e in order["routingHistory"]] == [["WH-HAM"], ["WH-FRA"]]
    assert order["routingHistory"][0]["decision"]["destination"]["precision"] == "GIVEN"

    # a second order: Hamburg has 2, Berlin's store 1; Hamburg rejects and nowhere else has 2
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 4), level("SKU-1", "ST-BER", 1)]})
    second = await place(api, admin, "b")
    assert await routed(api, second) == "ROUTED"
    await reject_live(api, admin, await history_of(api, admin, second))
    order = await history_of(api, admin, second)
    assert order["status"] == "BACKORDERED"
    routed_first, backordered = order["routingHistory"]
    assert (routed_first["kind"], chosen(routed_first)) == ("ROUTED", ["WH-HAM"])
    assert backordered["kind"] == "BACKORDERED" and backordered["decision"] is None
    assert backordered["lines"] == [{"sku": "SKU-1", "quantity": 2}]
    reasons = {c["locationCode"]: c["reasons"] for c in backordered["considered"]}
    assert reasons["WH-HAM"] == ["excluded: it gave these units back"]
    assert reasons["ST-BER"] == ["short: SKU-1 1 of 2"]
    assert "WH-FRA" not in reasons  # its units went to the first order
    assert (backordered["nowhere"], backordered["enoughTogether"]) == ([], True)

    # stock comes: the backorder is routed, and that is kept too
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-FRA", 7)]})
    assert await routed(api, second) == "ROUTED"
    order = await history_of(api, admin, second)
    assert [e["kind"] for e in order["routingHistory"]] == ["ROUTED", "BACKORDERED", "ROUTED"]
    assert chosen(order["routingHistory"][-1]) == ["WH-HAM"]  # a new routing: the nearest again, capacity anew
    times = [e["at"] for e in order["routingHistory"]]
    assert times == sorted(times) and all(e["actor"] for e in order["routingHistory"])


async def test_pickups_and_their_transfers_are_in_the_history(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "ST-MUC", 2), level("SKU-1", "WH-HAM", 5)]})
    at_store = await place(api, admin, "p", pickup="ST-MUC")
    assert await routed(api, at_store) == "ROUTED"
    (entry,) = (await history_of(api, admin, at_store))["routingHistory"]
    assert (entry["kind"], entry["pickupAt"], entry["lines"]) == ("ROUTED", "ST-MUC", [{"sku": "SKU-1", "quantity": 2}])

    await transfers_allowed(api, admin)  # the store has none left: its units come from Hamburg
    brought = await place(api, admin, "t", pickup="ST-MUC")
    assert await routed(api, brought) == "ROUTED"
    (entry,) = (await history_of(api, admin, brought))["routingHistory"]
    assert entry["kind"] == "TRANSFERS" and "WH-HAM" in chosen(entry)
