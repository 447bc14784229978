"""Stock benchmarks, printed as a table. Run on demand:

    .venv/bin/python bench/stock.py [--rounds N] [--sqlite]

1. setStockLevels of 10,000 rows in one GraphQL call on PostgreSQL (target: under 2 s).
2. availability for 50 skus with `near`, 200 locations stocked: every location per sku (target: p50
   under 50 ms), the nearest 10 (under 20 ms) and the nearest 3 (under 10 ms).
3. SQL statements per availability call for 1, 10 and 50 skus (target: constant).

Latency is measured against `oms-graph serve` in its own process, over loopback HTTP, on a
throwaway database; statements are counted in-process on the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import _postgres_database, drop_postgres_database  # noqa: E402
from tests.factories import AVAILABILITY, SET_STOCK, UPSERT_LOCATIONS, UPSERT_PRODUCTS  # noqa: E402

from bench.server import start_server  # noqa: E402
from oms_graph.db.engine import Database, create_database  # noqa: E402
from oms_graph.db.migrate import upgrade  # noqa: E402
from oms_graph.domain.access import Role  # noqa: E402
from oms_graph.services import auth  # noqa: E402
from oms_graph.services.stock import availability as network  # noqa: E402

LOCATIONS = 200
PRODUCTS = 500
NEAR = {"latitude": 50.11, "longitude": 8.68}  # Frankfurt
SET_STOCK_SHORT = SET_STOCK.replace(
    "stockLevels { sku location { code } onHand reserved safetyStock available updatedAt }", "stockLevels { sku }"
)


def chain() -> tuple[list[dict], list[dict]]:
    locations = [
        {
            "code": f"L-{i:03d}",
            "name": f"Location {i}",
            "kind": "WAREHOUSE" if i < 10 else "STORE",
            "region": f"R-{i % 8}",
            "latitude": 47.5 + (i * 37 % 100) / 20,
            "longitude": 6.0 + (i * 53 % 100) / 11,
            "capabilities": ["SHIP", "PICKUP"] if i % 3 else ["SHIP"],
        }
        for i in range(LOCATIONS)
    ]
    products = [{"sku": f"S-{i:04d}", "name": f"Product {i}", "category": f"C-{i % 10}"} for i in range(PRODUCTS)]
    return locations, products


async def gql(client: httpx.AsyncClient, key: str, query: str, variables: dict) -> dict:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"authorization": f"Bearer {key}"}
    )
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


async def answered_in(client: httpx.AsyncClient, key: str, query: str, variables: dict) -> float:
    """Milliseconds from sending the request to the whole answer received; the client's own parse of the
    JSON (15 ms of Python's json for 10,000 entries) is left out, then done to check the answer."""
    started = time.perf_counter()
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"authorization": f"Bearer {key}"}
    )
    took = (time.perf_counter() - started) * 1000
    assert not response.json().get("errors"), response.text[:500]
    return took


async def statements_per_call(db: Database, skus: list[str]) -> str:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    counts = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        for n in (1, 10, 50):
            seen.clear()
            async with db.read() as session:
                await network.availability(session, skus=skus[:n], near=(NEAR["latitude"], NEAR["longitude"]))
            counts.append(f"{n} skus: {len([s for s in seen if s.lstrip().upper().startswith(('SELECT', 'WITH'))])}")
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    return ", ".join(counts)


async def run(url: str, backend: str, rounds: int) -> list[tuple[str, str, str, str]]:
    db = create_database(url)
    await upgrade(db)
    async with db.write() as session:
        _, key = await auth.create_api_key(session, role=Role.ADMIN, name="bench")
    process, base = start_server(url)
    rows = []
    try:
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            locations, products = chain()
            await gql(client, key, UPSERT_LOCATIONS, {"input": locations})
            await gql(client, key, UPSERT_PRODUCTS, {"input": products})

            # 1. one sync call of 10,000 rows (50 skus x 200 locations): first creating them, then updating
            skus = [p["sku"] for p in products[:50]]
            for label, offset in (("creates", 0), ("updates", 1)):
                levels = [
                    {"sku": s, "locationCode": loc["code"], "onHand": (i + offset) % 40, "safetyStock": 1}
                    for i, (s, loc) in enumerate((s, loc) for s in skus for loc in locations)
                ]
                started = time.perf_counter()
                await gql(client, key, SET_STOCK_SHORT, {"input": levels})
                took = time.perf_counter() - started
                rows.append((backend, f"setStockLevels, 10,000 rows ({label})", f"{took:.2f} s", "< 2 s"))

            # 2. availability; statistics fresh, as autovacuum keeps them in production
            if backend == "postgresql":
                async with db.engine.connect() as conn:
                    await conn.execute(text("ANALYZE"))
            targets = {None: "p50 < 50 ms", 10: "p50 < 20 ms", 3: "p50 < 10 ms"}
            for label, max_locations in (("every location", None), ("nearest 10", 10), ("nearest 3", 3)):
                variables = {"skus": skus, "near": NEAR, "max": max_locations}
                for _ in range(3):
                    await gql(client, key, AVAILABILITY, variables)
                times = []
                for _ in range(rounds):
                    times.append(await answered_in(client, key, AVAILABILITY, variables))
                p50 = statistics.median(times)
                p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
                rows.append(
                    (
                        backend,
                        f"availability, 50 skus, {label}",
                        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms",
                        targets[max_locations],
                    )
                )
        rows.append((backend, "SELECTs per availability call", await statements_per_call(db, skus), "constant"))
    finally:
        process.terminate()
        process.wait(timeout=15)
        await db.dispose()
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--sqlite", action="store_true", help="also run on SQLite")
    args = parser.parse_args()
    rows = []
    url = await _postgres_database()
    if url is None:
        sys.exit("PostgreSQL is unreachable (OMS_TEST_POSTGRES_URL)")
    try:
        rows += await run(url, "postgresql", args.rounds)
    finally:
        await drop_postgres_database(url)
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            rows += await run(f"sqlite+aiosqlite:///{folder}/bench.db", "sqlite", args.rounds)
    header = ("database", "benchmark", "result", "target")
    widths = [max(len(r[i]) for r in [*rows, header]) for i in range(4)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(" | ".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(f"\n{os.cpu_count()} cores; {args.rounds} calls per latency figure; server in its own process")


if __name__ == "__main__":
    asyncio.run(main())
