"""Load and faults: two `oms-graph serve` and two `oms-graph worker` processes on PostgreSQL and Redis under a
mixed workload, while workers and API processes are killed (-9) and restarted and PostgreSQL is restarted
once; then the books are checked and the numbers printed.

    .venv/bin/python bench/faults.py                     # 5 minutes, 3 kills of each kind
    .venv/bin/python bench/faults.py --seconds 60 --kills 1

The workload, spread over both API processes (a client whose process is gone tries the other):
- shoppers (STOREFRONT): availability near a city, then a delivery order (retried with the same
  idempotency key after a refused connection or a server error, as a client would);
- store tablets (STORE, one per shipping location): their queue; accept, pick, pack, and hand booked
  parcels to the driver;
- an integration (INTEGRATION): stock counts (setStockLevels) that find a few more units;
- subscribers (WebSocket, orderEvents of the web channel): they reconnect with `after` when cut off.

At the end, once the processes have caught up: every order the API accepted exists once and was routed;
no unit is oversold (ledger = levels, reservations within stock, promises within shippable stock); every
committed event reached the webhook sink at least once; every subscriber saw every event once.
Bounded and on loopback: a fresh database, Redis database 15 (flushed), a webhook sink on a free port.
Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from statistics import quantiles
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import httpx
import websockets
from redis import Redis
from sqlalchemy import func, select

from oms_graph.api.node import decode_id
from oms_graph.db.engine import Database, create_database
from oms_graph.db.migrate import upgrade
from oms_graph.db.models import Channel, Location, Order, OrderEvent, Product, StockLevel
from oms_graph.domain.access import Role
from oms_graph.seed import demo
from oms_graph.services import auth, webhooks

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import (  # noqa: E402
    POSTGRES_ADMIN_URL,
    REDIS_URL,
    drop_postgres_database,
    free_port,
    new_database_url,
)
from tests.fakes.receiver import FakeReceiver  # noqa: E402
from tests.integration.test_stock_invariants import check_books, promised_within_shippable  # noqa: E402
from tests.live import PROTOCOL, ws_url  # noqa: E402

CITIES = [(52.52, 13.40, "Berlin"), (53.55, 9.99, "Hamburg"), (48.14, 11.58, "Munich"), (50.94, 6.96, "Cologne")]
AVAILABILITY = """query($skus: [String!]!, $near: GeoPointInput) {
  availability(skus: $skus, near: $near, channel: "web", maxLocations: 3) { sku availableToPromise } }"""
PLACE = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } errors { code field } } }"
QUEUE = """query($loc: String!, $first: Int) {
  fulfilments(locationCode: $loc, status: [ASSIGNED, PACKED], first: $first) {
  edges { node { id status lines { sku quantity } shipment { status } } } } }"""
PAYLOAD = "{ fulfilment { id status } errors { code } }"
ACCEPT = f"mutation($id: ID!) {{ acceptFulfilment(id: $id) {PAYLOAD} }}"
PICK = f"mutation($id: ID!, $lines: [PickedLineInput!]!) {{ pickFulfilment(id: $id, lines: $lines) {PAYLOAD} }}"
PACK = f"mutation($id: ID!) {{ packFulfilment(id: $id, parcels: [{{weightGrams: 800}}]) {PAYLOAD} }}"
SHIP = f"mutation($id: ID!) {{ shipFulfilment(id: $id) {PAYLOAD} }}"
LEVELS = """query($loc: String!) { stockLevels(locationCode: $loc, first: 100) {
  edges { node { sku onHand reserved } } } }"""
SET_LEVELS = "mutation($input: [StockLevelInput!]!) { setStockLevels(input: $input) { errors { code } } }"
EVENTS = 'subscription($after: ID) { orderEvents(channel: "web", after: $after) { id type } }'
SINK_SECRET = "faults-harness-webhook-secret"
RETRY_FOR_SECONDS = 30.0  # how long a client keeps trying one request through faults
RETRYABLE = ("UNAVAILABLE", "THROTTLED", "internal error")


@dataclass(frozen=True)
class Plan:
    seconds: float = 300
    kills: int = 3  # of a worker and of an API process each, spread over the run
    restart_postgres: bool = True
    shoppers: int = 12
    subscribers: int = 4
    drain_seconds: float = 180
    tablets: int = 1  # per shipping location, each working its share of the queue
    rate: float | None = None  # orders a second over all shoppers (paced); None: each places as fast as it can


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    pushed: int = 0  # events the subscribers received

    def error(self, operation: str, kind: str) -> None:
        self.errors[(operation, kind)] += 1


@dataclass
class Report:
    plan: Plan
    stats: Stats
    seconds: float
    accepted: int
    shipped: int  # accepted orders the tablets carried to SHIPPED during the load
    faults: list[str]
    checks: dict[str, list[str]]  # check → its problems (none: it passed)

    @property
    def passed(self) -> bool:
        return not any(self.checks.values())


class Cluster:
    """The oms-graph processes, each writing its log to a file of its own."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder = env, folder
        self.ports = [free_port(), free_port()]
        self.apis: list[subprocess.Popen[bytes] | None] = [None, None]
        self.workers: list[subprocess.Popen[bytes] | None] = [None, None]

    @property
    def bases(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def _start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        with (self.folder / f"{name}.log").open("ab") as log:
            command = [sys.executable, "-m", "oms_graph.cli", *args]
            return subprocess.Popen(command, env=self.env, stdout=log, stderr=log)

    def start_api(self, i: int) -> None:
        self.apis[i] = self._start(f"api{i}", ["serve", "--port", str(self.ports[i])])

    def start_worker(self, i: int) -> None:
        self.workers[i] = self._start(f"worker{i}", ["worker", "--threads", "4"])

    def kill(self, kind: str, i: int) -> None:
        process = (self.apis if kind == "api" else self.workers)[i]
        assert process is not None
        process.kill()
        process.wait()

    async def ready(self, i: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(timeout=1) as http:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"{self.bases[i]}/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"API process {i} did not start; see {self.folder}/api{i}.log")

    def stop(self) -> None:
        running = [p for p in (*self.apis, *self.workers) if p is not None and p.poll() is None]
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    def logs(self) -> str:
        return "".join(path.read_text() for path in sorted(self.folder.glob("*.log")))


class Client:
    """GraphQL over HTTP to either API process, timed and counted by operation."""

    def __init__(self, bases: list[str], stats: Stats, turn: int) -> None:
        self.bases, self.stats, self.turn = bases, stats, turn
        self.http = httpx.AsyncClient(timeout=15)

    async def call(self, operation: str, key: str, query: str, variables: dict[str, Any]) -> dict[str, Any] | None:
        """The answer's data, or None after a GraphQL error. A refused connection, a 5xx, UNAVAILABLE,
        THROTTLED or an internal error is counted and tried again (on the other process first) for up to
        RETRY_FOR_SECONDS."""
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        while True:
            base = self.bases[self.turn % len(self.bases)]
            started = time.perf_counter()
            kind = None
            try:
                answer = await self.http.post(
                    f"{base}/graphql",
                    json={"query": query, "variables": variables},
                    headers={"authorization": f"Bearer {key}"},
                )
            except httpx.TransportError as error:
                kind = f"connection ({type(error).__name__})"
            else:
                if answer.status_code >= 500:
                    kind = f"HTTP {answer.status_code}"
                else:
                    body = answer.json()
                    problems = body.get("errors") or []
                    codes = [(e.get("extensions") or {}).get("code") or e["message"] for e in problems]
                    if codes and codes[0] in RETRYABLE:
                        kind = codes[0]
                    elif codes:
                        self.stats.error(operation, codes[0])
                        return None
                    else:
                        self.stats.latencies[operation].append(time.perf_counter() - started)
                        return dict(body["data"])
            self.stats.error(operation, kind)
            self.turn += 1
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.2)


async def shopper(
    n: int, client: Client, key: str, skus: list[str], stop: asyncio.Event, accepted: dict, every: float = 0
) -> None:
    """A shopper looks at availability, then places an order; with `every`, one a that many seconds."""
    rng = random.Random(n)
    count = 0
    start = time.monotonic() + rng.uniform(0, every)  # paced shoppers start spread over one period
    while not stop.is_set():
        if every:
            await asyncio.sleep(max(0.0, start + count * every - time.monotonic()))
        latitude, longitude, city = rng.choice(CITIES)
        near = {"latitude": latitude + rng.uniform(-0.1, 0.1), "longitude": longitude + rng.uniform(-0.1, 0.1)}
        wanted = rng.sample(skus, 2)
        await client.call("availability", key, AVAILABILITY, {"skus": wanted, "near": near})
        count += 1
        idempotency_key = f"shopper-{n}-{count}"
        order = {
            "channel": "web",
            "idempotencyKey": idempotency_key,
            "customer": {"email": f"shopper{n}@example.com"},
            "lines": [{"sku": sku, "quantity": rng.randint(1, 2), "unitPrice": "19.99"} for sku in wanted],
            "delivery": {
                "method": "DELIVERY",
                "address": {"line1": "Hauptstraße 1", "city": city, "country": "DE", **near},
            },
            "payment": {"method": "PREPAID"},
        }
        data = await client.call("placeOrder", key, PLACE, {"input": order})
        if data is None:
            continue
        placed = data["placeOrder"]
        if placed["errors"]:
            client.stats.outcomes[f"refused: {placed['errors'][0]['code']}"] += 1
        else:
            client.stats.outcomes["accepted"] += 1
            accepted[idempotency_key] = placed["order"]["id"]


async def tablet(code: str, client: Client, key: str, stop: asyncio.Event, share: tuple[int, int] = (0, 1)) -> None:
    """A store's tablet: new work is accepted, picked in full and packed; booked parcels leave. Tablet k of
    a location's n works the fulfilments whose id hashes to k (mod n)."""
    k, n = share
    while not stop.is_set():
        data = await client.call("fulfilments", key, QUEUE, {"loc": code, "first": 10 * n})
        nodes = [edge["node"] for edge in data["fulfilments"]["edges"]] if data else []
        nodes = [f for f in nodes if hash(f["id"]) % n == k]
        acted = False
        for f in nodes:
            if f["status"] == "ASSIGNED":
                await client.call("acceptFulfilment", key, ACCEPT, {"id": f["id"]})
                picked = [{"sku": line["sku"], "quantity": line["quantity"]} for line in f["lines"]]
                await client.call("pickFulfilment", key, PICK, {"id": f["id"], "lines": picked})
                await client.call("packFulfilment", key, PACK, {"id": f["id"]})
                acted = True
            elif (f["shipment"] or {}).get("status") == "BOOKED":
                await client.call("shipFulfilment", key, SHIP, {"id": f["id"]})
                acted = True
        if not acted:  # nothing new, or parcels still waiting for their booking
            await asyncio.sleep(0.5)


async def integration(client: Client, key: str, codes: list[str], stop: asyncio.Event) -> None:
    """Stock counts from a warehouse system: a few more units than the books say, never fewer than reserved."""
    rng = random.Random(7)
    while not stop.is_set():
        code = rng.choice(codes)
        data = await client.call("stockLevels", key, LEVELS, {"loc": code})
        if data:
            levels = [edge["node"] for edge in data["stockLevels"]["edges"]]
            counted = [
                {
                    "sku": lv["sku"],
                    "locationCode": code,
                    "onHand": max(lv["onHand"], lv["reserved"]) + rng.randint(0, 3),
                }
                for lv in rng.sample(levels, min(20, len(levels)))
            ]
            await client.call("setStockLevels", key, SET_LEVELS, {"input": counted})
        await asyncio.sleep(1)


async def subscriber(n: int, bases: list[str], key: str, stats: Stats, done: asyncio.Event, seen: list[str]) -> None:
    """orderEvents of the web channel, resumed after the last event seen whenever the socket is cut."""
    turn = n
    while not done.is_set():
        try:
            async with websockets.connect(ws_url(bases[turn % len(bases)]), subprotocols=[PROTOCOL]) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
                after = seen[-1] if seen else None
                payload = {"query": EVENTS, "variables": {"after": after}}
                await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": payload}))
                while not done.is_set():
                    with contextlib.suppress(TimeoutError):
                        message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                        if message["type"] == "ping":
                            await ws.send(json.dumps({"type": "pong"}))
                        elif message["type"] == "next" and message["payload"].get("data"):
                            seen.append(message["payload"]["data"]["orderEvents"]["id"])
                            stats.pushed += 1
                        elif message["type"] in ("error", "complete", "next"):
                            stats.error("orderEvents", f"subscription {message['type']}")
                            break
            await asyncio.sleep(0.2)
        except (OSError, websockets.ConnectionClosed, TimeoutError, AssertionError) as error:
            stats.error("orderEvents", f"disconnected ({type(error).__name__})")
            turn += 1
            await asyncio.sleep(0.2)


def postgres_restartable() -> str | None:
    """Why this machine's PostgreSQL cannot be restarted from here, or None when it can."""
    if urlsplit(POSTGRES_ADMIN_URL).hostname not in ("127.0.0.1", "localhost"):
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} is not on this machine"
    if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
        return "no pg_ctlcluster here (Debian's PostgreSQL packaging)"
    return None


