"""Appeasements (INTEGRATION, ADMIN): money given back that no returned unit stands for, with a reason,
never more than the order has left to refund; the refund goes to the provider in the background like any
other (a PaymentTransaction, `payment.execute`). Sent again with the same idempotency key, the same
appeasement answers; with other input, IDEMPOTENCY_CONFLICT."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import Appeasement
from oms_graph.domain import payments as rules
from oms_graph.domain.access import Principal
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.events import EventType
from oms_graph.domain.orders import fits_currency, in_minor_units
from oms_graph.domain.payments import AppeasementReason, PaymentKind
from oms_graph.services import audit
from oms_graph.services.orders.locking import for_change
from oms_graph.services.outbox import append_event
from oms_graph.services.payments import transactions


async def appease(
    session: AsyncSession,
    *,
    order_id: uuid.UUID,
    amount: Decimal,
    reason: AppeasementReason,
    note: str | None,
    idempotency_key: str,
    principal: Principal,
) -> Appeasement:
    order = await for_change(session, order_id, principal)
    key = idempotency_key.strip()
    before = await session.scalar(
        select(Appeasement).where(Appeasement.order_id == order.id, Appeasement.idempotency_key == key)
    )
    if before is not None:
        if (before.amount, before.reason) != (in_minor_units(amount, order.currency), reason.value):
            raise DomainError.one(
                ErrorCode.IDEMPOTENCY_CONFLICT, ["input", "idempotencyKey"], f"{key!r} was used for another appeasement"
            )
        return before
    errors = ErrorList()
    if not 0 < len(key) <= 200:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "idempotencyKey"], "must be 1-200 characters")
    if note is not None and len(note) > 500:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "note"], "at most 500 characters")
    if not fits_currency(amount, order.currency):
        errors.add(ErrorCode.INVALID_INPUT, ["input", "amount"], f"more decimals than {order.currency} allows")
    else:
        problem = rules.appeasement_problem(amount, await transactions.refundable_now(session, order=order))
        if problem is not None:
            errors.add(ErrorCode.INVALID_INPUT, ["input", "amount"], problem)
    errors.raise_if_any()
    given = Appeasement(
        order_id=order.id,
        amount=in_minor_units(amount, order.currency),
        currency=order.currency,
        reason=reason.value,
        note=note,
        idempotency_key=key,
        actor=principal.name,
    )
    session.add(given)
    await session.flush()
    await transactions.request_payment(
        session,
        order=order,
        kind=PaymentKind.REFUND,
        amount=given.amount,
        source=f"{rules.APPEASEMENT_SOURCE}{given.id}",
        actor=principal.name,
    )
    data = {"number": order.number, "amount": str(given.amount), "currency": given.currency, "reason": reason.value}
    await append_event(session, order_id=order.id, type=EventType.ORDER_APPEASED, actor=principal.name, data=data)
    await audit.record(session, [audit.changed("Appeasement", f"{order.number}/{key}", None, {**data, "note": note})])
    return given


async def of_order(session: AsyncSession, *, order_id: uuid.UUID) -> list[Appeasement]:
    rows = await session.scalars(
        select(Appeasement).where(Appeasement.order_id == order_id).order_by(Appeasement.created_at)
    )
    return list(rows)
