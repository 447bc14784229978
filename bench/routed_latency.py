"""Placement to ROUTED in the background, under the Orders benchmark's load. Run on demand:

    .venv/bin/python bench/routed_latency.py [--seconds S] [--workers W]

`oms-graph serve` (with its outbox relay) and W `oms-graph worker` processes on PostgreSQL and Redis;
wrk places two-line orders over 16 connections for S seconds; then, per order, the time from its
ORDER_PLACED event to its ORDER_ROUTED event (target: p95 < 250 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import redis
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import _drop_postgres_database, _postgres_database, free_port  # noqa: E402

from bench.place_order import seed, wrk_load  # noqa: E402
from oms_graph.db.engine import create_database  # noqa: E402
from oms_graph.db.migrate import upgrade  # noqa: E402

REDIS_URL = os.environ.get("OMS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "oms_graph.cli", *args], env=env)


def wait_ready(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


async def latencies(url: str) -> tuple[list[float], int, int, float]:
    """(ms from placed to routed per routed order, orders routed, orders placed, median ms to the broker)."""
    db = create_database(url)
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT extract(epoch FROM r.at - p.at) * 1000 FROM order_events p "
                    "JOIN order_events r ON r.order_id = p.order_id AND r.type = 'ORDER_ROUTED' "
                    "WHERE p.type = 'ORDER_PLACED'"
                )
            )
        ).all()
        placed = await conn.scalar(text("SELECT count(*) FROM orders"))
        relayed = (
            await conn.execute(
                text(
                    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM relayed_at - at) * 1000) "
                    "FROM order_events WHERE type = 'ORDER_PLACED' AND relayed_at IS NOT NULL"
                )
            )
        ).scalar()

    await db.dispose()
    return sorted(float(r[0]) for r in rows), len(rows), int(placed or 0), float(relayed or 0)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (the Orders benchmark: 16)")
    args = parser.parse_args()
    redis.Redis.from_url(REDIS_URL).flushdb()
    url = await _postgres_database()
    if url is None:
        sys.exit("PostgreSQL is unreachable (OMS_TEST_POSTGRES_URL)")
    processes = []
    try:
        db = create_database(url)
        await upgrade(db)
        key = await seed(db)
        await db.dispose()
        env = {**os.environ, "OMS_DATABASE_URL": url, "OMS_BROKER_URL": REDIS_URL, "OMS_LOG_LEVEL": "warning"}
        port = free_port()
        processes.append(start(["serve", "--port", str(port)], env))
        processes += [start(["worker", "--threads", "4"], env) for _ in range(args.workers)]
        base = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_ready, base)
        tps, _, _ = await asyncio.to_thread(wrk_load, base, key, args.connections, args.seconds)
        for _ in range(120):  # let the workers finish the queue
            times, routed, placed, relayed = await latencies(url)
            if routed >= placed:
                break
            await asyncio.sleep(0.5)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)
        await _drop_postgres_database(url)
    p95 = times[int(len(times) * 0.95) - 1] if times else float("nan")
    print("benchmark                                      | result")
    print("---------------------------------------------- | ------")
    print(f"placements (wrk, {args.connections} connections)            | {tps:.0f} orders/s, {placed} orders")
    print(f"routed by {args.workers} workers                               | {routed} of {placed}")
    print(f"placed -> handed to the broker (outbox relay)   | median {relayed:.0f} ms")
    print(
        f"placed -> ROUTED                                | p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms"
        " (target p95 < 250 ms)"
    )


if __name__ == "__main__":
    asyncio.run(main())