def restart_postgres() -> None:
    """The local cluster (the newest version), as `.ci/run` starts it."""
    version = max((p.name for p in Path("/etc/postgresql").iterdir()), key=lambda n: [int(x) for x in n.split(".")])
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True, capture_output=True
    )


async def faults(cluster: Cluster, plan: Plan, stop: asyncio.Event, done: list[str]) -> None:
    """Kills and restarts spread evenly over the run; a killed process is started again a second later."""
    actions: list[tuple[str, int]] = []
    for k in range(plan.kills):
        actions += [("worker", k % 2), ("api", (k + 1) % 2)]
    if plan.restart_postgres:
        actions.insert(len(actions) // 2, ("postgres", 0))
    started = time.monotonic()
    for index, (kind, i) in enumerate(actions):
        at = plan.seconds * (index + 1) / (len(actions) + 1)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, started + at - time.monotonic()))
        if stop.is_set():
            return
        moment = time.monotonic()
        if kind == "postgres":
            await asyncio.to_thread(restart_postgres)
        else:
            cluster.kill(kind, i)
            await asyncio.sleep(1)
            (cluster.start_api if kind == "api" else cluster.start_worker)(i)
            if kind == "api":
                await cluster.ready(i)
        done.append(
            f"{moment - started:6.1f} s  {kind} {'' if kind == 'postgres' else i} back after "
            f"{time.monotonic() - moment:.1f} s"
        )


