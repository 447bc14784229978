"""Placed orders are routed in the background by real processes: embedded, and serve + worker on Redis."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import String

from tests.conftest import REDIS_URL, drop_postgres_database, free_port, new_database_url, redis_available
from tests.e2e.test_embedded_server import clean_env, cli

ORDER = """mutation { placeOrder(input: {channel: "web", idempotencyKey: "bg-1", customer: {email: "a@example.com"},
  lines: [{sku: "APP-0001", quantity: 1, unitPrice: "19.99"}],
  delivery: {method: DELIVERY, address: {line1: "Unter den Linden 1", city: "Berlin", country: "DE",
                                         latitude: 52.517, longitude: 13.389}},
  payment: {method: PREPAID}}) { order { id } errors { code message } } }"""
STATUS = "query($id: ID) { order(id: $id) { status routing { chosen { allocations { location { code } } } } } }"
WITH_FULFILMENTS = """query($id: ID) { order(id: $id) { id status fulfilments { id }
  routing { chosen { allocations { location { code } } } } } }"""
STATUS_AND_EVENTS = """query($id: ID) { order(id: $id) { status events { type }
  routing { chosen { allocations { lines { quantity } } } } } }"""


def start(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "oms_graph.cli", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "server exited"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail("server did not start")


def seed(cwd: Path, env: dict[str, str]) -> str:
    out = cli("seed", "--demo", cwd=cwd, env=env)
    assert out.returncode == 0, out.stderr
    return next(line.rsplit(" ", 1)[1] for line in out.stdout.splitlines() if line.startswith("ADMIN"))


def place(base: str, key: str) -> str:
    headers = {"authorization": f"Bearer {key}"}
    placed = httpx.post(f"{base}/graphql", json={"query": ORDER}, headers=headers).json()["data"]["placeOrder"]
    assert placed["errors"] == [], placed
    return placed["order"]["id"]


def wait_until_routed(base: str, key: str, order_id: str, query: str = STATUS, seconds: float = 30) -> dict:
    """The order once it has left PLACED (routed or backordered)."""
    headers = {"authorization": f"Bearer {key}"}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        order = httpx.post(
            f"{base}/graphql", json={"query": query, "variables": {"id": order_id}}, headers=headers
        ).json()["data"]["order"]
        if order["status"] != "PLACED":
            return order
        time.sleep(0.2)
    pytest.fail(f"the order was not routed within {seconds} s")


def place_and_wait_routed(base: str, key: str) -> dict:
    return wait_until_routed(base, key, place(base, key))


def test_embedded_serve_routes_placed_orders_in_process(tmp_path):
    env = clean_env()
    key = seed(tmp_path, env)
    port = free_port()
    server = start(["serve", "--port", str(port)], env, tmp_path)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, server)
        order = place_and_wait_routed(base, key)
        assert order["status"] == "ROUTED"
        assert order["routing"]["chosen"]["allocations"][0]["location"]["code"]
        # a what-if simulation goes through the outbox to the in-process worker, which runs it
        simulated = wait_until_simulated(base, key)
        assert (simulated["status"], simulated["total"]) == ("DONE", 1)
        assert simulated["actual"]["sameAsActual"] == 1
    finally:
        server.terminate()
        server.wait(timeout=15)


SIMULATE = """mutation($from: DateTime!, $to: DateTime!) { simulateRouting(input: {channel: "web", from: $from,
  to: $to, rules: []}) { simulation { id } errors { code message } } }"""
SIMULATION = """query($id: ID!) { routingSimulation(id: $id) { status total actual { sameAsActual } } }"""


def wait_until_simulated(base: str, key: str, seconds: float = 30) -> dict:
    """Start a simulation of the last hour's web orders; it once its worker finished it."""
    headers = {"authorization": f"Bearer {key}"}
    now = time.time()
    span = {
        "from": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 3600)),
        "to": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now + 60)),
    }
    started = httpx.post(f"{base}/graphql", json={"query": SIMULATE, "variables": span}, headers=headers).json()
    assert started["data"]["simulateRouting"]["errors"] == [], started
    sim_id = started["data"]["simulateRouting"]["simulation"]["id"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        asked = {"query": SIMULATION, "variables": {"id": sim_id}}
        found = httpx.post(f"{base}/graphql", json=asked, headers=headers).json()["data"]["routingSimulation"]
        if found["status"] in ("DONE", "FAILED"):
            return found
        time.sleep(0.2)
    pytest.fail(f"the simulation did not finish within {seconds} s")


async def route_with_serve_and_a_worker(
    tmp_path: Path,
    broker_url: str,
    then: Callable[[str, str, dict], dict] | None = None,
    placed: Callable[[str, str], str] = place,
) -> dict:
    """A PostgreSQL database, `serve` and one `worker` on the broker; an order placed (by `placed(base, key)`,
    which answers its id) and routed (and, with `then`, what `then(base, key, order)` answers while the
    processes still run)."""
    url = await new_database_url("postgresql", tmp_path)
    env = clean_env(OMS_DATABASE_URL=url, OMS_BROKER_URL=broker_url)
    processes = []
    try:
        assert cli("migrate", cwd=tmp_path, env=env).returncode == 0
        key = seed(tmp_path, env)
        port = free_port()
        processes.append(start(["serve", "--port", str(port)], env, tmp_path))
        processes.append(start(["worker", "--threads", "2"], env, tmp_path))
        base = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_ready, base, processes[0])
        order_id = await asyncio.to_thread(placed, base, key)
        order = await asyncio.to_thread(wait_until_routed, base, key, order_id, WITH_FULFILMENTS)
        return order if then is None else await asyncio.to_thread(then, base, key, order)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)
        await drop_postgres_database(url)


