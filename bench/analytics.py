"""Analytics on a year of 1,000,000 orders on PostgreSQL, printed as a table. Run on demand:

    .venv/bin/python bench/analytics.py [--orders 1000000] [--base 3000] [--rounds 5] [--keep]

The year is made in two parts. `--base` orders go through the real services on the simulated clock
(oms_graph.seed.history, as `oms-graph seed --history` does): placement, routing, fulfilment, carrier booking,
payments, cancellations, returns. That takes ~0.2 s an order, so the rest of the million are copies of
them made in SQL (new ids and numbers, a few minutes later on the same day, delivered to another region,
every other figure kept), which is what the queries read. Then the daily summaries are built once
(`analytics.refresh`, all days), and each query is asked over loopback HTTP from `oms-graph serve` in its
own process: median and worst of `--rounds`. Target: each under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import _postgres_database, drop_postgres_database  # noqa: E402

from bench.server import start_server  # noqa: E402
from oms_graph.config import Settings  # noqa: E402
from oms_graph.db.engine import Database, create_database  # noqa: E402
from oms_graph.db.migrate import upgrade  # noqa: E402
from oms_graph.domain.access import Role  # noqa: E402
from oms_graph.events.stream import Sequencer  # noqa: E402
from oms_graph.seed import demo  # noqa: E402
from oms_graph.seed.history import make_history  # noqa: E402
from oms_graph.services import auth  # noqa: E402
from oms_graph.services.analytics import summaries as sales_summary  # noqa: E402

# Each copy of an order: a new id from the old one and the copy number, the same day a little later.
COPY_ORDERS = """
INSERT INTO orders (id, seq, number, channel_id, idempotency_key, request_hash, external_id, status, hold_reason,
  customer, customer_email, delivery_method, delivery_address, pickup_location_id, carrier, service, delivery_price,
  payment_method, payment_provider, payment_reference, payment_status, subtotal, total, currency,
  origin_location_id, note, routing, fulfilled_at, created_at, updated_at)
SELECT md5(o.id::text || ':' || k)::uuid, o.seq + k * 100000000::bigint, o.number || '-C' || k, o.channel_id,
  o.idempotency_key || ':' || k, o.request_hash, o.external_id || ':' || k, o.status, o.hold_reason,
  o.customer, o.customer_email, o.delivery_method,
  CASE WHEN jsonb_typeof(o.delivery_address) IS DISTINCT FROM 'object' THEN o.delivery_address
       ELSE jsonb_set(o.delivery_address, '{region}', to_jsonb((ARRAY['DE-BE', 'DE-HH', 'DE-BY', 'DE-NW', 'DE-HE',
         'DE-BW', 'DE-NI', 'DE-SN'])[1 + (k + o.seq) % 8])) END,
  o.pickup_location_id, o.carrier, o.service,
  o.delivery_price, o.payment_method, o.payment_provider, o.payment_reference, o.payment_status, o.subtotal, o.total,
  o.currency, o.origin_location_id, o.note, o.routing, o.fulfilled_at + shift, o.created_at + shift,
  o.updated_at + shift
FROM orders o CROSS JOIN generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS k
CROSS JOIN LATERAL (SELECT make_interval(secs => (k * 7) % 600) AS shift) s
WHERE date_trunc('day', o.created_at + make_interval(secs => (k * 7) % 600)) = date_trunc('day', o.created_at)
"""
COPY_LINES = """
INSERT INTO order_lines (id, order_id, line_no, sku, name, quantity, unit_price, quantity_cancelled,
  quantity_shipped, quantity_returned)
SELECT md5(l.id::text || ':' || k)::uuid, md5(l.order_id::text || ':' || k)::uuid, l.line_no, l.sku, l.name,
  l.quantity, l.unit_price, l.quantity_cancelled, l.quantity_shipped, l.quantity_returned
FROM order_lines l CROSS JOIN generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS k
WHERE EXISTS (SELECT 1 FROM orders c WHERE c.id = md5(l.order_id::text || ':' || k)::uuid)
"""
COPY_FULFILMENTS = """
INSERT INTO fulfilments (id, order_id, location_id, method, status, rejection_reason, note, pickup_code,
  pickup_ready_at, pickup_expires_at, value, created_at, updated_at)
SELECT md5(f.id::text || ':' || k)::uuid, md5(f.order_id::text || ':' || k)::uuid, f.location_id, f.method, f.status,
  f.rejection_reason, f.note, f.pickup_code, f.pickup_ready_at, f.pickup_expires_at, f.value,
  f.created_at + make_interval(secs => (k * 7) % 600), f.updated_at + make_interval(secs => (k * 7) % 600)
FROM fulfilments f CROSS JOIN generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS k
WHERE EXISTS (SELECT 1 FROM orders c WHERE c.id = md5(f.order_id::text || ':' || k)::uuid)
"""
COPY_FULFILMENT_LINES = """
INSERT INTO fulfilment_lines (id, fulfilment_id, sku, quantity, quantity_picked)
SELECT md5(fl.id::text || ':' || k)::uuid, md5(fl.fulfilment_id::text || ':' || k)::uuid, fl.sku, fl.quantity,
  fl.quantity_picked
