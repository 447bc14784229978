"""CPU per step of an order's life, one step at a time, printed as a table. Run on demand:

    .venv/bin/python bench/life_steps.py [--orders 200]

`oms-graph serve` runs in its own process on a throwaway PostgreSQL database with the demo chain (background
off: nothing else competes). The bench places `--orders` delivery orders over HTTP as a shopper does (one
availability look, then placeOrder) and works every fulfilment as the store tablets of bench/faults.py do:
their queue, accept, pick, pack, ship; ten concurrent clients keep the server busy, and the server's CPU
(from /proc) over a step, divided by its calls, is the step's CPU per call. The actors' work (routing,
booking, the payment call, the webhooks to a sink on loopback in a process of its own) runs in this
process between the steps, one call after another, measured by this process's CPU: the actors' own code,
without the broker. Beside each, PostgreSQL's CPU (all its processes alive at the end of the step).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
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

from tests.conftest import _postgres_database, actor_settings, drop_postgres_database, free_port  # noqa: E402

from bench import faults as life  # noqa: E402
from bench.profile_life import cpu_seconds, postgres_cpu, postgres_cpu_since  # noqa: E402
from bench.server import start_server  # noqa: E402
from oms_graph.adapters import outbound  # noqa: E402
from oms_graph.api.node import encode_id  # noqa: E402
from oms_graph.cli import use_uvloop  # noqa: E402
from oms_graph.db.engine import create_database  # noqa: E402
from oms_graph.db.models import (  # noqa: E402
    Fulfilment,
    FulfilmentLine,
    Location,
    Order,
    OrderEvent,
    PaymentTransaction,
    Shipment,
)
from oms_graph.memory import tune_collector  # noqa: E402
from oms_graph.tasks import actors as tasks  # noqa: E402
from oms_graph.tasks.broker import build_broker  # noqa: E402

CLIENTS = 10
WEBHOOK_BATCH = 10  # events the relay hands the webhook actor at once, about as many as under load


SINK = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
"""


def start_sink() -> tuple[subprocess.Popen[bytes], str]:
    """A webhook receiver on loopback in its own process (its CPU is not the actor's), keeping connections
    alive; (process, URL)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SINK, str(port)])
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, f"http://127.0.0.1:{port}/hooks"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the webhook sink did not start")


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


async def actor_step(rows: list[tuple[str, ...]], name: str, calls: list[Callable[[], Awaitable[object]]]) -> None:
    """Run an actor's calls one after another in this process (the actor's own code, without the broker's
    fetch and acknowledgement); a row of the table, its CPU from this process."""
    before, database, started = time.process_time(), postgres_cpu(), time.perf_counter()
    for call in calls:
        await call()
    cpu, wall = time.process_time() - before, time.perf_counter() - started
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
    sink, sink_url = start_sink()  # the webhook endpoint, in a process of its own: every event goes to it
    try:
        keys = await life.prepare(db, sink_url)
        process, base = start_server(url)
        if spy:  # py-spy samples the server for the whole run (see bench/profile_life.py for reading them)
            spying = subprocess.Popen(  # noqa: ASYNC220 (started once, before the load)
                [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(process.pid), "--rate", "200"]
                + ["--format", "raw", "--gil", "--nonblocking", "--output", spy],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        tune_collector()
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
        await actor_step(rows, "actor: order.route", [lambda o=o: tasks.route_order(o) for o in placed])
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
        await actor_step(rows, "actor: shipment.book", [lambda i=i: tasks.book_shipment(i) for i in shipments])
        await step(
            rows,
            "shipFulfilment",
            process.pid,
            [lambda f=f, k=k: caller.data(k, life.SHIP, {"id": f}) for f, k in jobs],
        )
        await caller.http.aclose()
        async with db.read() as session:
            calls = [str(i) for i in await session.scalars(select(PaymentTransaction.id))]
            events = list(await session.scalars(select(OrderEvent.id).order_by(OrderEvent.id)))
        await actor_step(rows, "actor: payment.execute", [lambda i=i: tasks.execute_payment(i) for i in calls])
        batches = [events[i : i + WEBHOOK_BATCH] for i in range(0, len(events), WEBHOOK_BATCH)]
        await actor_step(
            rows,
            f"actor: webhook.dispatch ({len(events) / max(1, orders):.1f} events an order, {WEBHOOK_BATCH} a batch)",
            [lambda b=b: tasks.dispatch_webhooks(b) for b in batches],
        )
        per_order = float(rows[-1][2]) * len(batches) / max(1, orders)  # the row is per batch; a life, per order
        rows.append(("  the webhooks of one order", "", f"{per_order:.2f}", "", ""))
        steps = [r for r in rows if not r[0].startswith(("fulfilments", "actor: webhook"))]
        life_total = sum(float(r[2]) for r in steps)
        database_total = sum(float(r[3]) for r in steps if r[3])
        rows.append(("one order's life (without the queue)", "", f"{life_total:.2f}", f"{database_total:.2f}", ""))
        header = ("step", "calls", "server CPU ms/call", "PostgreSQL CPU ms/call", "calls/s")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, tuple("-" * w for w in widths), *rows]:
            print(
                " | ".join(
                    c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
                )
            )
    finally:
        await outbound.close()
        sink.terminate()
        sink.wait(timeout=30)
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
    use_uvloop()  # the actors run here as `oms-graph worker` runs them: on uvloop, the collector tuned
    asyncio.run(main(args.orders, args.spy))