async def test_serve_and_a_worker_on_postgresql_and_redis_route_placed_orders(tmp_path):
    if not redis_available():
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    assert (await route_with_serve_and_a_worker(tmp_path, REDIS_URL))["status"] == "ROUTED"


async def test_a_worker_killed_while_routing_leaves_the_order_to_another_routed_exactly_once(tmp_path):
    if not redis_available():
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    url = await new_database_url("postgresql", tmp_path)
    env = clean_env(
        OMS_DATABASE_URL=url,
        OMS_BROKER_URL=REDIS_URL,
        OMS_BROKER_HEARTBEAT_MS="2000",
        OMS_BROKER_MAINTENANCE_CHANCE="1000000",
    )
    processes: list[subprocess.Popen[bytes]] = []
    try:
        assert cli("migrate", cwd=tmp_path, env=env).returncode == 0
        key = seed(tmp_path, env)
        port = free_port()
        processes.append(start(["serve", "--port", str(port)], env, tmp_path))
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, processes[0])
        slow = start(["worker", "--threads", "1"], {**env, "OMS_TEST_ROUTE_PAUSE": "30"}, tmp_path)
        processes.append(slow)
        order_id = place(base, key)
        assert await routing_in_progress(url), "the slow worker never started routing"
        slow.kill()  # kill -9 in the middle of the routing transaction
        slow.wait()
        processes.append(start(["worker", "--threads", "1"], env, tmp_path))
        order = await asyncio.to_thread(wait_until_routed, base, key, order_id, STATUS_AND_EVENTS, 60)
        assert order["status"] == "ROUTED"
        assert [e["type"] for e in order["events"]].count("ORDER_ROUTED") == 1
        assert sum(line["quantity"] for line in order["routing"]["chosen"]["allocations"][0]["lines"]) == 1
        assert await reserved_units(url) == 1
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=15)
        await drop_postgres_database(url)


async def routing_in_progress(url: str) -> bool:
    """Whether some session of the database sits in an open transaction (the paused routing)."""
    from sqlalchemy import text

    from oms_graph.db.engine import create_database

    db = create_database(url)
    name = url.rsplit("/", 1)[1]
    try:
        for _ in range(100):
            async with db.engine.connect() as conn:
                busy = await conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = :name AND state = 'idle in transaction'"
                    ),
                    {"name": name},
                )
            if busy:
                return True
            await asyncio.sleep(0.1)
        return False
    finally:
        await db.dispose()


