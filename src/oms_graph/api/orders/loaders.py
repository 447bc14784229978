"""Per-request DataLoaders: children of many orders in one statement each."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.types.nodes import SelectedField, Selection

from oms_graph.api.context import Info
from oms_graph.db import models
from oms_graph.domain.events import EventType

Fetch = Callable[[AsyncSession, Sequence[Any]], Awaitable[list[Any]]]
K = TypeVar("K")
V = TypeVar("V")


def _loader(info: Info, name: str, fetch: Fetch) -> DataLoader[Any, Any]:
    """The request's loader of that name, made on first use; each batch reads in its own transaction."""
    found = info.context.cache.get(name)
    if found is None:
        db = info.context.db

        async def batch(keys: Sequence[Any]) -> list[Any]:
            async with db.read() as session:
                return await fetch(session, keys)

        found = info.context.cache[name] = DataLoader(load_fn=batch)
    return found


async def _preload(info: Info, name: str, fetch: Fetch, session: AsyncSession, keys: Sequence[Any]) -> None:
    """Fill the request's loader of that name for these keys from a session the caller has open (one
    transaction for a page and its children, instead of one per loader)."""
    loader = _loader(info, name, fetch)
    for key, value in zip(keys, await fetch(session, keys), strict=True):
        loader.prime(key, value, force=True)


def asks_for(info: Info, *path: str) -> bool:
    """Whether the resolver's selection reaches `path` (through fragments): asks_for(info, "edges", "node")."""

    def reaches(selections: Sequence[Selection], rest: tuple[str, ...]) -> bool:
        if not rest:
            return True
        for selection in selections:
            if isinstance(selection, SelectedField):
                if selection.name == rest[0] and reaches(selection.selections, rest[1:]):
                    return True
            elif reaches(selection.selections, rest):  # a fragment: its fields are the field's own
                return True
        return False

    return any(reaches(field.selections, path) for field in info.selected_fields)  # the resolver's own field


async def _by_id(session: AsyncSession, model: Any, ids: Sequence[uuid.UUID]) -> list[Any]:
    found = {row.id: row for row in await session.scalars(select(model).where(model.id.in_(ids)))}
    return [found[i] for i in ids]


def _children(model: Any, parent: str, *order_by: str, where: Any = None) -> Fetch:
    """A batch function reading the rows of `model` whose `parent` column is one of the keys (and that meet
    `where`), grouped by key."""

    statement = (
        select(model)
        .where(getattr(model, parent).in_(bindparam("b_keys", expanding=True)))
        .order_by(*(getattr(model, name) for name in order_by))
    )
    if where is not None:
        statement = statement.where(where)

    async def fetch(session: AsyncSession, keys: Sequence[uuid.UUID]) -> list[list[Any]]:
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in await session.scalars(statement, {"b_keys": list(keys)}):
            grouped[getattr(row, parent)].append(row)
        return [grouped[k] for k in keys]

    return fetch


_lines = _children(models.OrderLine, "order_id", "line_no")
_events = _children(models.OrderEvent, "order_id", "id")
_exchange_of = _children(models.Return, "exchange_order_id", "created_at")
_edits = _children(models.OrderEvent, "order_id", "id", where=models.OrderEvent.type == EventType.ORDER_EDITED)
_fulfilments = _children(models.Fulfilment, "order_id", "created_at", "id")
_fulfilment_lines = _children(models.FulfilmentLine, "fulfilment_id", "sku")
_returns = _children(models.Return, "order_id", "created_at", "number")
_return_lines = _children(models.ReturnLine, "return_id", "sku")
_payments = _children(models.PaymentTransaction, "order_id", "created_at", "id")
_notifications = _children(models.Notification, "order_id", "created_at", "id")
_transfer_lines = _children(models.TransferLine, "transfer_id", "sku")
_order_transfers = _children(models.Transfer, "order_id", "created_at", "id")
_routing_history = _children(models.RoutingRecord, "order_id", "id")
_appeasements = _children(models.Appeasement, "order_id", "created_at", "id")


def lines(info: Info) -> DataLoader[uuid.UUID, list[models.OrderLine]]:
    return _loader(info, "order_lines", _lines)


def events(info: Info) -> DataLoader[uuid.UUID, list[models.OrderEvent]]:
    return _loader(info, "order_events", _events)


