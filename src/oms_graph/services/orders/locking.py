"""Locking an order: the first lock of every change to it (then its fulfilments, shipments, returns, payments;
stock through the ledger)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import Fulfilment, Order, PaymentTransaction, Shipment
from oms_graph.domain.access import Principal
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.services.orders.reads import visible_to

LOCK_ORDER = select(Order).where(Order.id == bindparam("b_order")).with_for_update()


def _locked_through(order_id: Any, *columns: Any) -> Select[Any]:
    """The order whose id the subquery finds (through a row of its own), locked, in one statement."""
    return select(*columns).where(Order.id == order_id.scalar_subquery()).with_for_update()


LOCK_ORDER_OF = _locked_through(  # through one of its fulfilments
    select(Fulfilment.order_id).where(Fulfilment.id == bindparam("b_fulfilment")), Order
)
LOCK_ORDER_OF_PAYMENT = _locked_through(  # through one of its payment transactions
    select(PaymentTransaction.order_id).where(PaymentTransaction.id == bindparam("b_transaction")), Order
)
LOCK_ORDER_ID_OF_SHIPMENT = _locked_through(  # through one of its shipments; only the lock, and its id
    select(Fulfilment.order_id)
    .join(Shipment, Shipment.fulfilment_id == Fulfilment.id)
    .where(Shipment.id == bindparam("b_shipment")),
    Order.id,
)


async def lock_order(
    session: AsyncSession, *, order_id: uuid.UUID | None, scope: ColumnElement[bool] | None = None
) -> Order | None:
    """The order, locked for this transaction; None when there is none (within `scope`, when given)."""
    if order_id is None:
        return None
    if scope is None:
        return await session.scalar(LOCK_ORDER, {"b_order": order_id})
    return await session.scalar(select(Order).where(Order.id == order_id, scope).with_for_update())


async def lock_order_of(session: AsyncSession, *, fulfilment_id: uuid.UUID) -> Order | None:
    """The order of a fulfilment, locked for this transaction (the fulfilment is not); None when there is no
    such fulfilment."""
    return await session.scalar(LOCK_ORDER_OF, {"b_fulfilment": fulfilment_id})


async def lock_order_of_payment(session: AsyncSession, *, transaction_id: uuid.UUID) -> Order | None:
    """The order of a payment transaction, locked for this transaction (the payment transaction is not);
    None when there is no such transaction."""
    return await session.scalar(LOCK_ORDER_OF_PAYMENT, {"b_transaction": transaction_id})


async def lock_order_of_shipment(session: AsyncSession, *, shipment_id: uuid.UUID) -> uuid.UUID | None:
    """Lock the order of a shipment for this transaction (the shipment is not); its id, None when there is
    no such shipment."""
    return await session.scalar(LOCK_ORDER_ID_OF_SHIPMENT, {"b_shipment": shipment_id})


async def for_change(session: AsyncSession, order_id: uuid.UUID, principal: Principal) -> Order:
    """The order, locked for this transaction, if the caller may see it."""
    order = await lock_order(session, order_id=order_id, scope=visible_to(principal))
    if order is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such order")
    return order
