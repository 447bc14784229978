"""Availability with dates, printed as a table. Run on demand:

    .venv/bin/python bench/availability_dates.py [--rounds 60]

A network of 200 locations that ship and 50 skus, each held at about a third of the locations, with two
open inbound supplies per sku. On a throwaway
PostgreSQL database (and SQLite for comparison), the `availability` query's work for 50 skus near a point
with a quantity (the network figures and locations nearest first, what is on its way, and the earliest date
per sku) is timed in one read transaction, as the resolver runs it, without HTTP.

The same work without the dates is timed beside it. Target: p50 < 30 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace as Input

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import _postgres_database, drop_postgres_database  # noqa: E402
from tests.factories import service_chain  # noqa: E402

from oms_graph.db.base import utcnow  # noqa: E402
from oms_graph.db.engine import Database, create_database  # noqa: E402
from oms_graph.db.migrate import upgrade  # noqa: E402
from oms_graph.domain.catalog import LocationCapability  # noqa: E402
from oms_graph.domain.supply import SupplyKind  # noqa: E402
from oms_graph.services import supply  # noqa: E402
from oms_graph.services.stock import availability as network  # noqa: E402
from oms_graph.services.stock import levels as stock  # noqa: E402
from oms_graph.services.stock.arrivals import dated  # noqa: E402

LOCATIONS, SKUS = 200, [f"P-{i:02d}" for i in range(50)]


async def build(db: Database) -> None:
    rng = random.Random(3)
    locations = [
        (f"L-{i:03d}", 47.5 + rng.random() * 7, 6 + rng.random() * 9, [LocationCapability.SHIP])
        for i in range(LOCATIONS)
    ]
    levels = [
        Input(sku=sku, location_code=code, on_hand=rng.randint(0, 30), safety_stock=0)
        for code, *_ in locations
        for sku in SKUS
        if rng.random() < 0.33
    ]
    due = [
        Input(
            external_id=f"PO-{sku}-{n}",
            kind=SupplyKind.PURCHASE_ORDER,
            location_code=rng.choice(locations)[0],
            sku=sku,
            quantity=rng.randint(10, 100),
            expected_at=utcnow() + timedelta(days=rng.randint(1, 20)),
            note=None,
        )
        for sku in SKUS
        for n in range(2)
    ]
    async with db.write() as session:
        await service_chain(session, locations=locations, skus=SKUS)
        for start in range(0, len(levels), 500):
            await stock.set_stock_levels(session, inputs=levels[start : start + 500], actor="bench")
        await supply.upsert_inbound_supply(session, inputs=due, actor="bench")


async def measure(url: str, rounds: int) -> list[tuple[str, float, float]]:
    db = create_database(url)
    try:
        await upgrade(db)
        await build(db)
        return [(label, *await timed(db, rounds, dates)) for label, dates in (("with dates", True), ("without", False))]
    finally:
        await db.dispose()


async def timed(db: Database, rounds: int, dates: bool) -> tuple[float, float]:
    """p50 and p95 ms of the query's work, with the dates or (for comparison) without."""
    times = []
    for n in range(rounds + 5):
        started = time.perf_counter()
        async with db.read() as session:
            answer = await network.availability(session, skus=SKUS, near=(52.52, 13.40), max_locations=10)
            if dates:
                figures = {v.sku: v.available_to_promise for v in answer.skus}
                await dated(session, available=figures, quantity=200, pool=None, now=utcnow())
        if n >= 5:  # the first rounds warm the caches
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    table = [("database", "50 skus near a point, 200 locations", "p50", "p95", "target")]
    url = await _postgres_database()
    if url is None:
        print("PostgreSQL unreachable: its rows are left out")
    else:
        try:
            for label, p50, p95 in await measure(url, args.rounds):
                target = "p50 < 30 ms" if label == "with dates" else "-"
                table.append(("PostgreSQL", label, f"{p50:.1f} ms", f"{p95:.1f} ms", target))
        finally:
            await drop_postgres_database(url)
    with tempfile.TemporaryDirectory() as folder:
        for label, p50, p95 in await measure(f"sqlite+aiosqlite:///{folder}/bench.db", args.rounds):
            table.append(("SQLite", label, f"{p50:.1f} ms", f"{p95:.1f} ms", "-"))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for i, row in enumerate(table):
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if i == 0:
            print(" | ".join("-" * w for w in widths))


if __name__ == "__main__":
    asyncio.run(main())
