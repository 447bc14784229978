"""What-if routing on both databases: a period's orders replayed under the strategy that routed them go where
they really went; under a candidate "warehouses only" strategy they go to Hamburg, with the figures worked
out here by hand; the job reports its progress, its CSV lists every order, and bad requests are refused."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from oms_graph.api.node import decode_id
from oms_graph.db.base import utcnow
from oms_graph.db.models import RoutingSimulation
from oms_graph.domain.access import Role
from oms_graph.domain.geo import distance_km
from oms_graph.services.routing import simulation
from tests.conftest import make_key
from tests.factories import BERLIN, BERLIN_ADDRESS, HAMBURG, PLACE_ORDER, SET_STOCK, level, order_input
from tests.fulfilment_steps import chain_admin, routed

GROUPS = """mutation($input: [LocationGroupInput!]!) { upsertLocationGroups(input: $input) { errors { code } } }"""
SIMULATE = """mutation($input: RoutingSimulationInput!) { simulateRouting(input: $input) {
  simulation { id status total done csvUrl } errors { code field message } } }"""
FIGURES = (
    "orders unsplit splits averageKm p95Km deliveryCost shipFromStoreShare capacityOverruns backorders sameAsActual"
)
FOLLOW = f"""query($id: ID!) {{ routingSimulation(id: $id) {{ status total done error
  actual {{ {FIGURES} }} candidate {{ {FIGURES} }} }} }}"""
WAREHOUSES_ONLY = [{"name": "warehouses only", "effect": {"allowGroups": ["WAREHOUSES"]}}]


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 50), level("SKU-1", "ST-BER", 50)]})
    groups = [{"code": "WAREHOUSES", "name": "Warehouses", "locationCodes": ["WH-HAM", "WH-FRA"]}]
    assert (await api.data(key, GROUPS, {"input": groups}))["upsertLocationGroups"]["errors"] == []
    return key


def period(**extra):  # type: ignore[no-untyped-def]
    now = utcnow()
    return {
        "input": {
            "channel": "web",
            "from": (now - timedelta(hours=1)).isoformat(),
            "to": (now + timedelta(hours=1)).isoformat(),
            "rules": WAREHOUSES_ONLY,
            **extra,
        }
    }


async def test_a_replay_goes_where_orders_went_and_a_candidate_is_figured(api, admin):
    for n in range(6):
        placed = await api.data(admin, PLACE_ORDER, {"input": order_input(f"o{n}", [("SKU-1", 2, "10")])})
        assert await routed(api, placed["placeOrder"]["order"]["id"]) == "ROUTED"  # the Berlin store, nearest
    analyst = await make_key(api.db, Role.ANALYST)
    started = (await api.data(analyst, SIMULATE, period()))["simulateRouting"]
    assert started["errors"] == [] and started["simulation"]["status"] == "QUEUED"
    sim_id = started["simulation"]["id"]
    await simulation.run(api.db, simulation_id=decode_id(sim_id)[1])  # what the worker does

    found = (await api.data(analyst, FOLLOW, {"id": sim_id}))["routingSimulation"]
    assert (found["status"], found["total"], found["done"], found["error"]) == ("DONE", 6, 6, None)
    at = (BERLIN_ADDRESS["latitude"], BERLIN_ADDRESS["longitude"])
    store_km, hamburg_km = distance_km(*BERLIN, *at), distance_km(*HAMBURG, *at)
    assert found["actual"] == {
        "orders": 6,
        "unsplit": 6,
        "splits": 0,
        "averageKm": round(store_km, 1),
        "p95Km": round(store_km, 1),
        "deliveryCost": found["actual"]["deliveryCost"],
        "shipFromStoreShare": 1.0,
        "capacityOverruns": 0,
        "backorders": 0,
        "sameAsActual": 6,  # the replay under the strategy that routed them is what happened
    }
    candidate = found["candidate"]
    assert (candidate["orders"], candidate["unsplit"], candidate["sameAsActual"]) == (6, 6, 0)
    assert candidate["averageKm"] == candidate["p95Km"] == round(hamburg_km, 1)  # ~255 km, every order
    assert (candidate["shipFromStoreShare"], candidate["backorders"]) == (0.0, 0)
    assert candidate["deliveryCost"] > found["actual"]["deliveryCost"]

    # the CSV: the figures side by side, then every order as recorded and in each replay
    exported = await api.client.get(started["simulation"]["csvUrl"], headers={"Authorization": f"Bearer {analyst}"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["figure", "actual", "candidate"] and ["sameAsActual", "6", "0"] in rows
    per_order = rows[rows.index(["order", "recorded", "actual", "candidate"]) + 1 :]
    assert len(per_order) == 6 and {tuple(r[1:]) for r in per_order} == {("ST-BER", "ST-BER", "WH-HAM")}
    # a run that failed half-way is run again from the start: no order twice
    async with api.db.write() as session:
        (await session.get_one(RoutingSimulation, decode_id(sim_id)[1])).status = "FAILED"
    await simulation.run(api.db, simulation_id=decode_id(sim_id)[1])
    again = await api.client.get(started["simulation"]["csvUrl"], headers={"Authorization": f"Bearer {analyst}"})
    assert again.text == exported.text
    store = await make_key(api.db, Role.STORE, location="ST-BER")
    denied = await api.client.get(started["simulation"]["csvUrl"], headers={"Authorization": f"Bearer {store}"})
    assert denied.status_code == 403


async def test_a_replay_runs_out_of_stock_as_it_stood(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 3)]})  # Hamburg holds 3 now
    for n in range(3):
        placed = await api.data(admin, PLACE_ORDER, {"input": order_input(f"o{n}", [("SKU-1", 2, "10")])})
        assert await routed(api, placed["placeOrder"]["order"]["id"]) == "ROUTED"
    started = (await api.data(admin, SIMULATE, period()))["simulateRouting"]["simulation"]
    await simulation.run(api.db, simulation_id=decode_id(started["id"])[1])
    candidate = (await api.data(admin, FOLLOW, {"id": started["id"]}))["routingSimulation"]["candidate"]
    assert (candidate["orders"], candidate["backorders"]) == (3, 2)  # 3 at Hamburg: one order of 2, then none


async def test_bad_simulations_are_refused(api, admin):
    now = utcnow()
    cases = [
        (period(channel="nope"), "UNKNOWN_CHANNEL", ["input", "channel"]),
        (period(to=(now - timedelta(hours=2)).isoformat()), "INVALID_INPUT", ["input", "to"]),
        (period(to=(now + timedelta(days=100)).isoformat()), "INVALID_INPUT", ["input", "to"]),
        (
            period(rules=[{"name": "x", "effect": {"allowGroups": ["NOPE"]}}]),
            "UNKNOWN_LOCATION",
            ["input", "rules", "0", "effect", "allowGroups"],
        ),
    ]
    for variables, code, field in cases:
        errors = (await api.data(admin, SIMULATE, variables))["simulateRouting"]["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [(code, field)], errors
    storefront = await make_key(api.db, Role.STOREFRONT, channel="web")
    assert (await api.run(storefront, SIMULATE, period()))["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
