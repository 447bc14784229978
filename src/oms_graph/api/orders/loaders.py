"""Per-request DataLoaders: children of many orders in one statement each."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from oms_graph.api.context import Info
from oms_graph.db import models

K = TypeVar("K")
V = TypeVar("V")


def _loader(
    info: Info, name: str, fetch: Callable[[AsyncSession, Sequence[Any]], Awaitable[list[Any]]]
) -> DataLoader[Any, Any]:
    """The request's loader of that name, made on first use; each batch reads in its own transaction."""
    found = info.context.cache.get(name)
    if found is None:
        db = info.context.db

        async def batch(keys: Sequence[Any]) -> list[Any]:
            async with db.read() as session:
                return await fetch(session, keys)

        found = info.context.cache[name] = DataLoader(load_fn=batch)
    return found


async def _lines(session: AsyncSession, order_ids: Sequence[uuid.UUID]) -> list[list[models.OrderLine]]:
    grouped: dict[uuid.UUID, list[models.OrderLine]] = defaultdict(list)
    rows = await session.scalars(
        select(models.OrderLine).where(models.OrderLine.order_id.in_(order_ids)).order_by(models.OrderLine.line_no)
    )
    for line in rows:
        grouped[line.order_id].append(line)
    return [grouped[i] for i in order_ids]


async def _events(session: AsyncSession, order_ids: Sequence[uuid.UUID]) -> list[list[models.OrderEvent]]:
    grouped: dict[uuid.UUID, list[models.OrderEvent]] = defaultdict(list)
    rows = await session.scalars(
        select(models.OrderEvent).where(models.OrderEvent.order_id.in_(order_ids)).order_by(models.OrderEvent.id)
    )
    for event in rows:
        grouped[event.order_id].append(event)
    return [grouped[i] for i in order_ids]


async def _by_id(session: AsyncSession, model: Any, ids: Sequence[uuid.UUID]) -> list[Any]:
    found = {row.id: row for row in await session.scalars(select(model).where(model.id.in_(ids)))}
    return [found[i] for i in ids]


def lines(info: Info) -> DataLoader[uuid.UUID, list[models.OrderLine]]:
    return _loader(info, "order_lines", _lines)


def events(info: Info) -> DataLoader[uuid.UUID, list[models.OrderEvent]]:
    return _loader(info, "order_events", _events)


def channel(info: Info) -> DataLoader[uuid.UUID, models.Channel]:
    return _loader(info, "channels", lambda session, ids: _by_id(session, models.Channel, ids))


def location(info: Info) -> DataLoader[uuid.UUID, models.Location]:
    return _loader(info, "locations", lambda session, ids: _by_id(session, models.Location, ids))


async def _fulfilments(session: AsyncSession, order_ids: Sequence[uuid.UUID]) -> list[list[models.Fulfilment]]:
    grouped: dict[uuid.UUID, list[models.Fulfilment]] = defaultdict(list)
    rows = await session.scalars(
        select(models.Fulfilment)
        .where(models.Fulfilment.order_id.in_(order_ids))
        .order_by(models.Fulfilment.created_at, models.Fulfilment.id)
    )
    for fulfilment in rows:
        grouped[fulfilment.order_id].append(fulfilment)
    return [grouped[i] for i in order_ids]


async def _fulfilment_lines(
    session: AsyncSession, fulfilment_ids: Sequence[uuid.UUID]
) -> list[list[models.FulfilmentLine]]:
    grouped: dict[uuid.UUID, list[models.FulfilmentLine]] = defaultdict(list)
    rows = await session.scalars(
        select(models.FulfilmentLine)
        .where(models.FulfilmentLine.fulfilment_id.in_(fulfilment_ids))
        .order_by(models.FulfilmentLine.sku)
    )
    for line in rows:
        grouped[line.fulfilment_id].append(line)
    return [grouped[i] for i in fulfilment_ids]


async def _shipments(session: AsyncSession, fulfilment_ids: Sequence[uuid.UUID]) -> list[models.Shipment | None]:
    rows = await session.scalars(select(models.Shipment).where(models.Shipment.fulfilment_id.in_(fulfilment_ids)))
    found = {s.fulfilment_id: s for s in rows}
    return [found.get(i) for i in fulfilment_ids]


def order(info: Info) -> DataLoader[uuid.UUID, models.Order]:
    return _loader(info, "orders", lambda session, ids: _by_id(session, models.Order, ids))


def fulfilments(info: Info) -> DataLoader[uuid.UUID, list[models.Fulfilment]]:
    return _loader(info, "fulfilments", _fulfilments)


def fulfilment_lines(info: Info) -> DataLoader[uuid.UUID, list[models.FulfilmentLine]]:
    return _loader(info, "fulfilment_lines", _fulfilment_lines)


def shipment(info: Info) -> DataLoader[uuid.UUID, models.Shipment | None]:
    return _loader(info, "shipments", _shipments)
