"""A store's fulfilment queue with 500 open fulfilments, printed as a table. Run on demand:

    .venv/bin/python bench/fulfilment_queue.py [--open N] [--rounds R]

`fulfilments(locationCode, status: [ASSIGNED], first: 50)` with each fulfilment's order, lines and
shipment, asked by the store's key over loopback HTTP from `oms-graph serve` in its own process (p50, p95),
for the first page and a page deep in the queue; and the SELECTs one call sends, counted in-process for a
page of 5 and a page of 50 (target: the same number).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace as Input

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import _postgres_database, drop_postgres_database  # noqa: E402
from tests.factories import placement_fields, service_chain  # noqa: E402
from tests.statements import counting_selects  # noqa: E402

from bench.server import start_server  # noqa: E402
from oms_graph.app import create_app  # noqa: E402
from oms_graph.config import Settings  # noqa: E402
from oms_graph.db.engine import Database, create_database  # noqa: E402
from oms_graph.db.migrate import upgrade  # noqa: E402
from oms_graph.domain.access import Principal, Role  # noqa: E402
from oms_graph.domain.catalog import LocationCapability  # noqa: E402
from oms_graph.services import auth  # noqa: E402
from oms_graph.services.orders import placement  # noqa: E402
from oms_graph.services.routing import plan as routing  # noqa: E402
from oms_graph.services.stock import levels as stock  # noqa: E402

SKUS = [f"Q-{i:02d}" for i in range(20)]
QUEUE = """query($first: Int, $after: String) {
  fulfilments(locationCode: "ST-Q", status: [ASSIGNED], first: $first, after: $after) {
    edges { cursor node { id status createdAt order { number status customer { name } }
      lines { sku quantity } shipment { trackingNumber } location { code } } }
    pageInfo { hasNextPage endCursor } } }"""
ADMIN = Principal(key_id=uuid.uuid4(), name="bench", role=Role.ADMIN)


async def seed(db: Database, orders: int) -> str:
    """One store with plenty of stock and `orders` routed orders waiting there; the store's key."""
    async with db.write() as s:
        caps = [LocationCapability.SHIP, LocationCapability.PICKUP]
        await service_chain(s, locations=[("ST-Q", 52.52, 13.40, caps)], skus=SKUS)
        levels = [Input(sku=k, location_code="ST-Q", on_hand=100_000, safety_stock=0) for k in SKUS]
        await stock.set_stock_levels(s, inputs=levels, actor="bench")
        _, key = await auth.create_api_key(s, role=Role.STORE, name="bench-store", location_code="ST-Q")
    rng = random.Random(5)
    ids = []
    for n in range(orders):
        lines = [(sku, rng.randint(1, 3), "9.99") for sku in rng.sample(SKUS, 2)]
        async with db.write() as s:
            fields = placement_fields(f"q{n}", lines)
            ids.append((await placement.place_order(s, order=fields, principal=ADMIN, settings=Settings())).id)
    for order_id in ids:
        async with db.write() as s:
            await routing.route_order(s, order_id=order_id, batch=50)
    return key


def timed(base: str, key: str, rounds: int, after: str | None) -> tuple[float, float]:
    times = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        for _ in range(rounds):
            started = time.perf_counter()
            body = client.post("/graphql", json={"query": QUEUE, "variables": {"first": 50, "after": after}}).json()
            times.append((time.perf_counter() - started) * 1000)
            assert not body.get("errors"), body
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def cursor_after(base: str, key: str, pages: int) -> str | None:
    """The cursor after `pages` pages of 50."""
    cursor = None
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        for _ in range(pages):
            body = client.post("/graphql", json={"query": QUEUE, "variables": {"first": 50, "after": cursor}})
            cursor = body.json()["data"]["fulfilments"]["pageInfo"]["endCursor"]
    return cursor


async def selects_per_call(db: Database, url: str, key: str, first: int) -> int:
    app = create_app(Settings(database_url=url, background=False), db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        headers = {"Authorization": f"Bearer {key}"}
        await client.post("/graphql", json={"query": QUEUE, "variables": {"first": 1}}, headers=headers)  # warm
        with counting_selects(db) as seen:
            answer = await client.post(
                "/graphql", json={"query": QUEUE, "variables": {"first": first}}, headers=headers
            )
        assert len(answer.json()["data"]["fulfilments"]["edges"]) == first
    return len(seen)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    url = await _postgres_database()
    if url is None:
        sys.exit("PostgreSQL is unreachable (OMS_TEST_POSTGRES_URL)")
    db = create_database(url)
    try:
        await upgrade(db)
        key = await seed(db, args.open)
        five, fifty = await selects_per_call(db, url, key, 5), await selects_per_call(db, url, key, 50)
        process, base = start_server(url)
        try:
            first = await asyncio.to_thread(timed, base, key, args.rounds, None)
            deep = await asyncio.to_thread(cursor_after, base, key, 8)
            later = await asyncio.to_thread(timed, base, key, args.rounds, deep)
        finally:
            process.terminate()
            process.wait(timeout=15)
    finally:
        await db.dispose()
        await drop_postgres_database(url)
    print("benchmark (PostgreSQL)                                  | result")
    print("------------------------------------------------------- | ------")
    print(f"queue of {args.open} ASSIGNED, first 50 with order/lines | p50 {first[0]:.1f} ms, p95 {first[1]:.1f} ms")
    print(
        f"queue of {args.open} ASSIGNED, page 9 (after 400)            | p50 {later[0]:.1f} ms, p95 {later[1]:.1f} ms"
    )
    print(f"SELECTs per call, page of 5 / page of 50                | {five} / {fifty} (target: equal)")


if __name__ == "__main__":
    asyncio.run(main())
