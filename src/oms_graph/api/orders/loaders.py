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
