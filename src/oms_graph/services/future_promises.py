"""Selling against inbound supply. A sku's policy (a channel's own over the product's) says whether a delivery
order that stock cannot promise may be promised against the supply due to come: PREORDER up to the product's
limit, BACKORDER up to all of it. Such an order waits AWAITING_SUPPLY with its date; as supply arrives its
units are promised from the shelf, oldest order first, and it goes to routing once all are; when supply is
cut so that it no longer covers what was promised against it, the newest orders are owed their units
(BACKORDERED, the customer told). Future promises never exceed supply due; present ones never exceed stock.

Every change here locks the skus' product rows first (the ledger's lock order)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import insert_for
from oms_graph.db.models import Channel, ChannelSupplyPolicy, InboundSupply, Order, Product
from oms_graph.domain import delivery
from oms_graph.domain import supply as rules
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.events import EventType
from oms_graph.domain.orders import OrderStatus
from oms_graph.domain.supply import SupplyPolicy, SupplyStatus
from oms_graph.services import audit
from oms_graph.services.outbox import append_event
from oms_graph.services.stock import ledger


@dataclass(frozen=True)
class Awaited:
    """What an order was promised against supply, per sku, and when the last of it is due."""

    units: dict[str, int]
    due_at: datetime


async def policies(
    session: AsyncSession, *, channel_id: uuid.UUID, skus: Iterable[str]
) -> dict[str, tuple[SupplyPolicy, int | None]]:
    """Per sku: the policy on the channel (its own, else the product's) and the product's pre-order limit."""
    rows = await session.execute(
        select(Product.sku, Product.supply_policy, Product.preorder_limit, ChannelSupplyPolicy.policy)
        .outerjoin(
            ChannelSupplyPolicy,
            (ChannelSupplyPolicy.sku == Product.sku) & (ChannelSupplyPolicy.channel_id == channel_id),
        )
        .where(Product.sku.in_(sorted(set(skus))))
    )
    return {sku: (SupplyPolicy(own or product), limit) for sku, product, limit, own in rows}


async def due_supply(session: AsyncSession, *, skus: Iterable[str]) -> dict[str, list[tuple[datetime, int]]]:
    """Per sku, the OPEN supply still to come: (expected date, units), in date order."""
    found: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    rows = await session.execute(
        select(InboundSupply.sku, InboundSupply.expected_at, InboundSupply.quantity - InboundSupply.quantity_received)
        .where(InboundSupply.sku.in_(sorted(set(skus))), InboundSupply.status == SupplyStatus.OPEN)
        .order_by(InboundSupply.sku, InboundSupply.expected_at)
    )
    for sku, expected_at, due in rows:
        found[sku].append((expected_at, int(due)))
    return found


async def promise_against_supply(
    session: AsyncSession, *, channel_id: uuid.UUID, units: Mapping[str, int]
) -> Awaited | None:
    """Promise a delivery order's units that stock could not (`ledger.promise` found them short) against
    inbound supply, where every sku's policy allows it and supply covers them; None otherwise (the caller
    refuses the order and rolls back). The caller locked the products."""
    cover, supply = await _cover(session, channel_id, units)
    if cover is None:
        return None
    before = await ledger.promise_from_supply(session, channel_id=channel_id, units=units, cover=cover)
    return None if before is None else _awaited(units, supply, before)


async def supply_date(session: AsyncSession, *, channel_id: uuid.UUID, units: Mapping[str, int]) -> datetime | None:
    """When units stock cannot promise would be due if an order were promised them against supply now (what
    deliveryOptions offers); None when their policy or the supply does not allow it. Reads only."""
    cover, supply = await _cover(session, channel_id, units)
    if cover is None:
        return None
    rows = await session.execute(select(Product.sku, Product.promised_future).where(Product.sku.in_(sorted(units))))
    before = {sku: int(n) for sku, n in rows}
    if any(before[sku] + n > cover[sku] for sku, n in units.items()):
        return None
    awaited = _awaited(units, supply, before)
    return None if awaited is None else awaited.due_at


async def _cover(
    session: AsyncSession, channel_id: uuid.UUID, units: Mapping[str, int]
) -> tuple[dict[str, int] | None, dict[str, list[tuple[datetime, int]]]]:
    """What supply may back per sku on the channel (None when a sku may not be sold against it), and the
    supply due per sku."""
    allowed = await policies(session, channel_id=channel_id, skus=units)
    supply = await due_supply(session, skus=units)
    cover = {}
    for sku in units:
        policy, limit = allowed[sku]
        cover[sku] = rules.supply_cover(policy, due=sum(due for _, due in supply[sku]), limit=limit)
        if not cover[sku]:
            return None, supply
    return cover, supply


def _awaited(
    units: Mapping[str, int], supply: dict[str, list[tuple[datetime, int]]], before: Mapping[str, int]
) -> Awaited | None:
    """The units and the day the last of them is due, after `before` units promised earlier per sku."""
    dates = [rules.due_date(supply[sku], before=before[sku], units=n) for sku, n in units.items()]
    if any(d is None for d in dates):
        return None
    return Awaited(dict(units), max(d for d in dates if d is not None))


# Orders with units promised against supply (AWAITING_SUPPLY, held, or split and routed in part), oldest first.
_WAITING = select(Order).where(Order.future_units.is_not(None)).order_by(Order.seq)


async def supply_arrived(session: AsyncSession, *, skus: Iterable[str], actor: str) -> int:
    """Units of the skus reached a shelf: orders waiting for them get them from the shelf, oldest first, as
    far as stock can promise them (the first that cannot stops the rest: they keep their place); an order with
    nothing more to wait for goes to routing (ORDER_REQUEUED), and so do the units of a split order (routed
    in part) as they arrive. How many orders went on."""
    wanted = set(skus)
    if not wanted:
        return 0
    await ledger.lock_products(session, skus=wanted)
    moved, stuck = 0, set[str]()
    for order in await session.scalars(_WAITING.with_for_update()):
        units = {sku: int(n) for sku, n in (order.future_units or {}).items()}
        now_here = {sku: n for sku, n in units.items() if sku in wanted - stuck}
        if not now_here:
            continue
        async with session.begin_nested() as savepoint:  # a short promise leaves nothing behind
            taken = await ledger.promise(session, channel_id=order.channel_id, units=now_here)
            if taken.short:
                await savepoint.rollback()
        if taken.short:
            stuck |= set(now_here)
            continue
        await ledger.release_future(session, units=now_here)
        left = {sku: n for sku, n in units.items() if sku not in now_here}
        order.future_units, order.updated_at = left or None, utcnow()
        waited = order.status == OrderStatus.AWAITING_SUPPLY
        if (waited and not left) or order.status not in (OrderStatus.AWAITING_SUPPLY, OrderStatus.ON_HOLD):
            order.status = OrderStatus.PLACED if waited else order.status
            await append_event(
                session,
                order_id=order.id,
                type=EventType.ORDER_REQUEUED,
                actor=actor,
                data={"number": order.number, "supplyArrived": sorted(now_here)},
            )
            moved += 1
    return moved


async def supply_cut(session: AsyncSession, *, skus: Iterable[str], actor: str) -> int:
    """Supply of the skus was cut or closed: where what orders were promised against it exceeds what is still
    due, the newest of them are owed their units from stock (BACKORDERED, ORDER_BACKORDERED tells the
    customer) until the rest fits; a split order (routed in part) keeps its status and its owed units go to
    routing (ORDER_REQUEUED), which backorders them when no stock has them. How many orders were moved."""
    wanted = sorted(set(skus))
    if not wanted:
        return 0
    await ledger.lock_products(session, skus=wanted)
    promised = dict(
        (await session.execute(select(Product.sku, Product.promised_future).where(Product.sku.in_(wanted)))).all()
    )
    due = dict(
        (
            await session.execute(
                select(InboundSupply.sku, func.sum(InboundSupply.quantity - InboundSupply.quantity_received))
                .where(InboundSupply.sku.in_(wanted), InboundSupply.status == SupplyStatus.OPEN)
                .group_by(InboundSupply.sku)
            )
        ).all()
    )
    excess = {sku: promised.get(sku, 0) - int(due.get(sku) or 0) for sku in wanted}
    if all(n <= 0 for n in excess.values()):
        return 0
    moved = 0
    for order in await session.scalars(_WAITING.order_by(None).order_by(Order.seq.desc()).with_for_update()):
        units = {sku: int(n) for sku, n in (order.future_units or {}).items()}
        if not any(excess.get(sku, 0) > 0 for sku in units):
            continue
        await ledger.release_future(session, units=units)
        await ledger.owe(session, channel_id=order.channel_id, units=units)
        for sku, n in units.items():
            if sku in excess:
                excess[sku] -= n
        order.future_units, order.supply_due_at, order.updated_at = None, None, utcnow()
        split = order.status not in (OrderStatus.AWAITING_SUPPLY, OrderStatus.ON_HOLD)
        if order.status == OrderStatus.AWAITING_SUPPLY:
            order.status = OrderStatus.BACKORDERED
        await append_event(
            session,
            order_id=order.id,
            type=EventType.ORDER_BACKORDERED,
            actor=actor,
            data={"number": order.number, "lines": units, "reason": "its supply was cut"},
        )
        if split:  # routed now if stock has them, else backordered by routing
            await append_event(
                session,
                order_id=order.id,
                type=EventType.ORDER_REQUEUED,
                actor=actor,
                data={"number": order.number, "owed": units},
            )
        moved += 1
        if all(n <= 0 for n in excess.values()):
            break
    return moved


async def redate(session: AsyncSession, *, skus: Iterable[str]) -> int:
    """Supply of the skus moved, arrived or was cut: the waiting orders promised against it are due anew,
    served oldest first as supply arrives (the rule placement dated them by). Each keeps its promise; its
    expected date follows the supply (the promise sweep tells when that is late). How many changed.
    The caller locked the products."""
    wanted = set(skus)
    if not wanted:
        return 0
    waiting = list(await session.scalars(_WAITING.with_for_update()))
    everything = {sku for order in waiting for sku in order.future_units or {}}
    if not everything & wanted:
        return 0
    supply = await due_supply(session, skus=everything)
    before: dict[str, int] = defaultdict(int)
    changed = 0
    for order in waiting:
        units = {sku: int(n) for sku, n in (order.future_units or {}).items()}
        awaited = _awaited(units, supply, before) if units.keys() & wanted else None
        for sku, n in units.items():
            before[sku] += n
        if awaited is None or awaited.due_at == order.supply_due_at:
            continue  # not its supply, or not covered any more (supply_cut owes it its units)
        order.supply_due_at = awaited.due_at
        order.expected_date = delivery.after_supply(awaited.due_at.date(), delivery.service_named(order.service))
        order.updated_at = utcnow()
        changed += 1
    return changed


async def set_supply_policy(
    session: AsyncSession, *, sku: str, channel_code: str | None, policy: SupplyPolicy, preorder_limit: int | None
) -> Product:
    """A product's policy (and pre-order limit), or a channel's own for it; audited. Orders already promised
    against supply keep their promise."""
    product = await session.scalar(select(Product).where(Product.sku == sku).with_for_update())
    if product is None:
        raise DomainError.one(ErrorCode.UNKNOWN_SKU, ["input", "sku"], f"no product with sku {sku!r}")
    if preorder_limit is not None and not 0 <= preorder_limit <= rules.MAX_QUANTITY:
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["input", "preorderLimit"], f"0 to {rules.MAX_QUANTITY}")
    if channel_code is None:
        before = {"policy": product.supply_policy, "preorderLimit": product.preorder_limit}
        product.supply_policy, product.preorder_limit = policy, preorder_limit
        after = {"policy": policy, "preorderLimit": preorder_limit}
        await audit.record(session, [audit.changed("SupplyPolicy", sku, before, after)])
        return product
    if preorder_limit is not None:
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["input", "preorderLimit"], "the limit is the product's")
    channel = await session.scalar(select(Channel).where(Channel.code == channel_code))
    if channel is None:
        raise DomainError.one(ErrorCode.UNKNOWN_CHANNEL, ["input", "channel"], f"no channel {channel_code!r}")
    was = await session.scalar(
        select(ChannelSupplyPolicy.policy).where(
            ChannelSupplyPolicy.channel_id == channel.id, ChannelSupplyPolicy.sku == sku
        )
    )
    row = {"policy": policy, "updated_at": utcnow()}
    stmt = insert_for(session, ChannelSupplyPolicy.__table__).values(channel_id=channel.id, sku=sku, **row)
    await session.execute(stmt.on_conflict_do_update(index_elements=["channel_id", "sku"], set_=row))
    before_own = None if was is None else {"policy": was}
    await audit.record(
        session, [audit.changed("SupplyPolicy", f"{channel_code}/{sku}", before_own, {"policy": policy})]
    )
    return product
