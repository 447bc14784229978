"""The demo chain's master data that a history draws on."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from oms_graph.db.engine import Database
from oms_graph.db.models import (
    Channel,
    Location,
    Product,
)


@dataclass
class Chain:
    """The master data history draws on."""

    channels: dict[str, Channel]
    stores: list[Location]
    returns_at: list[str]
    products: list[tuple[str, str, Decimal]]  # sku, category, price


async def load_chain(db: Database) -> Chain:
    async with db.read() as session:
        channels = {c.code: c for c in await session.scalars(select(Channel))}
        locations = list(await session.scalars(select(Location).where(Location.active.is_(True))))
        products = list(await session.scalars(select(Product).order_by(Product.sku)))
    prices = random.Random(3)
    return Chain(
        channels=channels,
        stores=[loc for loc in locations if loc.can_pickup],
        returns_at=[loc.code for loc in locations if loc.can_return],
        products=[
            (p.sku, p.category, Decimal(prices.choice([9, 15, 20, 30, 45, 60, 90])) - Decimal("0.01")) for p in products
        ],
    )