FROM fulfilment_lines fl CROSS JOIN generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS k
WHERE EXISTS (SELECT 1 FROM fulfilments c WHERE c.id = md5(fl.fulfilment_id::text || ':' || k)::uuid)
"""
SALES = """query($from: DateTime!, $to: DateTime!, $by: [SalesDimension!]!) { analytics {
  sales(from: $from, to: $to, groupBy: $by) { channel region category day currency orders units revenue } } }"""
LOAD = "{ analytics { storeLoad { location { code } openFulfilments assignedToday utilisation } } }"
TIMES = """query($from: DateTime!, $to: DateTime!) { analytics { fulfilmentTimes(from: $from, to: $to) {
  orders p50Hours p90Hours } } }"""
TURNOVER = """query($from: DateTime!, $to: DateTime!) { analytics {
  inventoryTurnover(from: $from, to: $to, groupBy: [CATEGORY]) { category unitsSold averageOnHand turnover } } }"""


async def build(db: Database, *, orders: int, base: int) -> dict[str, float]:
    """The year: `base` orders through the services, copies up to `orders`, the summaries; seconds each."""
    took = {}
    async with db.write() as session:
        await demo.seed(session)
    started = time.perf_counter()
    await make_history(db, Settings(), orders_total=base, days=365)
    sequencer = Sequencer(db, lambda: None)
    while await sequencer.sequence_once():
        pass
    took["history through the services"] = time.perf_counter() - started
    started = time.perf_counter()
    copies = -(-orders // base) - 1
    async with db.engine.connect() as conn:
        real = (await conn.execute(text("SELECT count(*) FROM orders"))).scalar_one()
    async with db.engine.begin() as conn:  # each statement reads only what was there before it
        for statement in (COPY_ORDERS, COPY_LINES, COPY_FULFILMENTS, COPY_FULFILMENT_LINES):
            await conn.execute(text(statement), {"first": 1, "last": copies})
        total = (await conn.execute(text("SELECT count(*) FROM orders"))).scalar_one()
    took[f"{total - real:,} copies in SQL"] = time.perf_counter() - started
    async with db.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does in time: index-only scans work
    started = time.perf_counter()
    days = await sales_summary.refresh(db, everything=True)
    took[f"summaries of {days} days (first refresh)"] = time.perf_counter() - started
    return took


def ask(base: str, key: str, query: str, variables: dict, rounds: int) -> tuple[float, float, int]:
    times, rows = [], 0
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as client:
        for _ in range(rounds):
            started = time.perf_counter()
            body = client.post("/graphql", json={"query": query, "variables": variables}).json()
            times.append((time.perf_counter() - started) * 1000)
            assert not body.get("errors"), body
            answer = next(iter(body["data"]["analytics"].values()))
            rows = len(answer) if isinstance(answer, list) else answer.get("orders", 1)
    return statistics.median(times), max(times), rows


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--base", type=int, default=3000, help="orders made through the services")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    args = parser.parse_args()
    url = await _postgres_database()
    if url is None:
        raise SystemExit("PostgreSQL is needed")
    db = create_database(url)
    try:
        await upgrade(db)
        took = await build(db, orders=args.orders, base=args.base)
        async with db.write() as session:
            _, key = await auth.create_api_key(session, role=Role.ANALYST, name="bench-analyst")
        async with db.engine.connect() as conn:
            orders = (await conn.execute(text("SELECT count(*) FROM orders"))).scalar_one()
            lines = (await conn.execute(text("SELECT count(*) FROM order_lines"))).scalar_one()
            summary = (await conn.execute(text("SELECT count(*) FROM sales_days"))).scalar_one()
        process, base = start_server(url)
        try:
            now = datetime.now(UTC)
            today = now.replace(hour=0, minute=0, second=0, microsecond=0)
            month = {"from": (today - timedelta(days=30)).isoformat(), "to": now.isoformat()}
            year = {"from": (today - timedelta(days=365)).isoformat(), "to": now.isoformat()}
            cases = [
                ("sales CHANNEL x DAY, 30 days", SALES, {**month, "by": ["CHANNEL", "DAY"]}),
                ("sales REGION x CATEGORY, a year", SALES, {**year, "by": ["REGION", "CATEGORY"]}),
                ("sales CATEGORY x LOCATION, a year", SALES, {**year, "by": ["CATEGORY", "LOCATION"]}),
                ("storeLoad, today", LOAD, {}),
                ("fulfilmentTimes, 30 days", TIMES, month),
                ("fulfilmentTimes, a year", TIMES, year),
                ("inventoryTurnover CATEGORY, a year (no target)", TURNOVER, year),
            ]
            results = [(name, *ask(base, key, query, variables, args.rounds)) for name, query, variables in cases]
        finally:
            process.terminate()
            process.wait()
    finally:
        await db.dispose()
        if not args.keep:
            await drop_postgres_database(url)
    print(f"\n{orders:,} orders, {lines:,} lines, {summary:,} summary rows (PostgreSQL, {args.rounds} rounds)")
    print(f"{'building':<52} {'seconds':>9}")
    for name, seconds in took.items():
        print(f"{name:<52} {seconds:>9.1f}")
    print(f"\n{'query (loopback HTTP)':<52} {'p50 ms':>9} {'max ms':>9} {'rows':>8}  target")
    for name, p50, worst, rows in results:
        verdict = "" if "no target" in name else ("< 1 s ok" if worst < 1000 else "OVER 1 s")
        print(f"{name:<52} {p50:>9.0f} {worst:>9.0f} {rows:>8}  {verdict}")
    if args.keep:
        print(f"\ndatabase kept: {url}")


if __name__ == "__main__":
    asyncio.run(main())
