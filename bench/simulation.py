"""What-if routing at scale, printed as a table. Run on demand:

    .venv/bin/python bench/simulation.py [--orders 100000]

On a throwaway PostgreSQL database: 200 shipping locations (20 warehouses, 180 stores with a daily
capacity), 200 skus held at about a third of them, and a month of delivery orders of the web channel (1 to
4 lines each, spread over 30 days), written straight into the tables as routing would have left them (each
with the location it was routed to). The simulation job then replays the month under the strategy that
routed it and under a candidate (warehouses only), as the worker runs it. Target: 100,000 orders in < 5
minutes, the worker's memory < 1 GB (its peak resident size, read from the kernel).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace as Input

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402
from tests.conftest import _postgres_database, drop_postgres_database  # noqa: E402
from tests.factories import service_chain  # noqa: E402

from oms_graph.db.base import utcnow  # noqa: E402
from oms_graph.db.dialect import insert_rows  # noqa: E402
from oms_graph.db.engine import Database, create_database  # noqa: E402
from oms_graph.db.migrate import upgrade  # noqa: E402
from oms_graph.db.models import Channel, Location, Order, OrderLine  # noqa: E402
from oms_graph.domain import strategies  # noqa: E402
from oms_graph.domain.catalog import LocationCapability  # noqa: E402
from oms_graph.services.routing import simulation  # noqa: E402
from oms_graph.services.routing import strategies as strategy_service  # noqa: E402
from oms_graph.services.stock import levels as stock  # noqa: E402

LOCATIONS, SKUS, WAREHOUSES = 200, [f"P-{i:03d}" for i in range(200)], 20
BATCH = 5000


async def build(db: Database, orders: int) -> uuid.UUID:
    rng = random.Random(5)
    ship = [LocationCapability.SHIP]
    locations = [(f"L-{i:03d}", 47.5 + rng.random() * 7, 6 + rng.random() * 9, ship) for i in range(LOCATIONS)]
    levels = [
        Input(sku=sku, location_code=code, on_hand=rng.randint(5, 400), safety_stock=0)
        for code, *_ in locations
        for sku in SKUS
        if rng.random() < 0.33
    ]
    start = utcnow() - timedelta(days=31)
    async with db.write() as session:
        await service_chain(session, locations=locations, skus=SKUS)
        for n in range(0, len(levels), 2000):
            await stock.set_stock_levels(session, inputs=levels[n : n + 2000], actor="bench")
        groups = [Input(code="WAREHOUSES", name="W", location_codes=[f"L-{i:03d}" for i in range(WAREHOUSES)])]
        await strategy_service.upsert_location_groups(session, inputs=groups, actor="bench")
    async with db.write() as session:  # the counts happened before the month
        await session.execute(text("UPDATE stock_movements SET at = :at"), {"at": start - timedelta(days=1)})
        channel = await session.scalar(select(Channel).where(Channel.code == "web"))
        ids = {code: loc_id for code, loc_id in (await session.execute(select(Location.code, Location.id))).all()}
    assert channel is not None
    for first in range(0, orders, BATCH):
        rows, lines = [], []
        for seq in range(first, min(orders, first + BATCH)):
            order_id = uuid.uuid4()
            at = start + timedelta(seconds=rng.random() * 30 * 86400)
            where = rng.choice(locations)
            rows.append(
                {
                    "id": order_id,
                    "seq": seq + 1,
                    "number": f"WEB-{seq + 1:08d}",
                    "channel_id": channel.id,
                    "idempotency_key": f"bench-{seq}",
                    "request_hash": "x",
                    "status": "SHIPPED",
                    "customer": {"email": "a@example.com"},
                    "delivery_method": "DELIVERY",
                    "delivery_address": {
                        "city": "X",
                        "country": "DE",
                        "latitude": 47.5 + rng.random() * 7,
                        "longitude": 6 + rng.random() * 9,
                    },
                    "delivery_price": Decimal(0),
                    "payment_method": "PREPAID",
                    "payment_provider": "manual",
                    "payment_status": "CAPTURED",
                    "subtotal": Decimal(20),
                    "total": Decimal(20),
                    "currency": "EUR",
                    "routing": {
                        "chosen": {"allocations": [{"locationCode": where[0], "locationId": str(ids[where[0]])}]}
                    },
                    "created_at": at,
                    "updated_at": at,
                }
            )
            for n, sku in enumerate(rng.sample(SKUS, rng.randint(1, 4))):
                lines.append(
                    {
                        "id": uuid.uuid4(),
                        "order_id": order_id,
                        "line_no": n + 1,
                        "sku": sku,
                        "name": sku,
                        "quantity": rng.randint(1, 2),
                        "unit_price": Decimal(10),
                        "quantity_cancelled": 0,
                        "quantity_shipped": 0,
                        "quantity_returned": 0,
                    }
                )
        async with db.write() as session:
            await insert_rows(session, Order.__table__, rows)  # type: ignore[arg-type]
            await insert_rows(session, OrderLine.__table__, lines)  # type: ignore[arg-type]
    async with db.write() as session:
        rule = strategies.Rule("warehouses only", effect=strategies.Effect(allow_groups=("WAREHOUSES",)))
        job = await simulation.start(
            session,
            channel_code="web",
            start_at=start,
            end_at=start + timedelta(days=31),
            candidate_rules=[rule],
            actor="bench",
        )
        return job.id


async def main(orders: int) -> None:
    url = await _postgres_database()
    assert url is not None, "PostgreSQL is needed"
    db = create_database(url)
    try:
        await upgrade(db)
        job_id = await build(db, orders)
        started = time.perf_counter()
        await simulation.run(db, simulation_id=job_id)
        took = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        async with db.read() as session:
            job = await simulation.get(session, simulation_id=job_id)
        assert job is not None and job.status == "DONE", job and job.error
        rows = [
            ("orders replayed (each twice)", f"{job.total:,}", "100,000"),
            ("time", f"{took:.0f} s", "< 300 s"),
            ("peak memory of the process", f"{peak_mb:.0f} MB", "< 1,024 MB"),
            (
                "actual: orders served",
                f"{job.results['actual']['orders'] - job.results['actual']['backorders']:,}",
                "-",
            ),
            ("candidate: backorders", f"{job.results['candidate']['backorders']:,}", "-"),
        ]
        widths = [max(len(r[i]) for r in [("figure", "value", "target"), *rows]) for i in range(3)]
        for i, row in enumerate([("figure", "value", "target"), *rows]):
            print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
            if i == 0:
                print(" | ".join("-" * w for w in widths))
    finally:
        await db.dispose()
        await drop_postgres_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().orders))
