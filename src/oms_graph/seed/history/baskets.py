"""What a customer puts in the basket and how the channel sends the order."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace as Fields
from typing import Any

from oms_graph.domain.orders import FulfilmentMethod, PaymentMethod
from oms_graph.seed.history.chain import Chain
from oms_graph.seed.history.trade import CUSTOMERS


def basket(rng: random.Random, chain: Chain) -> list[tuple[str, int, Decimal]]:
    """A customer's basket: mostly one or two products, mostly one unit each."""
    size = rng.choices([1, 2, 3, 4], [55, 28, 12, 5])[0]
    picked = rng.sample(chain.products, size)
    return [(sku, rng.choices([1, 2, 3], [80, 15, 5])[0], price) for sku, _, price in picked]


def order_fields(
    rng: random.Random, chain: Chain, at: datetime, channel: str, lines: list[tuple[str, int, Decimal]], pickup: bool
) -> Any:
    """A placement's input, as a channel would send it: a customer in a region, delivered or picked up."""
    region, city, lat, lon, _ = rng.choices(CUSTOMERS, [c[4] for c in CUSTOMERS])[0]
    store = rng.choice(chain.stores).code if pickup else None
    cash = channel == "callcenter" and rng.random() < 0.5
    key = f"history-{at.timestamp():.6f}-{rng.random():.9f}"
    return Fields(
        channel=channel,
        idempotency_key=key,
        external_id=f"MP-{key[8:]}" if channel == "marketplace" else None,
        origin_location_code=None,
        note=None,
        customer=Fields(
            email=f"customer{rng.randint(1, 40_000)}@example.com", phone=None, name=None, external_id=None, tags=None
        ),
        lines=[Fields(sku=sku, quantity=q, unit_price=price) for sku, q, price in lines],
        delivery=Fields(
            method=FulfilmentMethod.PICKUP if store else FulfilmentMethod.DELIVERY,
            pickup_location_code=store,
            address=None
            if store
            else Fields(
                name=None,
                line1=f"Hauptstraße {rng.randint(1, 200)}",
                city=city,
                region=region,
                postal_code=None,
                country="DE",
                latitude=lat + rng.uniform(-0.1, 0.1),
                longitude=lon + rng.uniform(-0.1, 0.1),
            ),
            carrier=None,
            service=None,
            price=None,
            promised_date=None,
        ),
        payment=Fields(
            method=PaymentMethod.CASH_ON_DELIVERY if cash else PaymentMethod.PREPAID, provider=None, reference=None
        ),
    )
