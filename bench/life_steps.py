"""Server CPU per step of an order's life, one step at a time, printed as a table. Run on demand:

    .venv/bin/python bench/life_steps.py [--orders 200]

`oms-graph serve` runs in its own process on a throwaway PostgreSQL database with the demo chain (background
off: nothing else competes). The bench places `--orders` delivery orders over HTTP as a shopper does (one
availability look, then placeOrder), routes them and books their parcels in its own process (the actors'
code, not counted), and works every fulfilment as the store tablets of bench/faults.py do: their queue,
accept, pick, pack, ship. Each step runs for all orders before the next; the server's CPU (from /proc)
over a step, divided by its calls, is the step's CPU per call, and PostgreSQL's (all its processes) beside
it (of the processes alive at the end of the step). Ten concurrent clients keep the server busy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import _postgres_database, actor_settings, drop_postgres_database  # noqa: E402

from bench import faults as life  # noqa: E402
from bench.profile_life import postgres_cpu, postgres_cpu_since  # noqa: E402
from bench.server import start_server  # noqa: E402
from oms_graph.api.node import encode_id  # noqa: E402
from oms_graph.db.engine import create_database  # noqa: E402
from oms_graph.db.models import Fulfilment, FulfilmentLine, Location, Order, Shipment  # noqa: E402
from oms_graph.tasks import actors as tasks  # noqa: E402
from oms_graph.tasks.broker import build_broker  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
CLIENTS = 10


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Caller:
    def __init__(self, base: str) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=60)

    async def data(self, key: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = (
            await self.http.post(
                "/graphql", json={"query": query, "variables": variables}, headers={"authorization": f"Bearer {key}"}
            )
        ).json()
        assert not answer.get("errors"), answer["errors"]
        return dict(answer["data"])


async def step(
    rows: list[tuple[str, ...]],
    name: str,
    pid: int,
    calls: list[Callable[[], Awaitable[object]]],
) -> None:
    """Run the calls, CLIENTS at a time; a row of the table."""
    queue = list(calls)

    async def client() -> None:
        while queue:
            await queue.pop()()

    before, database, started = cpu_seconds(pid), postgres_cpu(), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    cpu, wall = cpu_seconds(pid) - before, time.perf_counter() - started
    database = postgres_cpu_since(database)
    n = max(1, len(calls))
    rows.append(
        (name, str(len(calls)), f"{cpu * 1000 / n:.2f}", f"{database * 1000 / n:.2f}", f"{len(calls) / wall:.0f}")
    )


async def main(orders: int, spy: str | None) -> None:
    url = await _postgres_database()
    if url is None:
        sys.exit("PostgreSQL is not reachable")
    db = create_database(url)
    process: subprocess.Popen[bytes] | None = None
    spying: subprocess.Popen[bytes] | None = None
    try:
        keys = await life.prepare(db, "http://127.0.0.1:9/unused")
        process, base = start_server(url)
        if spy:  # py-spy samples the server for the whole run (see bench/profile_life.py for reading them)
            spying = subprocess.Popen(  # noqa: ASYNC220 (started once, before the load)
                [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(process.pid), "--rate", "200"]
                + ["--format", "raw", "--gil", "--nonblocking", "--output", spy],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        caller, rng, rows = Caller(base), random.Random(1), []
        city = life.CITIES[0]
        near = {"latitude": city[0], "longitude": city[1]}
        wanted = [rng.sample(keys["skus"], 2) for _ in range(orders)]
        await step(
            rows,
            "availability (2 skus, nearest 3)",
            process.pid,
            [lambda w=w: caller.data(keys["storefront"], life.AVAILABILITY, {"skus": w, "near": near}) for w in wanted],
        )

        def order(n: int, skus: list[str]) -> dict[str, Any]:
            return {
                "channel": "web",
                "idempotencyKey": f"steps-{n}",
                "customer": {"email": f"shopper{n}@example.com"},
                "lines": [{"sku": sku, "quantity": 1, "unitPrice": "19.99"} for sku in skus],
                "delivery": {
                    "method": "DELIVERY",
                    "address": {"line1": "Hauptstraße 1", "city": city[2], "country": "DE", **near},
                },
                "payment": {"method": "PREPAID"},
            }

        await step(
            rows,
            "placeOrder (2 lines)",
            process.pid,
            [
                lambda n=n, w=w: caller.data(keys["storefront"], life.PLACE, {"input": order(n, w)})
                for n, w in enumerate(wanted)
            ],
        )
        tasks.register(build_broker(None), settings=actor_settings(db))
        async with db.read() as session:
            placed = [str(i) for i in await session.scalars(select(Order.id))]
        for order_id in placed:  # routing: the worker's work, not counted here
            await tasks.route_order(order_id)
        async with db.read() as session:
            work = (
                await session.execute(
                    select(Fulfilment.id, Fulfilment.location_id).where(Fulfilment.status == "ASSIGNED")
                )
            ).all()
        by_location = {code: key for code, key in keys["tablets"].items()}
        async with db.read() as session:
            codes = dict((await session.execute(select(Location.id, Location.code))).all())
        jobs = [(encode_id("Fulfilment", fid), by_location[codes[lid]]) for fid, lid in work]
        queues = [(code, key) for code, key in keys["tablets"].items()] * max(1, len(jobs) // len(keys["tablets"]))
        await step(
            rows,
            "fulfilments (tablet queue, 10)",
            process.pid,
            [lambda c=c, k=k: caller.data(k, life.QUEUE, {"loc": c, "first": 10}) for c, k in queues],
        )
        await step(
            rows,
            "acceptFulfilment",
            process.pid,
            [lambda f=f, k=k: caller.data(k, life.ACCEPT, {"id": f}) for f, k in jobs],
        )
        picks: dict[str, list[dict[str, Any]]] = {}
        async with db.read() as session:
            for fid, sku, quantity in await session.execute(
                select(FulfilmentLine.fulfilment_id, FulfilmentLine.sku, FulfilmentLine.quantity)
            ):
                picks.setdefault(encode_id("Fulfilment", fid), []).append({"sku": sku, "quantity": quantity})
        await step(
            rows,
            "pickFulfilment",
            process.pid,
            [lambda f=f, k=k: caller.data(k, life.PICK, {"id": f, "lines": picks[f]}) for f, k in jobs],
        )
        await step(
            rows,
            "packFulfilment",
            process.pid,
            [lambda f=f, k=k: caller.data(k, life.PACK, {"id": f}) for f, k in jobs],
        )
        async with db.read() as session:
            shipments = [str(i) for i in await session.scalars(select(Shipment.id))]
        for shipment_id in shipments:  # the carrier's booking: the worker's work, not counted here
            await tasks.book_shipment(shipment_id)
        await step(
            rows,
            "shipFulfilment",
            process.pid,
            [lambda f=f, k=k: caller.data(k, life.SHIP, {"id": f}) for f, k in jobs],
        )
        await caller.http.aclose()
        life_total = sum(float(r[2]) for r in rows if not r[0].startswith("fulfilments"))
        database_total = sum(float(r[3]) for r in rows if not r[0].startswith("fulfilments"))
        rows.append(("one order's steps (without the queue)", "", f"{life_total:.2f}", f"{database_total:.2f}", ""))
        header = ("step", "calls", "server CPU ms/call", "PostgreSQL CPU ms/call", "calls/s")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, tuple("-" * w for w in widths), *rows]:
            print(
                " | ".join(
                    c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
                )
            )
    finally:
        if spying is not None:
            spying.send_signal(2)
            spying.wait(timeout=60)
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        await db.dispose()
        await drop_postgres_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--spy", metavar="FILE", help="py-spy's raw samples of the server, into FILE")
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.spy))
