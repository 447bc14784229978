"""Watching the promise on both databases: the sweep flags orders that may miss their promised date, once per
cause (not accepted in time, backordered, supply overdue, a parcel late on the road), clears the flag when
nothing holds them up, and `orders(filter: {atRisk: true})` finds them. Every cause: the domain's test."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from oms_graph.db.base import utcnow
from oms_graph.domain.access import Role
from oms_graph.domain.fulfilment import FulfilmentStatus
from oms_graph.domain.orders import OrderStatus
from oms_graph.domain.promises import Part, RiskCause, causes
from oms_graph.services.orders.promises import watch
from tests.api.test_future_promises import POLICY
from tests.api.test_inbound_supply import UPSERT, supply
from tests.conftest import make_key
from tests.factories import PLACE_ORDER, SET_STOCK, level, order_input
from tests.fulfilment_steps import REJECT, chain_admin, ok, placed_and_routed, shipped

HOUR = timedelta(hours=1)
RISK = """query($id: ID) { order(id: $id) { status promisedDate atRisk riskCauses events { type data } } }"""
AT_RISK = "{ orders(filter: {atRisk: true}) { edges { node { number riskCauses } } } }"


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-2", "WH-HAM", 5)]})
    return key


async def swept(api, at):  # type: ignore[no-untyped-def]
    async with api.db.write() as session:
        return await watch(session, now=at, accept_within=HOUR, actor="schedule")


async def risk(api, admin, order_id):  # type: ignore[no-untyped-def]
    found = (await api.data(admin, RISK, {"id": order_id}))["order"]
    flagged = [e["data"]["causes"] for e in found["events"] if e["type"] == "ORDER_AT_RISK"]
    return found, flagged


async def test_an_order_not_accepted_in_time_is_flagged_once_and_cleared_when_it_moves(api, admin):
    order = await placed_and_routed(api, admin, order_input("k1"))
    assert await swept(api, utcnow()) == 0  # just routed: nothing late
    assert await swept(api, utcnow() + 2 * HOUR) == 1
    assert await swept(api, utcnow() + 3 * HOUR) == 0  # the same cause: flagged once
    found, flagged = await risk(api, admin, order["id"])
    assert (found["atRisk"], found["riskCauses"], flagged) == (True, ["NOT_ACCEPTED"], [["NOT_ACCEPTED"]])
    listed = (await api.data(admin, AT_RISK))["orders"]["edges"]
    assert [e["node"]["number"] for e in listed] == [order["number"]]

    await shipped(api, admin, order["id"])  # taken and on its way: nothing holds it up now
    await swept(api, utcnow() + 2 * HOUR)
    found, _ = await risk(api, admin, order["id"])
    assert (found["atRisk"], found["riskCauses"]) == (False, ["NOT_ACCEPTED"])
    assert (await api.data(admin, AT_RISK))["orders"]["edges"] == []

    # the parcel is still on the road after its date: the carrier is late
    await swept(api, datetime.combine(date.fromisoformat(found["promisedDate"]), datetime.min.time(), UTC) + 30 * HOUR)
    found, flagged = await risk(api, admin, order["id"])
    assert found["atRisk"] and flagged == [["NOT_ACCEPTED"], ["CARRIER_LATE"]]


async def test_a_promised_order_that_goes_backordered_is_flagged(api, admin):
    order = await placed_and_routed(api, admin, order_input("k1", [("SKU-1", 5, "10")]))
    fulfilment = await api.data(admin, RISK.replace("status", "status fulfilments { id }"), {"id": order["id"]})
    fid = fulfilment["order"]["fulfilments"][0]["id"]
    await ok(api, admin, REJECT, id=fid, reason="OUT_OF_STOCK")  # and nowhere else has them
    assert await swept(api, utcnow()) == 1
    found, flagged = await risk(api, admin, order["id"])
    assert found["status"] == "BACKORDERED" and flagged == [["BACKORDERED"]]


async def test_an_order_waiting_for_overdue_supply_is_flagged(api, admin):
    integration = await make_key(api.db, Role.INTEGRATION)
    await api.data(integration, UPSERT, {"input": [supply("PO-9/1", 10, sku="SKU-3", days=1)]})
    await api.data(integration, POLICY, {"input": {"sku": "SKU-3", "policy": "BACKORDER"}})
    placed = await api.data(admin, PLACE_ORDER, {"input": order_input("k1", [("SKU-3", 2, "10")])})
    order_id = placed["placeOrder"]["order"]["id"]
    assert await swept(api, utcnow()) == 0
    assert await swept(api, utcnow() + 2 * timedelta(days=1)) == 1
    _, flagged = await risk(api, admin, order_id)
    assert flagged == [["SUPPLY_OVERDUE"]]


def test_each_cause_of_a_missed_promise():
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    promised = date(2026, 12, 9)

    def of(status=OrderStatus.ROUTED, expected=promised, supply_due_at=None, parts=()):  # type: ignore[no-untyped-def]
        return causes(
            status=status,
            promised=promised,
            expected=expected,
            supply_due_at=supply_due_at,
            parts=parts,
            now=now,
            accept_within=HOUR,
        )

    assert of() == set()
    assert of(status=OrderStatus.BACKORDERED) == {RiskCause.BACKORDERED}
    assert of(status=OrderStatus.AWAITING_SUPPLY, supply_due_at=now - HOUR) == {RiskCause.SUPPLY_OVERDUE}
    assert of(status=OrderStatus.AWAITING_SUPPLY, supply_due_at=now + HOUR) == set()
    assert of(expected=date(2026, 12, 10)) == {RiskCause.LATE}
    late_start = Part(FulfilmentStatus.ASSIGNED, now - 2 * HOUR, promised)
    assert of(parts=[late_start]) == {RiskCause.NOT_ACCEPTED}
    on_road = Part(FulfilmentStatus.SHIPPED, now - 72 * HOUR, date(2026, 12, 6))
    assert of(parts=[on_road]) == {RiskCause.CARRIER_LATE}
    assert of(status=OrderStatus.COMPLETED, parts=[on_road]) == set()  # kept or gone: not watched
    assert (
        causes(
            status=OrderStatus.BACKORDERED,
            promised=None,
            expected=None,
            supply_due_at=None,
            parts=(),
            now=now,
            accept_within=HOUR,
        )
        == set()
    )  # promised nothing: nothing to miss