async def prepare(db: Database, sink_url: str) -> dict[str, Any]:
    """The demo chain, keys for every client, and the webhook sink registered for every event."""
    await upgrade(db)
    async with db.write() as session:
        keys = await demo.seed(session)
        shipping = [loc.code for loc in await session.scalars(select(Location).where(Location.active)) if loc.can_ship]
        tablets = {
            code: (await auth.create_api_key(session, role=Role.STORE, name=f"tablet-{code}", location_code=code))[1]
            for code in shipping
        }
        _, integration_key = await auth.create_api_key(session, role=Role.INTEGRATION, name="wms")
        endpoint = SimpleNamespace(url=sink_url, secret=SINK_SECRET, active=True, event_types=None)
        await webhooks.save_endpoint(session, endpoint_id=None, fields=endpoint)
        skus = list(await session.scalars(select(Product.sku).order_by(Product.sku)))
    return {
        "storefront": keys.storefront,
        "admin": keys.admin,
        "tablets": tablets,
        "integration": integration_key,
        "skus": skus,
        "warehouses": shipping,
    }


async def caught_up(db: Database, sink: FakeReceiver, seen: list[list[str]]) -> set[int] | None:
    """The events so far, when every accepted order is routed and every event relayed, at the sink and at
    every subscriber; else None."""
    async with db.read() as session:
        waiting = await session.scalar(select(func.count()).select_from(Order).where(Order.status == "PLACED"))
        unrelayed = await session.scalar(
            select(func.count()).select_from(OrderEvent).where(OrderEvent.relayed_at.is_(None))
        )
        events = set(await session.scalars(select(OrderEvent.id)))
    web = await web_events(db)
    done = not waiting and not unrelayed and events <= delivered(sink) and all(web <= set(s) for s in seen)
    return events if done else None


