"""Marketplace connectors' side of the database: a posting taken as an order once (by its number, the
order's externalId, on the connector's channel), a posting cancelled at the marketplace cancelling its order,
a return it sends back opened once, the connector's cursors and turn, and the figures of its channel that
moved since its stock cursor.

The connector acts as an INTEGRATION caller named `connector:<name>`: its orders and cancellations carry
that name, so a cancellation it made is not sent back to the marketplace."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.config import Settings
from oms_graph.db.models import Channel, Connector, Order, Product
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.connectors import ADAPTERS, ConnectorKind
from oms_graph.domain.marketplaces import Posting, Returned, placement_of
from oms_graph.domain.orders import CANCELLABLE, OrderStatus
from oms_graph.services import connectors
from oms_graph.services.connectors import Configured
from oms_graph.services.orders.lifecycle import cancel_order
from oms_graph.services.orders.placement import place_order
from oms_graph.services.orders.replays import AlreadyPlaced
from oms_graph.services.returns.lifecycle import request_return
from oms_graph.services.stock.availability import channel_figures, moved_since

ACTOR_PREFIX = "connector:"


@dataclass
class ReturnLine:  # as services.returns takes a line (ReturnLineFields)
    sku: str
    quantity: int
    reason: str | None


class Taken(StrEnum):
    PLACED = "PLACED"  # a new order
    KNOWN = "KNOWN"  # placed before: nothing to do
    CANCELLED = "CANCELLED"  # cancelled at the marketplace: its order cancelled here
    LEFT = "LEFT"  # cancelled at the marketplace, with no order here to cancel (or one past cancelling)
    REFUSED = "REFUSED"  # oms-graph cannot serve it: cancelled at the marketplace
    FAILED = "FAILED"  # refused for another reason (a return: units not shipped here yet): tried again
    RETURNED = "RETURNED"  # a return opened on its order


def principal_of(connector: str) -> Principal:
    return Principal(key_id=uuid.UUID(int=0), name=f"{ACTOR_PREFIX}{connector}", role=Role.INTEGRATION)


async def marketplaces(session: AsyncSession) -> list[Configured]:
    """The enabled marketplace connectors, opened for their adapters."""
    found = await connectors.list_connectors(session, kind=ConnectorKind.MARKETPLACE)
    return [connectors.opened(c) for c in found if c.enabled]


async def take_posting(session: AsyncSession, *, connector: Configured, posting: Posting, settings: Settings) -> Taken:
    """Place the posting's order, or cancel it when the marketplace cancelled the posting; once either way.
    A posting oms-graph cannot take raises DomainError (the caller cancels it at the marketplace)."""
    channel = str(connector.settings["channel"])
    channel_id = await session.scalar(select(Channel.id).where(Channel.code == channel))
    order_id = await session.scalar(
        select(Order.id).where(Order.channel_id == channel_id, Order.external_id == posting.number)
    )
    if posting.cancelled:
        status = await session.scalar(select(Order.status).where(Order.id == order_id)) if order_id else None
        if order_id is None or status is None or OrderStatus(status) not in CANCELLABLE:
            return Taken.LEFT
        reason = f"cancelled at {connector.name}" + (f": {posting.cancel_reason}" if posting.cancel_reason else "")
        await cancel_order(session, order_id=order_id, reason=reason, principal=principal_of(connector.name))
        return Taken.CANCELLED
    if order_id is not None:
        return Taken.KNOWN
    hand_over = dict(connector.settings["handOver"])
    if not hand_over.get("carrier") and ADAPTERS[connector.adapter].ships:
        hand_over["carrier"] = connector.name  # the marketplace collects its postings: it is their carrier
    placement = placement_of(posting, connector=connector.name, channel=channel, hand_over=hand_over)
    try:
        await place_order(session, order=placement, principal=principal_of(connector.name), settings=settings)
    except AlreadyPlaced:  # another poll (another API process's) placed it a moment ago
        return Taken.KNOWN
    return Taken.PLACED


async def take_return(session: AsyncSession, *, connector: Configured, returned: Returned) -> bool:
    """A return the marketplace sends back, opened once (by its id) on the posting's order; False when no
    order here was sold in that posting. Units never shipped here raise DomainError."""
    channel = str(connector.settings["channel"])
    channel_id = await session.scalar(select(Channel.id).where(Channel.code == channel))
    order_id = await session.scalar(
        select(Order.id).where(Order.channel_id == channel_id, Order.external_id == returned.posting)
    )
    if order_id is None:
        return False
    line = ReturnLine(returned.sku, returned.quantity, returned.reason)
    await request_return(
        session,
        order_id=order_id,
        channel_code=channel,
        lines=[line],
        principal=principal_of(connector.name),
        external_id=f"{connector.name}:{returned.number}",
    )
    return True


async def state_of(session: AsyncSession, *, connector_id: uuid.UUID) -> dict[str, Any]:
    return dict(await session.scalar(select(Connector.state).where(Connector.id == connector_id)) or {})


async def take_turn(session: AsyncSession, *, connector_id: uuid.UUID, now: datetime, hold: timedelta) -> bool:
    """Whether this poll may work the connector: no other poll (another API process's schedule) holds it, or
    its hold ran out (a poll that died). The turn is held until `hold` from now, or until given back."""
    connector = await session.get_one(Connector, connector_id, with_for_update=True)
    state = dict(connector.state or {})
    held = state.get("heldUntil")
    if held and datetime.fromisoformat(held) > now:
        return False
    connector.state = {**state, "heldUntil": (now + hold).isoformat()}
    return True


async def keep_state(session: AsyncSession, *, connector_id: uuid.UUID, **changes: Any) -> None:
    """Move the connector's cursors (the names given; the others are kept)."""
    connector = await session.get_one(Connector, connector_id, with_for_update=True)
    connector.state = {**(connector.state or {}), **changes}


@dataclass(frozen=True)
class StockDue:
    """The channel's figures to push (the skus that moved, with those not taken last time), and the cursor
    to keep once they went."""

    figures: dict[str, int]
    level_mark: datetime
    position: int
    recent: dict[str, int]  # what the marketplace has of the skus the next look back may find again
    barcodes: dict[str, str]  # the skus' EANs (a marketplace that counts by barcode)

    def sent(self, unsent: set[str]) -> dict[str, int]:
        """The figures the marketplace has once this push went (all but `unsent`), of the skus that moved."""
        return self.recent | {sku: n for sku, n in self.figures.items() if sku not in unsent}


async def stock_due(session: AsyncSession, *, connector: Configured, state: dict[str, Any], now: datetime) -> StockDue:
    """What the channel's availability says now of the skus that moved since the stock cursor (the first
    push: every product), within its pool and threshold as every channel feed sends it."""
    mark = datetime.fromisoformat(state["levelMark"]) if state.get("levelMark") else None
    if mark is None:
        moved = await moved_since(session, level_mark=now, position=None)
        skus = set(await session.scalars(select(Product.sku)))
    else:
        moved = await moved_since(session, level_mark=mark, position=int(state.get("position", 0)))
        skus = set(moved.skus) | set(state.get("unsent") or [])
    channel_id = await session.scalar(select(Channel.id).where(Channel.code == str(connector.settings["channel"])))
    figures = await channel_figures(session, channel_id=channel_id, skus=sorted(skus)) if skus and channel_id else {}
    # the look back finds some skus of the last push again: a figure the marketplace has is not sent twice
    recent, unsent = state.get("recent") or {}, set(state.get("unsent") or [])
    figures = {sku: n for sku, n in figures.items() if recent.get(sku) != n or sku in unsent}
    kept = {sku: n for sku, n in recent.items() if sku in skus}
    eans = select(Product.sku, Product.ean).where(Product.sku.in_(list(figures)), Product.ean.is_not(None))
    barcodes = {sku: str(ean) for sku, ean in (await session.execute(eans)).all()} if figures else {}
    return StockDue(figures, moved.level_mark, moved.position, kept, barcodes)


async def open_postings(session: AsyncSession, *, connector: Configured, since: datetime) -> list[str]:
    """The posting numbers of the channel's orders placed since then that can still be cancelled."""
    channel_id = await session.scalar(select(Channel.id).where(Channel.code == str(connector.settings["channel"])))
    found = await session.scalars(
        select(Order.external_id).where(
            Order.channel_id == channel_id,
            Order.external_id.is_not(None),
            Order.created_at >= since,
            Order.status.in_([s.value for s in CANCELLABLE]),
        )
    )
    return [str(number) for number in found]


def from_marketplace(actor: str | None, connector: str) -> bool:
    """Whether a change was made by the connector itself (and so is not sent back)."""
    return actor == f"{ACTOR_PREFIX}{connector}"


async def connector_of_order(session: AsyncSession, *, order_id: uuid.UUID) -> tuple[Configured, str] | None:
    """The marketplace connector an order came through (its channel's), and the posting number."""
    found = (
        await session.execute(
            select(Channel.code, Order.external_id)
            .join(Channel, Channel.id == Order.channel_id)
            .where(Order.id == order_id)
        )
    ).first()
    if found is None or found.external_id is None:
        return None
    for connector in await marketplaces(session):
        if connector.settings.get("channel") == found.code:
            return connector, str(found.external_id)
    return None
