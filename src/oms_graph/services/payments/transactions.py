"""Money for an order: asking the provider to capture, void or refund (through the outbox), and recording
what it answered.

A change that moves money (goods handed over, an order cancelled, a return received) writes a PENDING
PaymentTransaction and a PAYMENT_REQUESTED event in its own transaction; the `payment.execute` actor
calls the provider after commit and records the outcome here. The order's paymentStatus follows the
outcomes (`domain.payments.payment_status`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.adapters.payments import PaymentRequest
from oms_graph.db.base import utcnow
from oms_graph.db.dialect import insert_or_nothing
from oms_graph.db.models import Fulfilment, Order, PaymentTransaction, Return
from oms_graph.domain import payments as rules
from oms_graph.domain.events import EventType
from oms_graph.domain.orders import (
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    in_minor_units,
    initial_payment_status,
)
from oms_graph.domain.payments import Call, Handover, PaymentKind, TransactionStatus
from oms_graph.domain.returns import ReturnStatus
from oms_graph.services.orders.locking import lock_order_of_payment
from oms_graph.services.outbox import append_event

RETURN_SOURCE = "return:"
# Orders placed before the default provider was written on the order at placement name none: the built-in one.
LEGACY_PROVIDER = "manual"


@dataclass(frozen=True)
class PendingCall:
    """A call the actor is to make: which provider, what, and with which idempotency key."""

    kind: PaymentKind
    provider: str
    request: PaymentRequest


_transactions = cast(Table, PaymentTransaction.__table__)


class CaptureInFlight(Exception):
    """A refund waits for the order's capture to be answered first (the actor retries)."""