def exchange_of(info: Info) -> DataLoader[uuid.UUID, list[models.Return]]:
    """The return whose replacement an order is (an exchange), in a list of at most one."""
    return _loader(info, "exchange_of", _exchange_of)


def edits(info: Info) -> DataLoader[uuid.UUID, list[models.OrderEvent]]:
    """An order's ORDER_EDITED events, oldest first: its versions."""
    return _loader(info, "order_edits", _edits)


def channel(info: Info) -> DataLoader[uuid.UUID, models.Channel]:
    return _loader(info, "channels", lambda session, ids: _by_id(session, models.Channel, ids))


def location(info: Info) -> DataLoader[uuid.UUID, models.Location]:
    return _loader(info, "locations", lambda session, ids: _by_id(session, models.Location, ids))


_SHIPMENTS = select(models.Shipment).where(models.Shipment.fulfilment_id.in_(bindparam("b_ids", expanding=True)))


async def _shipments(session: AsyncSession, fulfilment_ids: Sequence[uuid.UUID]) -> list[models.Shipment | None]:
    rows = await session.scalars(_SHIPMENTS, {"b_ids": list(fulfilment_ids)})
    found = {s.fulfilment_id: s for s in rows}
    return [found.get(i) for i in fulfilment_ids]


def in_transit(info: Info) -> DataLoader[tuple[str, str], int]:
    """Units in transit per (sku, location code): what StockLevel.inTransit shows where the writer did not read
    it (one statement for every level of an answer)."""
    return _loader(info, "in_transit", _in_transit)


async def _in_transit(session: AsyncSession, keys: Sequence[tuple[str, str]]) -> list[int]:
    rows = await session.execute(
        select(models.StockLevel.sku, models.Location.code, models.StockLevel.in_transit)
        .join(models.Location, models.Location.id == models.StockLevel.location_id)
        .where(
            models.StockLevel.sku.in_({sku for sku, _ in keys}), models.Location.code.in_({code for _, code in keys})
        )
    )
    found = {(sku, code): n for sku, code, n in rows}
    return [found.get(key, 0) for key in keys]


def transfer_lines(info: Info) -> DataLoader[uuid.UUID, list[models.TransferLine]]:
    return _loader(info, "transfer_lines", _transfer_lines)


def order(info: Info) -> DataLoader[uuid.UUID, models.Order]:
    return _loader(info, "orders", lambda session, ids: _by_id(session, models.Order, ids))


def fulfilments(info: Info) -> DataLoader[uuid.UUID, list[models.Fulfilment]]:
    return _loader(info, "fulfilments", _fulfilments)


def fulfilment_lines(info: Info) -> DataLoader[uuid.UUID, list[models.FulfilmentLine]]:
    return _loader(info, "fulfilment_lines", _fulfilment_lines)


async def preload_fulfilment_lines(info: Info, session: AsyncSession, fulfilment_ids: Sequence[uuid.UUID]) -> None:
    await _preload(info, "fulfilment_lines", _fulfilment_lines, session, fulfilment_ids)


def shipment(info: Info) -> DataLoader[uuid.UUID, models.Shipment | None]:
    return _loader(info, "shipments", _shipments)


async def preload_shipments(info: Info, session: AsyncSession, fulfilment_ids: Sequence[uuid.UUID]) -> None:
    await _preload(info, "shipments", _shipments, session, fulfilment_ids)


def order_transfers(info: Info) -> DataLoader[uuid.UUID, list[models.Transfer]]:
    return _loader(info, "order_transfers", _order_transfers)


def appeasements(info: Info) -> DataLoader[uuid.UUID, list[models.Appeasement]]:
    return _loader(info, "appeasements", _appeasements)


def routing_history(info: Info) -> DataLoader[uuid.UUID, list[models.RoutingRecord]]:
    return _loader(info, "routing_history", _routing_history)


def returns(info: Info) -> DataLoader[uuid.UUID, list[models.Return]]:
    return _loader(info, "returns", _returns)


def return_lines(info: Info) -> DataLoader[uuid.UUID, list[models.ReturnLine]]:
    return _loader(info, "return_lines", _return_lines)


def payments(info: Info) -> DataLoader[uuid.UUID, list[models.PaymentTransaction]]:
    return _loader(info, "payments", _payments)


def notifications(info: Info) -> DataLoader[uuid.UUID, list[models.Notification]]:
    return _loader(info, "notifications", _notifications)
