"""`oms-graph seed --history N`: orders of the past year made through the services, and the summaries
built from them agreeing with the orders themselves."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import func, select

from oms_graph.db.base import utcnow
from oms_graph.db.engine import Database
from oms_graph.db.models import Order, OrderEvent, SalesDay, StockLevel
from oms_graph.domain.analytics import Dimension
from oms_graph.domain.orders import OrderStatus
from oms_graph.services.analytics import reports as analytics
from oms_graph.services.analytics import summaries as sales_summary

ORDERS, DAYS = 40, 12


def seed(db: Database) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMS_DATABASE_URL": db.engine.url.render_as_string(hide_password=False)}
    command = [sys.executable, "-m", "oms_graph.cli", "seed", "--history", str(ORDERS), "--days", str(DAYS)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]  # the traceback, when it failed
    return done


async def test_seed_history_places_the_orders_over_the_days_with_their_lives_and_summaries(db: Database) -> None:
    # In a thread: this process's own server (the session's) may be inside a write transaction of this
    # SQLite file; a blocked event loop would hold it, and its lock, for as long as the seed waits on it.
    done = await asyncio.to_thread(seed, db)
    assert f"{ORDERS}/{ORDERS} orders" in done.stderr  # the progress bar
    assert f"history: {ORDERS} orders over {DAYS} days" in done.stdout
    now = utcnow()
    async with db.read() as session:
        placed = list(await session.execute(select(Order.created_at, Order.status)))
        unsequenced = await session.scalar(select(func.count()).where(OrderEvent.position.is_(None)))
        negative = await session.scalar(select(func.count()).where(StockLevel.on_hand < StockLevel.reserved))
    assert len(placed) == ORDERS
    assert all(now - timedelta(days=DAYS + 1) <= at < now for at, _ in placed)
    statuses = {status for _, status in placed}
    assert OrderStatus.COMPLETED.value in statuses  # delivered and collected orders, store sales
    old = [status for at, status in placed if at < now - timedelta(days=8)]
    assert all(s in ("COMPLETED", "CANCELLED") for s in old), old  # lives older than a week are over
    assert unsequenced == 0 and negative == 0

    # The summaries (whole days) answer what the orders themselves say.
    start, end = now - timedelta(days=DAYS + 2), now + timedelta(days=1)
    for group_by in ([Dimension.CHANNEL, Dimension.DAY], [Dimension.REGION, Dimension.CATEGORY], [Dimension.LOCATION]):
        async with db.read() as session:
            assert await session.scalar(select(func.count()).select_from(SalesDay)) > 0
            summarised = dict(await analytics.sales(session, start=start, end=end, group_by=group_by))
            computed = await sales_summary.computed(session, spans=[(start, end)], group_by=group_by)
        assert summarised.keys() == computed.keys()
        for key, figures in computed.items():
            got = summarised[key]
            assert (got.orders, got.units, got.revenue, got.cancelled_units, got.returned_units) == (
                figures.orders,
                figures.units,
                figures.revenue,
                figures.cancelled_units,
                figures.returned_units,
            ), key
        if Dimension.CHANNEL in group_by:  # each order in one channel on one day
            assert sum(f.orders for f in computed.values()) == ORDERS
