"""A history made: the days' orders placed at their times, every step of their lives taken in time order."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from oms_graph.config import Settings
from oms_graph.db.base import utcnow
from oms_graph.db.engine import Database
from oms_graph.seed.history.chain import load_chain
from oms_graph.seed.history.lives import HOUR, History
from oms_graph.seed.history.trade import (
    HOUR_WEIGHT,
    order_days,
)
from oms_graph.tasks import actors


async def make_history(
    db: Database,
    settings: Settings,
    *,
    orders_total: int,
    days: int = 365,
    seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Place `orders_total` orders over the `days` days before now (the demo chain must be there) and take
    every step of their lives that falls before now; how many commands were skipped as not allowed."""
    actors.use_settings(
        settings.model_copy(update={"database_url": db.engine.url.render_as_string(hide_password=False)})
    )
    now = utcnow()
    end = now.replace(hour=0, minute=0, second=0, microsecond=0)
    history = History(db=db, settings=settings, chain=await load_chain(db), rng=random.Random(seed), now=now)
    placed = 0
    for n, count in enumerate(order_days(orders_total, days=days, end=end)):
        morning = end - timedelta(days=days - n)
        await history.until(morning + 6 * HOUR)
        await history.replenish(morning + 6 * HOUR)
        hours = history.rng.choices(range(24), HOUR_WEIGHT, k=count)
        for at in sorted(morning + timedelta(hours=h, seconds=history.rng.uniform(0, 3600)) for h in hours):
            await history.until(at)
            await history.place(at)
            placed += 1
            if progress is not None:
                progress(placed, orders_total)
    await history.until(now)
    return history.skipped