async def reserved_units(url: str) -> int:
    from sqlalchemy import func, select

    from oms_graph.db.engine import create_database
    from oms_graph.db.models import StockLevel

    db = create_database(url)
    try:
        async with db.read() as session:
            return int(await session.scalar(select(func.sum(StockLevel.reserved))) or 0)
    finally:
        await db.dispose()


RABBITMQ_URL = os.environ.get("OMS_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def rabbitmq_available() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=2):
            return True
    except OSError:
        if os.environ.get("OMS_REQUIRE_RABBITMQ") == "1":
            pytest.fail("RabbitMQ is required (OMS_REQUIRE_RABBITMQ=1) but unreachable")
        return False


async def test_serve_and_a_worker_on_rabbitmq_route_placed_orders(tmp_path):
    if not rabbitmq_available():
        pytest.skip("RabbitMQ unreachable on 127.0.0.1:5672")
    assert (await route_with_serve_and_a_worker(tmp_path, RABBITMQ_URL))["status"] == "ROUTED"


def pack_ship_and_wait_paid(base: str, key: str, order: dict) -> dict:
    """The routed order's fulfilment accepted, picked and packed over HTTP; once booked, shipped; its
    shipment and payment once the worker captured it."""
    headers = {"authorization": f"Bearer {key}"}

    def run(query: str, **variables: object) -> dict:
        body = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers).json()
        assert not body.get("errors"), body
        return body["data"]

    fid = order["fulfilments"][0]["id"]
    lines = run("query($id: ID!) { node(id: $id) { ... on Fulfilment { lines { sku quantity } } } }", id=fid)
    picked = [{"sku": x["sku"], "quantity": x["quantity"]} for x in lines["node"]["lines"]]
    run("mutation($id: ID!) { acceptFulfilment(id: $id) { errors { code } } }", id=fid)
    run("mutation($id: ID!, $l: [PickedLineInput!]!) { pickFulfilment(id: $id, lines: $l) { errors { code } } }",
        id=fid, l=picked)  # fmt: skip
    run("mutation($id: ID!) { packFulfilment(id: $id, parcels: [{weightGrams: 500}]) { errors { code } } }", id=fid)
    shipment = "query($id: ID!) { node(id: $id) { ... on Fulfilment { shipment { status trackingNumber } } } }"
    booked = wait_for(lambda: run(shipment, id=fid)["node"]["shipment"], lambda s: s["status"] != "BOOKING")
    if booked["status"] != "BOOKED":
        return {"shipment": booked}
    run("mutation($id: ID!) { shipFulfilment(id: $id) { errors { code } } }", id=fid)
    payment = "query($id: ID!) { order(id: $id) { paymentStatus payments { kind status amount } } }"
    paid = wait_for(lambda: run(payment, id=order["id"])["order"], lambda o: o["paymentStatus"] != "AUTHORIZED")
    return {"shipment": booked, "payment": paid}


def wait_for(read: Callable[[], dict], done: Callable[[dict], bool], seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = read()
        if done(found):
            return found
        time.sleep(0.2)
    pytest.fail(f"nothing happened within {seconds} s: {found}")


async def test_a_worker_on_redis_books_the_carrier_and_captures_the_payment_of_a_shipment(tmp_path):
    if not redis_available():
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    done = await route_with_serve_and_a_worker(tmp_path, REDIS_URL, then=pack_ship_and_wait_paid)
    assert done["shipment"]["status"] == "BOOKED" and done["shipment"]["trackingNumber"].startswith("CR")
    assert done["payment"]["paymentStatus"] == "CAPTURED"
    assert [(p["kind"], p["status"]) for p in done["payment"]["payments"]] == [("CAPTURE", "SUCCEEDED")]


async def test_a_worker_killed_while_delivering_a_webhook_leaves_it_to_another_delivered_with_the_same_id(tmp_path):
    if not redis_available():
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    from tests.fakes.receiver import FakeReceiver

    receiver = FakeReceiver().start()
    url = await new_database_url("postgresql", tmp_path)
    env = clean_env(
        OMS_DATABASE_URL=url,
        OMS_BROKER_URL=REDIS_URL,
        OMS_BROKER_HEARTBEAT_MS="2000",
        OMS_BROKER_MAINTENANCE_CHANCE="1000000",
    )
    processes: list[subprocess.Popen[bytes]] = []
    try:
        ids, deliveries = await asyncio.to_thread(kill_while_delivering, tmp_path, env, receiver, processes)
        assert len(ids) >= 2 and len(set(ids)) == 1  # delivered again, with the same event id
        assert deliveries == [{"eventId": ids[0], "status": "DELIVERED"}]
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=15)
        receiver.stop()
        await drop_postgres_database(url)


