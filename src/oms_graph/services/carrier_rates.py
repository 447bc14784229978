"""Carriers' own prices at checkout. deliveryOptions prices every carrier by the table first; a carrier set
up as a connector whose adapter quotes (CDEK's calculator) is then asked, all of them at once, outside any
transaction, within a time budget. An answer in time replaces the table's price and date; a slower carrier
keeps the table's, and its late answer is kept (for CACHE_SECONDS) for the next checkout of the same parcels
and places. Every call made is recorded on its connector, as the actors' calls are."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.adapters.carriers import Parcel, Quoting, Rate, RateRequest, connected_carrier
from oms_graph.db.engine import Database
from oms_graph.domain import delivery as rules
from oms_graph.domain.connectors import ADAPTERS, ConnectorKind
from oms_graph.domain.delivery import RateAsk, RatePart
from oms_graph.domain.orders import FulfilmentMethod
from oms_graph.services import connectors
from oms_graph.services.connectors import Configured
from oms_graph.services.fulfilment.delivery_options import DeliveryOption

CACHE_SECONDS = 600.0
MAX_KEPT = 10_000  # answers kept per process at most: past it, the expired go, then the oldest


@dataclass(frozen=True)
class Priced:
    price: Decimal
    estimated_date: date


# (connector id, its settings, origin, recipient, grams) -> (rate, monotonic time it is good until)
_cache: dict[tuple[Any, ...], tuple[Rate, float]] = {}
_late: set[asyncio.Task[Priced | None]] = set()  # asks past the budget, left to finish and fill the cache


async def at_checkout(session: AsyncSession) -> tuple[list[str], dict[str, Configured]]:
    """The enabled carrier connectors' names (each offered at checkout), and those whose adapter quotes,
    opened for it, by name."""
    found = [c for c in await connectors.list_connectors(session, kind=ConnectorKind.CARRIER) if c.enabled]
    quoting = {c.name: connectors.opened(c) for c in found if c.adapter in ADAPTERS and ADAPTERS[c.adapter].quotes}
    return [c.name for c in found], quoting


async def priced(
    options: Sequence[DeliveryOption], quoting: Mapping[str, Configured], *, budget: float, db: Database
) -> list[DeliveryOption]:
    """The options with each quoting carrier's own price where it answered within `budget` seconds; the
    deliveries cheapest first again, the pickups after them as they were."""
    asked = {
        i: asyncio.ensure_future(_price(quoting[o.carrier], o.ask, o.currency, db))
        for i, o in enumerate(options)
        if o.ask is not None and o.carrier is not None and o.carrier in quoting
    }
    if not asked:
        return list(options)
    done, pending = await asyncio.wait(asked.values(), timeout=budget)
    for task in pending:
        _late.add(task)
        task.add_done_callback(_late.discard)
    out = list(options)
    for i, task in asked.items():
        if task in done and task.exception() is None and (answer := task.result()) is not None:
            out[i] = replace(out[i], price=answer.price, estimated_date=answer.estimated_date, quoted=True)
    deliveries = sorted(
        (o for o in out if o.method is FulfilmentMethod.DELIVERY),
        key=lambda o: (o.price, o.estimated_date, o.carrier or ""),
    )
    return deliveries + [o for o in out if o.method is not FulfilmentMethod.DELIVERY]


async def _price(connector: Configured, ask: RateAsk, currency: str, db: Database) -> Priced | None:
    """The carrier's price of the whole option (its parts added) and the day the last part arrives; None
    when it cannot price it or prices it in another currency than the channel sells in."""
    rates = [await _rate(connector, part, ask.recipient, db) for part in ask.parts]
    if any(rate is None or rate.currency != currency for rate in rates):
        return None
    return Priced(
        price=sum((rate.price for rate in rates if rate), Decimal(0)),
        estimated_date=max(
            rules.quoted_arrival(part.leaves_on, rate.days) for part, rate in zip(ask.parts, rates, strict=True) if rate
        ),
    )


async def _rate(connector: Configured, part: RatePart, recipient: Mapping[str, Any], db: Database) -> Rate | None:
    to = {k: recipient.get(k) for k in ("line1", "city", "postalCode", "country")}
    origin = (round(part.origin[0], 4), round(part.origin[1], 4))
    key = (connector.id, json.dumps(connector.settings, sort_keys=True), origin, tuple(to.items()), part.weight_grams)
    kept = _cache.get(key)
    if kept is not None and kept[1] > time.monotonic():
        return kept[0]
    carrier = connected_carrier(connector.adapter, connector.name, connector.settings, connector.secrets)
    assert isinstance(carrier, Quoting)
    try:
        async with connectors.called(db, connector, "quote"):
            rate = await carrier.quote(RateRequest(origin, to, (Parcel(part.weight_grams),)))
    except Exception:  # any failure (recorded on the connector): the table's price stands
        return None
    _keep(key, rate)
    return rate


def _keep(key: tuple[Any, ...], rate: Rate) -> None:
    now = time.monotonic()
    if len(_cache) >= MAX_KEPT:
        for old in [k for k, (_, until) in _cache.items() if until <= now]:
            del _cache[old]
        for old in list(_cache)[: max(0, len(_cache) - MAX_KEPT // 2)]:  # still full: the oldest half goes
            del _cache[old]
    _cache[key] = (rate, now + CACHE_SECONDS)
