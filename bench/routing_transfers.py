"""Routing with transfers, printed as a table. Run on demand:

    .venv/bin/python bench/routing_transfers.py [--rounds 60]

A network of 500 locations (10 warehouses, 490 stores: half ship and hand out, half only hand out) with 10
skus, scattered: each store holds 3 of them, a few units each; the warehouses most of them. On SQLite and on
a throwaway PostgreSQL database, per round a 10-line order is placed, then routed as the routing actor does
(`route_order`: one write transaction, its commit included), and only the routing is timed:

- a ship-to-store pickup at a store that holds none of the cart (its channel allows transfers to pickups):
  the sources are planned by the routing engine over every active location and the transfers written;
- a delivery order to the same area, for comparison: routing without transfers.

Target: p95 < 20 ms for routing with transfers, as for routing without.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace as Input

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import _postgres_database, drop_postgres_database  # noqa: E402
from tests.factories import DEFAULTS, placement_fields, service_chain  # noqa: E402

from oms_graph.db.engine import Database, create_database  # noqa: E402
from oms_graph.db.migrate import upgrade  # noqa: E402
from oms_graph.db.models import Fulfilment, Transfer  # noqa: E402
from oms_graph.domain.access import Principal, Role  # noqa: E402
from oms_graph.domain.catalog import LocationCapability  # noqa: E402
from oms_graph.services.orders import placement  # noqa: E402
from oms_graph.services.routing.plan import route_order  # noqa: E402
from oms_graph.services.routing.profiles import update_routing_profile  # noqa: E402
from oms_graph.services.stock import levels as stock  # noqa: E402

LOCATIONS, WAREHOUSES = 500, 10
SKUS = [f"S-{i}" for i in range(10)]
SHIP, PICKUP = LocationCapability.SHIP, LocationCapability.PICKUP
ADMIN = Principal(key_id=uuid.uuid4(), name="bench", role=Role.ADMIN)


def network(rng: random.Random) -> tuple[list[tuple[str, float, float, list[LocationCapability]]], list[Input]]:
    """(locations, stock levels) of the scattered network; the pickup-only stores hold nothing."""
    locations, levels = [], []
    for i in range(LOCATIONS):
        code = f"L-{i:03d}"
        lat, lon = 47.5 + rng.random() * 7, 6 + rng.random() * 9
        if i < WAREHOUSES:
            locations.append((code, lat, lon, [SHIP]))
            levels += [Input(sku=s, location_code=code, on_hand=rng.randint(0, 60), safety_stock=0) for s in SKUS]
        elif i % 2:
            locations.append((code, lat, lon, [SHIP, PICKUP]))
            levels += [
                Input(sku=s, location_code=code, on_hand=rng.randint(1, 4), safety_stock=0) for s in rng.sample(SKUS, 3)
            ]
        else:
            locations.append((code, lat, lon, [PICKUP]))
    return locations, levels


async def build(db: Database) -> list[str]:
    """The network and its stock; the pickup-only stores' codes."""
    rng = random.Random(11)
    locations, levels = network(rng)
    async with db.write() as session:
        await service_chain(session, locations=locations, skus=SKUS, weight_grams=400)
        profile = Input(
            channel="web",
            distance_weight=1.0,
            cost_weight=1.0,
            priority_weight=0.5,
            split_penalty=5.0,
            max_splits=5,
            allow_ship_from_store=True,
            allow_transfer_to_pickup=True,
        )
        await update_routing_profile(session, profile=profile)
        for start in range(0, len(levels), 500):
            await stock.set_stock_levels(session, inputs=levels[start : start + 500], actor="bench")
    return [code for code, _, _, caps in locations if caps == [PICKUP]]


async def routed(db: Database, rng: random.Random, n: int, pickup: str | None) -> tuple[float, str, int]:
    """Place a 10-line order (a pickup at `pickup`, else a delivery), then route it; (ms to route, its status,
    transfers or fulfilments made)."""
    lines = [(sku, rng.randint(1, 2), "1") for sku in SKUS]
    async with db.write() as session:
        order = await placement.place_order(
            session, order=placement_fields(f"b{n}", lines, pickup), principal=ADMIN, settings=DEFAULTS
        )
    started = time.perf_counter()
    async with db.write() as session:
        done = await route_order(session, order_id=order.id)
    elapsed = (time.perf_counter() - started) * 1000
    async with db.read() as session:
        parts = (
            await session.scalar(select(func.count()).select_from(Transfer).where(Transfer.order_id == order.id))
            if pickup
            else await session.scalar(
                select(func.count()).select_from(Fulfilment).where(Fulfilment.order_id == order.id)
            )
        )
    return elapsed, str(done.status if done else "?"), int(parts or 0)


async def measure(url: str, rounds: int) -> list[tuple[str, ...]]:
    db = create_database(url)
    try:
        await upgrade(db)
        shops = await build(db)
        rng = random.Random(5)
        rows = []
        for label, pickup in (("ship-to-store pickup (transfers)", True), ("delivery (no transfers)", False)):
            times, parts, statuses = [], [], []
            for n in range(rounds):
                ms, status, made = await routed(
                    db, rng, n + (0 if pickup else rounds), rng.choice(shops) if pickup else None
                )
                times.append(ms)
                statuses.append(status)
                parts.append(made)
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            routed_share = statuses.count("ROUTED")
            rows.append(
                (
                    label,
                    f"{statistics.median(times):.1f} ms",
                    f"{p95:.1f} ms",
                    f"{statistics.mean(parts):.1f}",
                    f"{routed_share}/{rounds}",
                    "p95 < 20 ms",
                )
            )
        return rows
    finally:
        await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    table = [("database", "10 lines, 500 locations", "p50", "p95", "sources or fulfilments", "routed", "target")]
    with tempfile.TemporaryDirectory() as folder:
        for row in await measure(f"sqlite+aiosqlite:///{folder}/bench.db", args.rounds):
            table.append(("SQLite", *row))
    url = await _postgres_database()
    if url is None:
        print("PostgreSQL unreachable: its rows are left out")
    else:
        try:
            for row in await measure(url, args.rounds):
                table.append(("PostgreSQL", *row))
        finally:
            await drop_postgres_database(url)
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for i, row in enumerate(table):
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if i == 0:
            print(" | ".join("-" * w for w in widths))


if __name__ == "__main__":
    asyncio.run(main())
