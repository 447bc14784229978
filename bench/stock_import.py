"""Inventory files and full syncs at a chain's scale, on PostgreSQL, printed as a table. Run on demand:

    .venv/bin/python bench/stock_import.py [--skus N] [--locations L]

1. A catalogue of N skus (default 50,000) and L locations (default 20): N x L levels (1,000,000).
2. A FULL import of one row per level, sent to `POST /imports/stock` of `oms-graph serve` and applied by a
   worker process (its peak memory measured): first when no level exists yet, then again with every
   count changed (each level updated, its difference recorded).
3. `availabilitySnapshot` of the whole catalogue for a pooled channel, 1,000 skus a page.
Targets: a 1,000,000-row full import < 60 s end to end, the worker < 500 MB; the snapshot < 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace as Input

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import _postgres_database, drop_postgres_database  # noqa: E402

from bench.server import start_server  # noqa: E402
from oms_graph.db.engine import create_database  # noqa: E402
from oms_graph.db.migrate import upgrade  # noqa: E402
from oms_graph.domain.access import Role  # noqa: E402
from oms_graph.domain.catalog import ChannelKind, LocationCapability, LocationKind  # noqa: E402
from oms_graph.services import auth, catalog  # noqa: E402
from oms_graph.services.stock import pools  # noqa: E402

SNAPSHOT = """query($after: String, $first: Int) {
  availabilitySnapshot(channel: "market", first: $first, after: $after) {
    items { sku availableToPromise } pageInfo { hasNextPage endCursor } } }"""
JOB = "query($id: ID!) { stockImport(id: $id) { status rowsTotal rowsDone rowsRefused } }"


async def seed(url: str, skus: int, locations: int) -> tuple[str, list[str], list[str]]:
    """The catalogue, a pooled marketplace channel, and an INTEGRATION key."""
    db = create_database(url)
    await upgrade(db)
    codes = [f"L{n:03d}" for n in range(locations)]
    names = [f"S{n:07d}" for n in range(skus)]
    async with db.write() as s:
        channels = [Input(code="market", name="M", kind=ChannelKind.MARKETPLACE, currency="EUR")]
        await catalog.upsert_channels(
            s, inputs=[Input(**vars(c), confirmation=None, language=None, default_region=None) for c in channels]
        )
        await catalog.upsert_locations(
            s,
            inputs=[
                Input(
                    code=code,
                    name=code,
                    kind=LocationKind.WAREHOUSE if n % 4 == 0 else LocationKind.STORE,
                    region="DE",
                    latitude=50.0 + n / 100,
                    longitude=8.0,
                    priority=0,
                    capabilities=[LocationCapability.SHIP],
                    daily_ship_capacity=None,
                    handling_cost=None,
                    active=True,
                    time_zone=None,
                    cutoff_hour=None,
                    open_days=None,
                    opens_at=None,
                    closes_at=None,
                )
                for n, code in enumerate(codes)
            ],
        )
        parts = dict.fromkeys(pools.PARTS) | {"location_kinds": ["WAREHOUSE"], "buffer": 1}
        await pools.update_availability_pool(s, pool=Input(channel="market", **parts))
        _, key = await auth.create_api_key(s, role=Role.INTEGRATION, name="bench")
    for start in range(0, skus, 10_000):
        async with db.write() as s:
            batch = names[start : start + 10_000]
            await catalog.upsert_products(
                s,
                inputs=[
                    Input(sku=k, name=k, category="X", weight_grams=100, unit_cost=Decimal("3.50"), ean=None)
                    for k in batch
                ],
            )
    await db.dispose()
    return key, names, codes


def full_file(skus: list[str], codes: list[str], shift: int) -> bytes:
    lines = ["sku,locationCode,onHand"]
    lines += [f"{sku},{code},{(n + i + shift) % 9}" for n, sku in enumerate(skus) for i, code in enumerate(codes)]
    return ("\n".join(lines) + "\n").encode()


def run_worker(url: str, job_id: str) -> tuple[float, float]:
    """Apply the job in a process of its own, as a worker does; (seconds, peak memory in MB)."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, __file__, "--run-job", url, job_id], capture_output=True, text=True, check=True
    )
    return time.monotonic() - started, float(done.stdout.strip().splitlines()[-1])