def kill_while_delivering(tmp_path: Path, env: dict[str, str], receiver, processes: list) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    """serve and a worker that pauses after its webhook POST; the worker killed there, another started:
    the event ids the receiver got, and the delivery log once it settled."""
    assert cli("migrate", cwd=tmp_path, env=env).returncode == 0
    key = seed(tmp_path, env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"authorization": f"Bearer {key}"}

    def run(query: str, **variables: object) -> dict:
        return httpx.post(f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers).json()

    processes.append(start(["serve", "--port", str(port)], env, tmp_path))
    wait_ready(base, processes[0])
    save = """mutation($url: String!) { saveWebhookEndpoint(input: {url: $url, secret: "whsec-0123456789abcdef",
      eventTypes: ["ORDER_PLACED"]}) { errors { code } } }"""
    assert run(save, url=receiver.url)["data"]["saveWebhookEndpoint"]["errors"] == []
    time.sleep(6)  # the relay looks endpoints up every 5 s
    slow = start(["worker", "--threads", "1"], {**env, "OMS_TEST_WEBHOOK_PAUSE": "30"}, tmp_path)
    processes.append(slow)
    place(base, key)
    assert receiver.got.wait(30), "the slow worker never delivered"
    slow.kill()  # kill -9 after the POST, before the delivery was logged
    slow.wait()
    processes.append(start(["worker", "--threads", "1"], env, tmp_path))
    deadline = time.monotonic() + 60
    while len(receiver.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    ids = [r.headers.get("X-OMS-Event-Id") for r in receiver.received]
    deliveries: list = []
    while time.monotonic() < deadline + 30:
        log = run("{ webhookEndpoints { deliveries { eventId status } } }")["data"]
        deliveries = log["webhookEndpoints"][0]["deliveries"]
        if deliveries and deliveries[0]["status"] == "DELIVERED":
            break
        time.sleep(0.2)
    return ids, deliveries


async def test_a_worker_killed_mid_file_leaves_no_half_batch_and_the_file_is_applied_once(tmp_path):
    """A delta file without movement ids: a batch applied twice, or half of one, would show in the totals."""
    if not redis_available():
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    url = await new_database_url("postgresql", tmp_path)
    env = clean_env(
        OMS_DATABASE_URL=url,
        OMS_BROKER_URL=REDIS_URL,
        OMS_BROKER_HEARTBEAT_MS="2000",
        OMS_BROKER_MAINTENANCE_CHANCE="1000000",
        OMS_IMPORT_BATCH_ROWS="500",
    )
    processes: list[subprocess.Popen[bytes]] = []
    try:
        assert cli("migrate", cwd=tmp_path, env=env).returncode == 0
        key = seed(tmp_path, env)
        before, levels = await stock_totals(url)
        rows = [f"{sku},{code},2" for sku, code in levels[:3000]]
        assert len(rows) > 2000  # several batches of 500
        port = free_port()
        processes.append(start(["serve", "--port", str(port)], env, tmp_path))
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, processes[0])
        slow = start(["worker", "--threads", "1"], {**env, "OMS_TEST_IMPORT_PAUSE": "1"}, tmp_path)
        processes.append(slow)
        body = "sku,locationCode,delta\n" + "\n".join(rows) + "\n"
        answer = await asyncio.to_thread(
            httpx.post,
            f"{base}/imports/stock?mode=delta",
            content=body,
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["id"]
        assert await import_mid_batch(url), "the slow worker never got into the file"
        slow.kill()  # kill -9 with a batch's transaction open
        slow.wait()
        processes.append(start(["worker", "--threads", "1"], env, tmp_path))
        job = await asyncio.to_thread(wait_until_imported, base, key, job_id, 90)
        assert (job["status"], job["rowsDone"], job["rowsRefused"]) == ("DONE", len(rows), 0)
        after, _ = await stock_totals(url)
        assert after == before + 2 * len(rows)
        assert await ledger_equals_levels(url)
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=15)
        await drop_postgres_database(url)