async def request_payment(
    session: AsyncSession,
    *,
    order: Order,
    kind: PaymentKind,
    amount: Decimal,
    source: str,
    actor: str,
    status: TransactionStatus = TransactionStatus.PENDING,
    provider: str | None = None,
) -> bool:
    """Ask for a call, once per (order, kind, source): one statement, which writes nothing when it was asked
    for already (the unique key); whether it was asked for now. The order must be locked by the caller. A
    PENDING one is made by the payment.execute actor after commit; a SUCCEEDED one records money taken
    already (a sale paid in the store, a replacement paid by returned goods). `provider`: the order's when not
    given."""
    now = utcnow()
    transaction = {
        "id": uuid.uuid4(),
        "order_id": order.id,
        "kind": kind,
        "status": status,
        "amount": in_minor_units(amount, order.currency),
        "currency": order.currency,
        "provider": provider or order.payment_provider or LEGACY_PROVIDER,
        "source": source,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
    if await session.scalar(insert_or_nothing(session, _transactions, _transactions.c.id), transaction) is None:
        return False
    data = {
        "transaction": str(transaction["id"]),
        "kind": kind.value,
        "amount": str(transaction["amount"]),
        "provider": transaction["provider"],
    }
    if status is TransactionStatus.PENDING:
        await append_event(session, order_id=order.id, type=EventType.PAYMENT_REQUESTED, actor=actor, at=now, data=data)
    else:
        await append_event(session, order_id=order.id, type=rules.DONE_EVENT[kind], actor=actor, at=now, data=data)
        _recompute(order, await _calls(session, order.id))
    return True


async def capture_handover(
    session: AsyncSession, *, order: Order, fulfilment: Fulfilment, handover: Handover, actor: str
) -> None:
    """Goods reached the customer's side: capture their value (and delivery, the first time) when the
    order's payment method takes money at this moment."""
    if not rules.captures_at(PaymentMethod(order.payment_method), handover) or fulfilment.value is None:
        return
    calls = await _calls(session, order.id)
    first = not rules.captured_before(calls)
    amount = rules.capture_amount(fulfilment.value, delivery_price=order.delivery_price, first=first)
    amount = min(amount, rules.left_to_capture(order.total, calls))  # an exchange's credit paid for some
    if amount > 0:  # asked for once: a second handover of the same fulfilment asks for nothing more
        await request_payment(
            session,
            order=order,
            kind=PaymentKind.CAPTURE,
            amount=amount,
            source=f"fulfilment:{fulfilment.id}",
            actor=actor,
        )


ENDED = (OrderStatus.SHIPPED, OrderStatus.COMPLETED)  # every unit handed over or cancelled


async def release_unused(session: AsyncSession, *, order: Order, actor: str) -> None:
    """A prepaid order that has ended gives back what its card authorisation holds beyond what was captured
    (units cancelled, picked short): a VOID of the remainder, asked for once. The order is locked."""
    if PaymentMethod(order.payment_method) is not PaymentMethod.PREPAID or OrderStatus(order.status) not in ENDED:
        return
    unused = rules.unused_authorisation(order.total, await _calls(session, order.id))
    if unused > 0:
        await request_payment(session, order=order, kind=PaymentKind.VOID, amount=unused, source="unused", actor=actor)


async def settle_cancelled(session: AsyncSession, *, order: Order, actor: str) -> None:
    """A cancelled order: refund what was taken, else void the authorisation."""
    calls = await _calls(session, order.id)
    owed = rules.refundable_by_provider(calls)
    own = order.payment_provider or LEGACY_PROVIDER
    for provider, amount in owed.items():  # each provider gives back what it took
        source = "cancel" if provider == own else f"cancel:{provider}"
        kind = PaymentKind.REFUND
        await request_payment(
            session, order=order, kind=kind, amount=amount, source=source, actor=actor, provider=provider
        )
    if not owed and not rules.captured_before(calls):
        await request_payment(
            session, order=order, kind=PaymentKind.VOID, amount=order.total, source="cancel", actor=actor
        )


async def refund_return(
    session: AsyncSession, *, order: Order, return_id: uuid.UUID, value: Decimal, actor: str
) -> Decimal:
    """Refund received units, never more than the order has left to refund; the amount asked for."""
    amount = min(in_minor_units(value, order.currency), rules.refundable(await _calls(session, order.id)))
    if amount > 0:
        await request_payment(
            session,
            order=order,
            kind=PaymentKind.REFUND,
            amount=amount,
            source=f"{RETURN_SOURCE}{return_id}",
            actor=actor,
        )
    return amount


async def refundable_now(session: AsyncSession, *, order: Order) -> Decimal:
    """What the order has left to refund: captured (or being captured) less refunded (or being refunded)."""
    return rules.refundable(await _calls(session, order.id))


_PENDING_CALL = (
    select(PaymentTransaction, Order.number, Order.payment_reference)
    .join(Order, Order.id == PaymentTransaction.order_id)
    .where(PaymentTransaction.id == bindparam("b_transaction"))
)


async def pending_call(session: AsyncSession, *, transaction_id: uuid.UUID) -> PendingCall | None:
    """The call to make for a transaction, or None when it was answered already."""
    found = (await session.execute(_PENDING_CALL, {"b_transaction": transaction_id})).first()
    if found is None or found[0].status != TransactionStatus.PENDING:
        return None
    transaction, number, reference = found
    kind = PaymentKind(transaction.kind)
    if kind is PaymentKind.REFUND:
        capturing = await session.scalar(
            select(PaymentTransaction.id).where(
                PaymentTransaction.order_id == transaction.order_id,
                PaymentTransaction.kind == PaymentKind.CAPTURE,
                PaymentTransaction.status == TransactionStatus.PENDING,
            )
        )
        if capturing is not None:
            raise CaptureInFlight(f"order {number}: a capture is still being made")
    request = PaymentRequest(
        key=str(transaction.id),
        order_number=number,
        amount=transaction.amount,
        currency=transaction.currency,
        reference=reference,
    )
    return PendingCall(kind=kind, provider=transaction.provider, request=request)


async def succeeded(
    session: AsyncSession, *, transaction_id: uuid.UUID, reference: str | None, authorization: str | None = None
) -> PaymentTransaction | None:
    """The provider did it: record its reference (and the authorisation a capture needed first)."""
    locked = await _locked(session, transaction_id)
    if locked is None:
        return None
    transaction, order = locked
    calls = await _calls(session, order.id, now_done=(transaction.id, TransactionStatus.SUCCEEDED))
    now = utcnow()
    kind = PaymentKind(transaction.kind)
    if authorization is not None:
        order.payment_reference = authorization
        await append_event(
            session,
            order_id=order.id,
            type=EventType.PAYMENT_AUTHORIZED,
            actor="system",
            at=now,
            data={"transaction": str(transaction.id), "reference": authorization},
        )
    transaction.status, transaction.reference, transaction.error, transaction.updated_at = (
        TransactionStatus.SUCCEEDED,
        reference,
        None,
        now,
    )
    await append_event(
        session,
        order_id=order.id,
        type=rules.DONE_EVENT[kind],
        actor="system",
        at=now,
        data={"transaction": str(transaction.id), "amount": str(transaction.amount), "reference": reference},
    )
    _recompute(order, calls)
    if kind is PaymentKind.REFUND and transaction.source.startswith(RETURN_SOURCE):
        await _return_refunded(session, order, uuid.UUID(transaction.source.removeprefix(RETURN_SOURCE)), now)
    return transaction


async def failed(
    session: AsyncSession, *, transaction_id: uuid.UUID, error: str, permanent: bool
) -> PaymentTransaction | None:
    """The provider declined (permanent: the transaction FAILED) or could not be reached (it is retried)."""
    locked = await _locked(session, transaction_id)
    if locked is None:
        return None
    transaction, order = locked
    now = utcnow()
    transaction.attempts += 1
    transaction.error, transaction.updated_at = error[:500], now
    data = {
        "transaction": str(transaction.id),
        "kind": transaction.kind,
        "amount": str(transaction.amount),
        "attempt": transaction.attempts,
        "error": error[:500],
    }
    if not permanent:
        await append_event(
            session, order_id=order.id, type=EventType.PAYMENT_RETRYING, actor="system", at=now, data=data
        )
        return transaction
    calls = await _calls(session, order.id, now_done=(transaction.id, TransactionStatus.FAILED))
    transaction.status = TransactionStatus.FAILED
    await append_event(session, order_id=order.id, type=EventType.PAYMENT_FAILED, actor="system", at=now, data=data)
    _recompute(order, calls)
    return transaction


_TRANSACTION_LOCKED = (
    select(PaymentTransaction).where(PaymentTransaction.id == bindparam("b_transaction")).with_for_update()
)


async def _locked(session: AsyncSession, transaction_id: uuid.UUID) -> tuple[PaymentTransaction, Order] | None:
    """A pending transaction and its order, locked order first (the lock order of every order change)."""
    order = await lock_order_of_payment(session, transaction_id=transaction_id)
    if order is None:
        return None
    transaction = await session.scalar(_TRANSACTION_LOCKED, {"b_transaction": transaction_id})
    if order is None or transaction is None or transaction.status != TransactionStatus.PENDING:
        return None
    return transaction, order


_CALLS = select(
    PaymentTransaction.id,
    PaymentTransaction.kind,
    PaymentTransaction.status,
    PaymentTransaction.amount,
    PaymentTransaction.source,
    PaymentTransaction.provider,
).where(PaymentTransaction.order_id == bindparam("b_order"))


async def _calls(
    session: AsyncSession, order_id: uuid.UUID, *, now_done: tuple[uuid.UUID, TransactionStatus] | None = None
) -> list[Call]:
    """The order's payment calls; `now_done`: one of them with the status it is being given."""
    rows = await session.execute(_CALLS, {"b_order": order_id})
    done_id, done_status = now_done or (None, None)
    return [
        Call(
            PaymentKind(kind),
            done_status if id_ == done_id and done_status else TransactionStatus(status),
            amount,
            source,
            provider,
        )
        for id_, kind, status, amount, source, provider in rows
    ]


def _recompute(order: Order, calls: list[Call]) -> None:
    """The order's payment status from its calls (one UPDATE of the order with its other changes)."""
    initial = initial_payment_status(PaymentMethod(order.payment_method))
    status = rules.payment_status(initial, calls)
    if status is not PaymentStatus(order.payment_status):
        order.payment_status, order.updated_at = status, utcnow()


async def _return_refunded(session: AsyncSession, order: Order, return_id: uuid.UUID, now: datetime) -> None:
    found = await session.scalar(select(Return).where(Return.id == return_id).with_for_update())
    if found is None or found.status != ReturnStatus.RECEIVED:
        return
    found.status, found.updated_at = ReturnStatus.REFUNDED, now
    await append_event(
        session,
        order_id=order.id,
        type=EventType.RETURN_REFUNDED,
        actor="system",
        at=now,
        data={"return": str(found.id), "number": found.number, "amount": str(found.refund_amount)},
    )