def delivered(sink: FakeReceiver) -> set[int]:
    """The ids of the events the webhook sink received."""
    return {int(r.headers.get("X-OMS-Event-Id", 0)) for r in list(sink.received)}


async def web_events(db: Database) -> set[str]:
    async with db.read() as session:
        rows = await session.scalars(
            select(OrderEvent.id)
            .join(Order, Order.id == OrderEvent.order_id)
            .join(Channel)
            .where(Channel.code == "web")
        )
        return {str(i) for i in rows}


async def check(
    db: Database, accepted: dict[str, str], sink: FakeReceiver, seen: list[list[str]], logs: str, keys: dict[str, Any]
) -> dict[str, list[str]]:
    checks: dict[str, list[str]] = {}
    ids = {decode_id(order_id)[1] for order_id in accepted.values()}  # type: ignore[index]
    async with db.read() as session:
        rows = (await session.execute(select(Order.id, Order.idempotency_key, Order.status))).all()
        levels = list(await session.scalars(select(StockLevel)))
        kinds = dict((await session.execute(select(OrderEvent.id, OrderEvent.type))).all())
        events = set(kinds)
        skus = list(await session.scalars(select(Product.sku)))
    found = {row.id: row for row in rows}
    per_key = Counter(row.idempotency_key for row in rows)
    checks["every accepted order exists once"] = [f"order {i} missing" for i in ids - found.keys()] + [
        f"{key} placed {n} times" for key, n in per_key.items() if n > 1
    ]
    checks["every accepted order was routed"] = [
        f"order {i} still {found[i].status}" for i in ids & found.keys() if found[i].status == "PLACED"
    ]
    books: list[str] = []
    try:
        await check_books(db)
    except AssertionError as error:
        books.append(f"books do not balance: {str(error)[:300]}")
    books += [
        f"{lv.sku}@{lv.location_id}: {lv.reserved} reserved of {lv.on_hand}"
        for lv in levels
        if lv.reserved > lv.on_hand
    ]
    if not await promised_within_shippable(db, skus):
        books.append("more units promised than the shipping locations have")
    checks["no unit oversold"] = books
    checks["every event reached the webhook sink"] = [
        f"event {i} ({kinds[i]}) never delivered" for i in sorted(events - delivered(sink))
    ][:20]
    web = await web_events(db)
    subscribers = []
    for n, ids_seen in enumerate(seen):
        if len(ids_seen) != len(set(ids_seen)):
            subscribers.append(f"subscriber {n} saw {len(ids_seen) - len(set(ids_seen))} events twice")
        if missing := web - set(ids_seen):
            subscribers.append(f"subscriber {n} missed {len(missing)} events")
    checks["every subscriber saw every event once"] = subscribers
    every_key = [keys["storefront"], keys["admin"], keys["integration"], *keys["tablets"].values()]
    checks["logs are JSON lines without keys"] = log_problems(logs, every_key)
    return checks


