"""Stock benchmarks, printed as a table. Run on demand:

    .venv/bin/python bench/stock.py [--postgres URL] [--rounds N]

1. setStockLevels of 10,000 rows in one GraphQL call on PostgreSQL (target: under 2 s).
2. availability for 50 skus with `near`, 200 locations stocked (target: p50 under 20 ms),
   all locations per sku and the nearest 10 per sku.
3. SQL statements per availability call for 1, 10 and 50 skus (target: constant).

Each scenario runs against a real uvicorn server on loopback, on a throwaway database.
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
import uvicorn
from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oms_graph.app import create_app  # noqa: E402
from oms_graph.config import Settings  # noqa: E402
from oms_graph.db.engine import create_database  # noqa: E402
from oms_graph.db.migrate import upgrade  # noqa: E402
from oms_graph.domain.access import Role  # noqa: E402
from oms_graph.services import auth  # noqa: E402
from tests.conftest import _drop_postgres_database, _postgres_database, free_port  # noqa: E402
from tests.factories import AVAILABILITY, SET_STOCK, UPSERT_LOCATIONS, UPSERT_PRODUCTS  # noqa: E402

LOCATIONS = 200
PRODUCTS = 500


async def serve(url: str):  # type: ignore[no-untyped-def]
    db = create_database(url, pool_size=10)
    await upgrade(db)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(Settings(database_url=url), db=db), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    async with db.write() as session:
        _, key = await auth.create_api_key(session, role=Role.ADMIN, name="bench")
    return db, server, task, f"http://127.0.0.1:{port}", key


async def gql(client: httpx.AsyncClient, key: str, query: str, variables: dict) -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"authorization": f"Bearer {key}"})
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


def chain() -> tuple[list[dict], list[dict]]:
    locations = [
        {"code": f"L-{i:03d}", "name": f"Location {i}", "kind": "WAREHOUSE" if i < 10 else "STORE",
         "region": f"R-{i % 8}", "latitude": 47.5 + (i * 37 % 100) / 20, "longitude": 6.0 + (i * 53 % 100) / 11,
         "capabilities": ["SHIP", "PICKUP"] if i % 3 else ["SHIP"]}
        for i in range(LOCATIONS)
    ]
    products = [{"sku": f"S-{i:04d}", "name": f"Product {i}", "category": f"C-{i % 10}"} for i in range(PRODUCTS)]
    return locations, products


async def run(url: str, backend: str, rounds: int) -> list[tuple[str, str, str, str]]:
    db, server, task, base, key = await serve(url)
    rows = []
    try:
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            locations, products = chain()
            await gql(client, key, UPSERT_LOCATIONS, {"input": locations})
            await gql(client, key, UPSERT_PRODUCTS, {"input": products})

            # 1. one sync call of 10,000 rows: 50 skus x 200 locations; first inserts, then updates
            skus = [p["sku"] for p in products[:50]]
            for label, offset in (("insert", 0), ("update", 1)):
                levels = [{"sku": s, "locationCode": loc["code"], "onHand": (i + offset) % 40, "safetyStock": 1}
                          for i, (s, loc) in enumerate((s, loc) for s in skus for loc in locations)]
                started = time.perf_counter()
                await gql(client, key, SET_STOCK.replace("stockLevels { sku location { code } onHand reserved "
                                                         "safetyStock available updatedAt }", "stockLevels { sku }"),
                          {"input": levels})
                took = time.perf_counter() - started
                rows.append((backend, f"setStockLevels 10,000 rows ({label})", f"{took:.2f} s", "< 2 s"))

            # 2. availability, 50 skus near Frankfurt, every location stocked (statistics fresh, as autovacuum
            # keeps them in production)
            if backend == "postgresql":
                async with db.engine.connect() as conn:
                    await conn.execute(text("ANALYZE"))
            near = {"latitude": 50.11, "longitude": 8.68}
            for label, max_locations in (("all 200 locations", None), ("nearest 10", 10), ("nearest 3", 3)):
                variables = {"skus": skus, "near": near, "max": max_locations}
                await gql(client, key, AVAILABILITY, variables)
                times = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    await gql(client, key, AVAILABILITY, variables)
                    times.append((time.perf_counter() - started) * 1000)
                p50 = statistics.median(times)
                p95 = sorted(times)[int(len(times) * 0.95) - 1]
                rows.append((backend, f"availability 50 skus, {label}", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms",
                             "p50 < 20 ms"))

            # 3. statements per availability call
            counts = []
            seen: list[str] = []

            def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
                if "api_keys" not in statement:
                    seen.append(statement)

            event.listen(db.engine.sync_engine, "before_cursor_execute", count)
            for n in (1, 10, 50):
                seen.clear()
                await gql(client, key, AVAILABILITY, {"skus": skus[:n], "near": near, "max": 10})
                counts.append(f"{n} skus: {len(seen)}")
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
            rows.append((backend, "statements per availability call", ", ".join(counts), "constant"))
    finally:
        server.should_exit = True
        await task
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
        await _drop_postgres_database(url)
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            rows += await run(f"sqlite+aiosqlite:///{folder}/bench.db", "sqlite", args.rounds)
    widths = [max(len(r[i]) for r in rows + [("database", "benchmark", "result", "target")]) for i in range(4)]
    line = " | ".join
    print(line(h.ljust(w) for h, w in zip(("database", "benchmark", "result", "target"), widths)))
    print(line("-" * w for w in widths))
    for row in rows:
        print(line(c.ljust(w) for c, w in zip(row, widths)))
    print(f"\n{os.cpu_count()} cores; {args.rounds} rounds per latency figure")


if __name__ == "__main__":
    asyncio.run(main())