async def stock_totals(url: str) -> tuple[int, list[tuple[str, str]]]:
    """The units on hand in all, and every (sku, location code) with a level."""
    from sqlalchemy import func, select

    from oms_graph.db.engine import create_database
    from oms_graph.db.models import Location, StockLevel

    db = create_database(url)
    try:
        async with db.read() as session:
            total = int(await session.scalar(select(func.sum(StockLevel.on_hand))) or 0)
            keys = (
                await session.execute(
                    select(StockLevel.sku, Location.code).join(Location).order_by(StockLevel.sku, Location.code)
                )
            ).all()
        return total, [(sku, code) for sku, code in keys]
    finally:
        await db.dispose()


async def import_mid_batch(url: str) -> bool:
    """Whether a batch of the file was applied and the next one is open (the paused worker)."""
    from sqlalchemy import select

    from oms_graph.db.engine import create_database
    from oms_graph.db.models import StockImport

    db = create_database(url)
    try:
        for _ in range(300):
            async with db.read() as session:
                done = await session.scalar(select(StockImport.rows_done))
            if done and await routing_in_progress(url):
                return True
            await asyncio.sleep(0.1)
        return False
    finally:
        await db.dispose()


async def ledger_equals_levels(url: str) -> bool:
    from sqlalchemy import func, select

    from oms_graph.db.engine import create_database
    from oms_graph.db.models import StockLevel, StockMovement

    db = create_database(url)
    try:
        async with db.read() as session:
            moved = dict(
                (
                    await session.execute(
                        select(
                            StockMovement.sku + "@" + func.cast(StockMovement.location_id, String),
                            func.sum(StockMovement.delta),
                        ).group_by(StockMovement.sku, StockMovement.location_id)
                    )
                ).all()
            )
            levels = dict(
                (
                    await session.execute(
                        select(StockLevel.sku + "@" + func.cast(StockLevel.location_id, String), StockLevel.on_hand)
                    )
                ).all()
            )
        return {k: v for k, v in moved.items() if v} == {k: v for k, v in levels.items() if v}
    finally:
        await db.dispose()