def log_problems(logs: str, secrets: list[str]) -> list[str]:
    """Lines that are not one JSON object (the worker's start line on stdout aside), and keys written."""
    problems = [f"a key ending {key[-4:]} was logged" for key in secrets if key in logs]
    for line in logs.splitlines():
        if line.startswith("worker running"):
            continue
        try:
            json.loads(line)
        except ValueError:
            problems.append(f"not JSON: {line[:120]}")
    return problems[:10]


async def run(plan: Plan, folder: Path) -> Report:
    url = await new_database_url("postgresql", folder)
    Redis.from_url(REDIS_URL).flushdb()
    db = create_database(url)
    sink = FakeReceiver().start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OMS_")},
        "OMS_DATABASE_URL": url,
        "OMS_BROKER_URL": REDIS_URL,
        "OMS_RATE_LIMIT_URL": REDIS_URL,
        "OMS_LOG_LEVEL": "warning",
        # The key the webhook endpoint's secret is sealed with here (tests.conftest sets it): every process
        # must open it.
        "OMS_SECRET_KEYS": os.environ["OMS_SECRET_KEYS"],
        # A killed worker's messages go to another within seconds rather than a minute.
        "OMS_BROKER_HEARTBEAT_MS": "2000",
        "OMS_BROKER_MAINTENANCE_CHANCE": "1000000",
    }
    cluster = Cluster(env, folder)
    stats = Stats()
    accepted: dict[str, str] = {}
    done: list[str] = []
    try:
        keys = await prepare(db, sink.url)
        for i in (0, 1):
            cluster.start_api(i)
            cluster.start_worker(i)
        await asyncio.gather(cluster.ready(0), cluster.ready(1))
        stop, drained = asyncio.Event(), asyncio.Event()
        tablets = [(code, key, k) for code, key in keys["tablets"].items() for k in range(plan.tablets)]
        clients = [Client(cluster.bases, stats, turn=n) for n in range(plan.shoppers + len(tablets) + 1)]
        seen: list[list[str]] = [[] for _ in range(plan.subscribers)]
        listening = [
            asyncio.create_task(subscriber(n, cluster.bases, keys["admin"], stats, drained, seen[n]))
            for n in range(plan.subscribers)
        ]
        await asyncio.sleep(1)
        started = time.monotonic()
        every = plan.shoppers / plan.rate if plan.rate else 0.0
        load = [
            *[
                shopper(n, clients[n], keys["storefront"], keys["skus"], stop, accepted, every)
                for n in range(plan.shoppers)
            ],
            *[
                tablet(code, clients[plan.shoppers + i], key, stop, share=(k, plan.tablets))
                for i, (code, key, k) in enumerate(tablets)
            ],
            integration(clients[-1], keys["integration"], keys["warehouses"], stop),
        ]
        tasks = [asyncio.create_task(work) for work in load]
        fault_task = asyncio.create_task(faults(cluster, plan, stop, done))
        await asyncio.sleep(plan.seconds)
        stop.set()
        await asyncio.gather(*tasks, fault_task)
        seconds = time.monotonic() - started
        await db.engine.dispose()  # its connections did not live through the restart of PostgreSQL
        # The processes catch up with what was accepted: caught up twice, a second apart, with no new event
        # between (work still in flight, a payment call or a booking, makes events after the load).
        last: set[int] | None = None
        for _ in range(int(plan.drain_seconds)):
            now = await caught_up(db, sink, seen)
            if now is not None and now == last:
                break
            last = now
            await asyncio.sleep(1)
        drained.set()
        await asyncio.gather(*listening)
        for client in clients:
            await client.http.aclose()
        cluster.stop()
        checks = await check(db, accepted, sink, seen, cluster.logs(), keys)
        async with db.read() as session:
            shipped = await session.scalar(select(func.count()).where(Order.fulfilled_at.is_not(None)))
        return Report(plan, stats, seconds, len(accepted), int(shipped or 0), done, checks)
    finally:
        cluster.stop()
        sink.stop()
        await db.dispose()
        await drop_postgres_database(url)