async def run_job(url: str, job_id: str) -> None:
    from oms_graph.api.node import decode_id
    from oms_graph.services.stock import imports

    db = create_database(url)
    await imports.run_import(db, import_id=decode_id(job_id)[1])  # type: ignore[index]
    await db.dispose()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # kB on Linux


async def one_import(base: str, key: str, url: str, body: bytes) -> tuple[float, float, float, dict]:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        started = time.monotonic()
        answer = await client.post("/imports/stock?mode=full", content=body, headers=headers)
        accepted = time.monotonic() - started
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["id"]
        worked, memory = await asyncio.to_thread(run_worker, url, job_id)
        auth = {"Authorization": headers["Authorization"]}
        job = (await client.post("/graphql", json={"query": JOB, "variables": {"id": job_id}}, headers=auth)).json()
    return accepted, worked, memory, job["data"]["stockImport"]


async def snapshot(base: str, key: str, page: int) -> tuple[float, int]:
    headers = {"Authorization": f"Bearer {key}"}
    seen, after = 0, None
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        started = time.monotonic()
        while True:
            variables = {"after": after, "first": page}
            answer = await client.post("/graphql", json={"query": SNAPSHOT, "variables": variables}, headers=headers)
            found = answer.json()["data"]["availabilitySnapshot"]
            seen += len(found["items"])
            if not found["pageInfo"]["hasNextPage"]:
                return time.monotonic() - started, seen
            after = found["pageInfo"]["endCursor"]


async def levels_by_sql(url: str) -> None:
    """Every level at once, for --snapshot-only (not how stock comes in: a shortcut to measure reads)."""
    from sqlalchemy import text

    db = create_database(url)
    async with db.write() as s:
        await s.execute(
            text(
                "INSERT INTO stock_levels (sku, location_id, on_hand, reserved, safety_stock, routed, updated_at) "
                "SELECT p.sku, l.id, 5, 0, 0, 0, now() FROM products p CROSS JOIN locations l"
            )
        )
        await s.execute(text("ANALYZE stock_levels"))
    await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skus", type=int, default=50_000)
    parser.add_argument("--locations", type=int, default=20)
    parser.add_argument("--page", type=int, default=1000, help="skus per snapshot page (at most 1,000)")
    parser.add_argument("--snapshot-only", action="store_true", help="levels made by SQL, no import run")
    parser.add_argument("--run-job", nargs=2, metavar=("URL", "JOB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_job:
        await run_job(*args.run_job)
        return
    url = await _postgres_database()
    if url is None:
        sys.exit("PostgreSQL is unreachable (OMS_TEST_POSTGRES_URL)")
    rows = []
    try:
        key, skus, codes = await seed(url, args.skus, args.locations)
        size = len(skus) * len(codes)
        process, base = start_server(url)
        try:
            runs = (("first, every level new", 0), ("again, every count changed", 1))
            if args.snapshot_only:
                runs = ()
                await levels_by_sql(url)
            for label, shift in runs:
                body = full_file(skus, codes, shift)
                accepted, worked, memory, job = await one_import(base, key, url, body)
                assert (job["status"], job["rowsDone"]) == ("DONE", size), job
                rows.append(
                    (
                        f"FULL import of {size:,} rows ({len(body) / 1e6:.0f} MB), {label}",
                        f"{accepted + worked:.1f} s (accepted in {accepted:.1f} s), worker peak {memory:.0f} MB",
                        "< 60 s, < 500 MB",
                    )
                )
            seconds, seen = await snapshot(base, key, args.page)
            assert seen == len(skus)
            label = f"availabilitySnapshot of {seen:,} skus, pooled channel, {args.page:,} a page"
            rows.append((label, f"{seconds:.2f} s", "< 3 s"))
        finally:
            process.terminate()
            process.wait(timeout=15)
    finally:
        await drop_postgres_database(url)
    widths = [max(len(r[i]) for r in [*rows, ("benchmark", "result", "target")]) for i in range(3)]
    for row in [("benchmark", "result", "target"), tuple("-" * w for w in widths), *rows]:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    print("\n2 cores; server, worker and PostgreSQL share the machine")


if __name__ == "__main__":
    asyncio.run(main())