def wait_until_imported(base: str, key: str, job_id: str, seconds: float) -> dict:  # type: ignore[type-arg]
    query = "query($id: ID!) { stockImport(id: $id) { status rowsDone rowsRefused } }"
    deadline = time.monotonic() + seconds
    job: dict = {}  # type: ignore[type-arg]
    while time.monotonic() < deadline:
        answer = httpx.post(
            f"{base}/graphql",
            json={"query": query, "variables": {"id": job_id}},
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        job = answer.json()["data"]["stockImport"]
        if job["status"] in ("DONE", "FAILED"):
            return job
        time.sleep(0.5)
    return job


PICKUP_STORE = "ST-BER-STE"  # a click & collect store of the demo chain


def graphql(base: str, key: str) -> Callable[..., dict]:
    def run(query: str, **variables: object) -> dict:
        body = httpx.post(
            f"{base}/graphql", json={"query": query, "variables": variables}, headers={"authorization": f"Bearer {key}"}
        ).json()
        assert not body.get("errors"), body
        payload = next(iter(body["data"].values()))
        assert not (isinstance(payload, dict) and payload.get("errors")), payload
        return body["data"]

    return run


def place_pickup_the_store_lacks(base: str, key: str) -> str:
    """Transfers to pickups allowed on the web channel; a pickup of 2 units its store has none of."""
    run = graphql(base, key)
    profile = (
        'mutation { updateRoutingProfile(input: {channel: "web", distanceWeight: 1, costWeight: 1, '
        "priorityWeight: 0.5, splitPenalty: 5, maxSplits: 3, allowShipFromStore: true, "
        "allowTransferToPickup: true}) { errors { code } } }"
    )
    run(profile)
    stock = "mutation($l: [StockLevelInput!]!) { setStockLevels(input: $l) { errors { code } } }"
    run(stock, l=[{"sku": "APP-0001", "locationCode": PICKUP_STORE, "onHand": 0}])
    order = (
        'mutation { placeOrder(input: {channel: "web", idempotencyKey: "bg-pickup", '
        'customer: {email: "a@example.com"}, lines: [{sku: "APP-0001", quantity: 2, unitPrice: "19.99"}], '
        f'delivery: {{method: PICKUP, pickupLocationCode: "{PICKUP_STORE}"}}, payment: {{method: PREPAID}}}}) '
        "{ order { id } errors { code message } } }"
    )
    return run(order)["placeOrder"]["order"]["id"]


def bring_and_collect(base: str, key: str, order: dict) -> dict:
    """The order's transfer worked at its source and received at the store over HTTP; then the pickup
    prepared and collected. The order, its fulfilments and transfers at the end."""
    run = graphql(base, key)
    fields = "id status lines { sku quantity }"
    inbound = run(
        f"query($loc: String) {{ transfers(locationCode: $loc, direction: INBOUND) {{ {fields} }} }}", loc=PICKUP_STORE
    )["transfers"]
    assert [t["status"] for t in inbound] == ["REQUESTED"], inbound
    transfer = inbound[0]
    lines = [{"sku": x["sku"], "quantity": x["quantity"]} for x in transfer["lines"]]
    payload = f"{{ transfer {{ {fields} }} errors {{ code }} }}"
    run(f"mutation($id: ID!) {{ acceptTransfer(id: $id) {payload} }}", id=transfer["id"])
    run(f"mutation($id: ID!, $l: [PickedLineInput!]!) {{ pickTransfer(id: $id, lines: $l) {payload} }}",
        id=transfer["id"], l=lines)  # fmt: skip
    run(f"mutation($id: ID!) {{ packTransfer(id: $id) {payload} }}", id=transfer["id"])
    run(f"mutation($id: ID!) {{ shipTransfer(id: $id) {payload} }}", id=transfer["id"])
    got = [{"sku": x["sku"], "received": x["quantity"], "damaged": 0} for x in transfer["lines"]]
    run(f"mutation($id: ID!, $l: [TransferReceivedLineInput!]!) {{ receiveTransfer(id: $id, lines: $l) {payload} }}",
        id=transfer["id"], l=got)  # fmt: skip
    fulfilment = run("query($id: ID) { order(id: $id) { fulfilments { id status } } }", id=order["id"])
    (pickup,) = fulfilment["order"]["fulfilments"]
    assert pickup["status"] == "ASSIGNED", pickup  # in the store's queue once the units landed
    run("mutation($id: ID!) { acceptFulfilment(id: $id) { errors { code } } }", id=pickup["id"])
    run("mutation($id: ID!, $l: [PickedLineInput!]!) { pickFulfilment(id: $id, lines: $l) { errors { code } } }",
        id=pickup["id"], l=[{"sku": "APP-0001", "quantity": 2}])  # fmt: skip
    ready = run(
        "mutation($id: ID!) { markReadyForPickup(id: $id) { fulfilment { pickupCode } errors { code } } }",
        id=pickup["id"],
    )
    code = ready["markReadyForPickup"]["fulfilment"]["pickupCode"]
    run("mutation($id: ID!, $c: String!) { collectFulfilment(id: $id, pickupCode: $c) { errors { code } } }",
        id=pickup["id"], c=code)  # fmt: skip
    final = "query($id: ID) { order(id: $id) { status fulfilments { status } transfers { status } } }"
    return run(final, id=order["id"])["order"]


async def test_a_pickup_at_a_store_without_the_sku_is_collected_after_a_transfer_with_serve_and_a_worker(tmp_path):
    if not redis_available():
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    done = await route_with_serve_and_a_worker(
        tmp_path, REDIS_URL, then=bring_and_collect, placed=place_pickup_the_store_lacks
    )
    assert done == {
        "status": "COMPLETED",
        "fulfilments": [{"status": "COLLECTED"}],
        "transfers": [{"status": "RECEIVED"}],
    }
