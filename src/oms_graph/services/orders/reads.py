"""Reading orders: one by id or number, a filtered page, and the orders a key may see."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import Channel, Fulfilment, Location, Order, PaymentTransaction, Shipment
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.fulfilment import FulfilmentStatus, ShipmentStatus
from oms_graph.domain.orders import OrderStatus, StuckKind
from oms_graph.domain.payments import TransactionStatus


@dataclass(frozen=True)
class OrderFilter:
    channel: str | None = None
    statuses: Sequence[OrderStatus] | None = None
    customer_email: str | None = None
    location_code: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    at_risk: bool | None = None
    number: str | None = None
    external_id: str | None = None
    stuck: StuckKind | None = None
    accept_within: timedelta = timedelta(minutes=30)  # the accept timeout ACCEPT_DUE is half of


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    has_next: bool
    total_count: int


async def get_order(
    session: AsyncSession, *, principal: Principal, order_id: uuid.UUID | None = None, number: str | None = None
) -> Order | None:
    """One order by id or number, or None when there is none the caller may see."""
    if order_id is None and number is None:
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["id"], "give an id or a number")
    stmt = select(Order).where(Order.id == order_id if order_id is not None else Order.number == number)
    scope = visible_to(principal)
    if scope is not None:
        stmt = stmt.where(scope)
    return await session.scalar(stmt)


async def list_orders(
    session: AsyncSession, *, principal: Principal, filter: OrderFilter, first: int, after: int | None
) -> OrderPage:
    """A page of orders, newest first, within the caller's scope and the filter, and how many match."""
    conditions = await _conditions(session, principal, filter)
    total = await session.scalar(select(func.count()).select_from(Order).where(*conditions))
    stmt = select(Order).where(*conditions).order_by(Order.seq.desc()).limit(first + 1)
    if after is not None:
        stmt = stmt.where(Order.seq < after)
    orders = list(await session.scalars(stmt))
    return OrderPage(orders=orders[:first], has_next=len(orders) > first, total_count=int(total or 0))


def visible_to(principal: Principal) -> ColumnElement[bool] | None:
    """The orders a key may read: its channel's (STOREFRONT); those it originated, hands out or has a
    fulfilment of (STORE)."""
    if principal.role is Role.STOREFRONT:
        return Order.channel_id == principal.channel_id
    if principal.role is Role.STORE:
        fulfilled_here = select(Fulfilment.order_id).where(Fulfilment.location_id == principal.location_id)
        return or_(
            Order.origin_location_id == principal.location_id,
            Order.pickup_location_id == principal.location_id,
            Order.id.in_(fulfilled_here),
        )
    return None


async def _conditions(session: AsyncSession, principal: Principal, filter: OrderFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    scope = visible_to(principal)
    if scope is not None:
        conditions.append(scope)
    if filter.channel is not None:
        channel_id = await session.scalar(select(Channel.id).where(Channel.code == filter.channel))
        if channel_id is None:
            raise DomainError.one(
                ErrorCode.UNKNOWN_CHANNEL, ["filter", "channel"], f"no channel with code {filter.channel!r}"
            )
        conditions.append(Order.channel_id == channel_id)
    if filter.location_code is not None:
        location_id = await session.scalar(select(Location.id).where(Location.code == filter.location_code))
        if location_id is None:
            raise DomainError.one(
                ErrorCode.UNKNOWN_LOCATION,
                ["filter", "locationCode"],
                f"no location with code {filter.location_code!r}",
            )
        conditions.append(or_(Order.origin_location_id == location_id, Order.pickup_location_id == location_id))
    if filter.statuses:
        conditions.append(Order.status.in_(list(filter.statuses)))
    if filter.customer_email is not None:
        conditions.append(Order.customer_email == filter.customer_email)
    if filter.created_after is not None:
        conditions.append(Order.created_at >= filter.created_after)
    if filter.created_before is not None:
        conditions.append(Order.created_at < filter.created_before)
    if filter.at_risk is not None:
        conditions.append(Order.at_risk.is_(filter.at_risk))
    if filter.number is not None:
        conditions.append(Order.number == filter.number)
    if filter.external_id is not None:
        conditions.append(Order.external_id == filter.external_id)
    if filter.stuck is not None:
        conditions.append(stuck(filter.stuck, accept_within=filter.accept_within))
    return conditions


OPEN = [s for s in OrderStatus if s not in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)]


def stuck(kind: StuckKind, *, accept_within: timedelta) -> ColumnElement[bool]:
    """The orders with work of this kind waiting (an ACCEPT_DUE part by the clock the sweep uses)."""
    if kind is StuckKind.BACKORDERED:
        return Order.status == OrderStatus.BACKORDERED
    if kind is StuckKind.AT_RISK:
        return Order.at_risk.is_(True) & Order.status.in_(OPEN)
    if kind is StuckKind.ACCEPT_DUE:
        cutoff = utcnow() - accept_within / 2
        due = select(Fulfilment.order_id).where(
            Fulfilment.status == FulfilmentStatus.ASSIGNED, Fulfilment.updated_at < cutoff
        )
        return Order.id.in_(due)
    if kind is StuckKind.BOOKING_FAILED:
        failed = (
            select(Fulfilment.order_id)
            .join(Shipment, Shipment.fulfilment_id == Fulfilment.id)
            .where(Shipment.status == ShipmentStatus.FAILED)
        )
        return Order.id.in_(failed) & Order.status.in_(OPEN)
    refused = select(PaymentTransaction.order_id).where(PaymentTransaction.status == TransactionStatus.FAILED)
    return Order.id.in_(refused) & Order.status.in_(OPEN)
