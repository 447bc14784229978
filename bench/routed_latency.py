"""Placement to ROUTED in the background, under the Orders benchmark's load. Run on demand:

    .venv/bin/python bench/routed_latency.py [--seconds S] [--workers W]

`oms-graph serve --workers 2` (two API processes as in the Orders benchmark, each with its outbox relay)
and W `oms-graph worker` processes on PostgreSQL and Redis; wrk places two-line orders over 16 connections
for S seconds; then, per order, the time from its
ORDER_PLACED event to its ORDER_ROUTED event. The event's time is when the placement began, so under a
saturating load it includes the placement's own wait; beside wrk, a probe places one order every 100 ms
and times each from its placeOrder response (the order exists) to its ORDER_ROUTED event (target: p95
< 250 ms).
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

from tests.conftest import _postgres_database, drop_postgres_database, free_port  # noqa: E402
from tests.factories import order_input  # noqa: E402

from bench.place_order import BENCH_LINES, PLACE_ORDER_SHORT, seed, wrk_load  # noqa: E402
from oms_graph.api.node import decode_id  # noqa: E402
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


async def latencies(url: str) -> tuple[list[float], int, int, tuple[float, float, int]]:
    """(ms from placed to routed per routed order, orders routed, orders placed,
    (p50 and p95 ms from placed to handed to the broker, relay batches))."""
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
                    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM relayed_at - at) * 1000), "
                    "percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM relayed_at - at) * 1000), "
                    "count(DISTINCT relayed_at) "
                    "FROM order_events WHERE type = 'ORDER_PLACED' AND relayed_at IS NOT NULL"
                )
            )
        ).one()
    await db.dispose()
    handed = (float(relayed[0] or 0), float(relayed[1] or 0), int(relayed[2]))
    return sorted(float(r[0]) for r in rows), len(rows), int(placed or 0), handed


async def probe(base: str, key: str, seconds: float, every: float = 0.1) -> dict[str, float]:
    """Place an order every `every` s for `seconds` s; per order id, the wall-clock time of its response."""
    answered: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        end = time.monotonic() + seconds
        n = 0
        while time.monotonic() < end:
            n += 1
            variables = {"input": order_input(f"probe-{n}", BENCH_LINES)}
            body = (await client.post("/graphql", json={"query": PLACE_ORDER_SHORT, "variables": variables})).json()
            answered[body["data"]["placeOrder"]["order"]["id"]] = time.time()
            await asyncio.sleep(every)
    return answered


async def after_response(url: str, answered: dict[str, float]) -> list[float]:
    """ms from each probe order's placeOrder response to its ORDER_ROUTED event."""
    ids = {str(decode_id(global_id)[1]): at for global_id, at in answered.items()}  # type: ignore[index]
    db = create_database(url)
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT order_id::text, extract(epoch FROM at) FROM order_events WHERE type = 'ORDER_ROUTED'")
            )
        ).all()
    await db.dispose()
    return sorted((float(at) - ids[order_id]) * 1000 for order_id, at in rows if order_id in ids)


def p95(values: list[float]) -> float:
    return values[int(len(values) * 0.95) - 1] if values else float("nan")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--api-processes", type=int, default=2, help="`serve --workers` (the Orders benchmark: 2)")
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
        processes.append(start(["serve", "--port", str(port), "--workers", str(args.api_processes)], env))
        processes += [start(["worker", "--threads", "4"], env) for _ in range(args.workers)]
        base = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_ready, base)
        load = asyncio.to_thread(wrk_load, base, key, args.connections, args.seconds)
        (tps, _, _), answered = await asyncio.gather(load, probe(base, key, args.seconds - 1))
        for _ in range(120):  # let the workers finish the queue
            times, routed, placed, relayed = await latencies(url)
            if routed >= placed:
                break
            await asyncio.sleep(0.5)
        probed = await after_response(url, answered)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)
        await drop_postgres_database(url)
    print("benchmark                                      | result")
    print("---------------------------------------------- | ------")
    print(f"placements (wrk, {args.connections} connections)            | {tps:.0f} orders/s, {placed} orders")
    print(f"routed by {args.workers} workers                               | {routed} of {placed}")
    print(
        f"placed -> handed to the broker (outbox relay)   | p50 {relayed[0]:.0f} ms, p95 {relayed[1]:.0f} ms,"
        f" {relayed[2]} batches"
    )
    print(
        f"placement began -> ROUTED                       | p50 {statistics.median(times):.0f} ms,"
        f" p95 {p95(times):.0f} ms"
    )
    print(
        f"placeOrder answered -> ROUTED ({len(probed)} probes)      | p50 {statistics.median(probed):.0f} ms,"
        f" p95 {p95(probed):.0f} ms (target p95 < 250 ms)"
    )


if __name__ == "__main__":
    asyncio.run(main())
