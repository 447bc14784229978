"""Live events to many subscribers. Run on demand:

    .venv/bin/python bench/subscribers.py [--subscribers N] [--rate R] [--seconds S] [--processes P]

P `oms-graph serve` processes on one PostgreSQL database (background work off: only the API and its event
stream run), N WebSocket clients subscribed to `orderEvents`, spread over the processes, while orders are
placed at R per second for S seconds through the first process. Prints, per setting, the time from an
event's commit-side timestamp to its arrival at each client (p50, p99, max), events missed, and the
server memory per subscriber (RSS growth over the subscribers connected after the first 1%, 250 at a
time). Targets: p99 < 250 ms; < 30 KB per idle subscriber with 10,000 in one process. The clients run
in this process, on the same two cores as the servers, so the figures are an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import websockets
from websockets.typing import Subprotocol

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import _postgres_database, drop_postgres_database, free_port  # noqa: E402
from tests.factories import order_input  # noqa: E402

from bench.place_order import PLACE_ORDER_SHORT, SKUS, seed  # noqa: E402
from bench.routed_latency import wait_ready  # noqa: E402
from oms_graph.db.engine import create_database  # noqa: E402
from oms_graph.db.migrate import upgrade  # noqa: E402

SUBSCRIBE = "subscription { orderEvents { id type at } }"
WAVE = 250  # subscribers connecting at once


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def serve(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "oms_graph.cli", "serve", "--port", str(port)], env=env)


async def subscriber(base: str, key: str, ready: asyncio.Event, got: list[float], stop: asyncio.Event) -> None:
    url = base.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], max_queue=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}}))
        await ws.recv()
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIBE}}))
        ready.set()
        closer = asyncio.create_task(close_on(stop, ws))
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "next":
                at = datetime.fromisoformat(message["payload"]["data"]["orderEvents"]["at"]).timestamp()
                got.append((time.time() - at) * 1000)
        await closer


async def close_on(stop: asyncio.Event, ws: websockets.ClientConnection) -> None:
    await stop.wait()
    await ws.close()


async def place(base: str, key: str, rate: float, seconds: float) -> int:
    placed = 0
    async with httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {key}"}, timeout=30) as client:
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            order = order_input(f"live-{time.time_ns()}", [(SKUS[0], 1, "9.99")])
            answer = await client.post("/graphql", json={"query": PLACE_ORDER_SHORT, "variables": {"input": order}})
            placed += not answer.json()["data"]["placeOrder"]["errors"]
            await asyncio.sleep(max(0.0, start + placed / rate - time.monotonic()))
    return placed


async def run(subscribers: int, rate: float, seconds: float, processes: int) -> dict[str, object]:
    url = await _postgres_database()
    if url is None:
        sys.exit("PostgreSQL is unreachable (OMS_TEST_POSTGRES_URL)")
    db = create_database(url)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        await upgrade(db)
        key = await seed(db)
        env = {**os.environ, "OMS_DATABASE_URL": url, "OMS_BACKGROUND": "false", "OMS_LOG_LEVEL": "warning"}
        bases = []
        for _ in range(processes):
            port = free_port()
            servers.append(serve(port, env))
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            await asyncio.to_thread(wait_ready, base)
        stop = asyncio.Event()
        received: list[list[float]] = [[] for _ in range(subscribers)]
        ready = [asyncio.Event() for _ in range(subscribers)]
        clients: list[asyncio.Task[None]] = []

        async def connect(upto: int) -> None:
            for i in range(len(clients), upto):
                clients.append(asyncio.create_task(subscriber(bases[i % processes], key, ready[i], received[i], stop)))
            for event in ready[:upto]:
                await event.wait()

        # Memory per subscriber: the growth once a few are connected (the first subscription's one-off
        # allocations are behind), with the rest connecting WAVE at a time, as a fleet of apps does.
        warm = min(subscribers, max(10, subscribers // 100))
        await connect(warm)
        await asyncio.sleep(1)
        before = sum(rss_kb(s.pid) for s in servers)
        for upto in range(warm + WAVE, subscribers + WAVE, WAVE):
            await connect(min(upto, subscribers))
        await asyncio.sleep(1)
        after = sum(rss_kb(s.pid) for s in servers)
        server_cpu, own_cpu = sum(cpu_seconds(s.pid) for s in servers), time.process_time()
        placed = await place(bases[0], key, rate, seconds)
        await asyncio.sleep(2)
        server_cpu = sum(cpu_seconds(s.pid) for s in servers) - server_cpu
        own_cpu = time.process_time() - own_cpu
        stop.set()
        await asyncio.gather(*clients)
        latencies = sorted(ms for got in received for ms in got)
        missed = placed * subscribers - len(latencies)
        return {
            "subscribers": subscribers,
            "processes": processes,
            "events": placed,
            "p50_ms": statistics.median(latencies) if latencies else float("nan"),
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan"),
            "max_ms": latencies[-1] if latencies else float("nan"),
            "missed": missed,
            "kb_per_subscriber": (after - before) / max(1, subscribers - warm),
            "server_cpu_s": server_cpu,
            "clients_cpu_s": own_cpu,
        }
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=15)
        await db.dispose()
        await drop_postgres_database(url)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--processes", type=int, nargs="*", default=[1, 2])
    args = parser.parse_args()
    rows = [await run(args.subscribers, args.rate, args.seconds, p) for p in args.processes]
    print(f"\n{'subscribers':>11} {'processes':>9} {'events':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'missed':>6} {'KB/sub':>7} {'server CPU s':>12} {'clients CPU s':>13}")  # fmt: skip
    for r in rows:
        print(
            f"{r['subscribers']:>11} {r['processes']:>9} {r['events']:>6} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} "
            f"{r['max_ms']:>7.1f} {r['missed']:>6} {r['kb_per_subscriber']:>7.1f} {r['server_cpu_s']:>12.1f} "
            f"{r['clients_cpu_s']:>13.1f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