def table(report: Report) -> str:
    stats = report.stats
    requests = (
        sum(len(times) for times in stats.latencies.values())
        + sum(stats.errors.values())
        - sum(n for (op, _), n in stats.errors.items() if op == "orderEvents")
    )
    out = [
        f"{report.seconds:.0f} s, 2 API processes, 2 workers, {report.plan.shoppers} shoppers, "
        f"{report.plan.subscribers} subscribers; {report.accepted} orders accepted "
        f"({report.accepted / report.seconds:.1f} orders/s), {report.shipped} carried to SHIPPED by "
        f"{report.plan.tablets} tablet(s) per location ({report.shipped / report.seconds:.1f}/s), {requests} requests "
        f"({requests / report.seconds:.0f}/s), {stats.pushed} events pushed to subscribers",
        "",
        f"{'operation':<18} {'ok':>8} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}",
    ]
    operations = sorted(set(stats.latencies) | {op for op, _ in stats.errors})
    for op in operations:
        times = sorted(stats.latencies.get(op, []))
        errors = sum(n for (o, _), n in stats.errors.items() if o == op)
        p50, p99 = (
            (quantiles(times, n=100)[49] * 1000, quantiles(times, n=100)[98] * 1000) if len(times) > 1 else (0, 0)
        )
        out.append(f"{op:<18} {len(times):>8} {errors:>7} {p50:>8.1f} {p99:>8.1f}")
    out += ["", "errors by kind:"]
    out += [f"  {op:<18} {kind:<40} {n:>6}" for (op, kind), n in stats.errors.most_common()] or ["  none"]
    out += ["", "outcomes of placeOrder:"] + [f"  {what:<40} {n:>6}" for what, n in stats.outcomes.most_common()]
    out += ["", "faults:"] + [f"  {line}" for line in report.faults]
    out += ["", "checks:"]
    for name, problems in report.checks.items():
        out.append(f"  {'PASS' if not problems else 'FAIL'}  {name}")
        out += [f"        {p}" for p in problems[:10]]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--kills", type=int, default=3, help="kills of a worker and of an API process, each")
    parser.add_argument("--shoppers", type=int, default=12)
    parser.add_argument("--subscribers", type=int, default=4)
    parser.add_argument("--tablets", type=int, default=1, help="tablets per shipping location")
    parser.add_argument("--no-postgres-restart", action="store_true")
    parser.add_argument("--rate", type=float, help="orders a second over all shoppers (default: as fast as they can)")
    args = parser.parse_args()
    if not args.no_postgres_restart and (why := postgres_restartable()):
        sys.exit(f"cannot restart PostgreSQL: {why}; run with --no-postgres-restart")
    plan = Plan(
        args.seconds,
        args.kills,
        not args.no_postgres_restart,
        args.shoppers,
        args.subscribers,
        tablets=args.tablets,
        rate=args.rate,
    )
    folder = Path(tempfile.mkdtemp(prefix="oms-faults-"))
    report = asyncio.run(run(plan, folder))
    print(table(report))
    print(f"\nthe processes' logs: {folder}")
    sys.exit(0 if report.passed else 1)


if __name__ == "__main__":
    main()
