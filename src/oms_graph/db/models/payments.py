"""Calls to an order's payment provider: one row per authorisation, capture, void or refund."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, Choice, created_at, updated_at, uuid_pk
from oms_graph.db.models.orders import Money
from oms_graph.domain.payments import PaymentKind, TransactionStatus


class PaymentTransaction(Base):
    """Written PENDING in the transaction of the change that asks for it (a shipment, a cancellation, a
    return); an actor calls the provider after commit, with the row's id as idempotency key, and records
    the outcome. (order, kind, source) is unique, so asking twice for the same thing asks once."""

    __tablename__ = "payment_transactions"
    __table_args__ = (
        UniqueConstraint("order_id", "kind", "source", name="uq_payment_transactions_order_kind_source"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[PaymentKind] = mapped_column(Choice(PaymentKind, 16))
    status: Mapped[TransactionStatus] = mapped_column(Choice(TransactionStatus, 16))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(64))
    # What asked for it: "fulfilment:<id>", "return:<id>", "cancel", "store-sale".
    source: Mapped[str] = mapped_column(String(80))
    # The provider's id for this call, once it answered.
    reference: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Appeasement(Base):
    """Money given back that no returned unit stands for (a late delivery, a damaged box), with its reason;
    its refund is a PaymentTransaction (source `appeasement:<id>`). Its idempotency key is the order's."""

    __tablename__ = "appeasements"
    __table_args__ = (UniqueConstraint("order_id", "idempotency_key", name="uq_appeasements_order_key"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(32))  # domain.payments.AppeasementReason
    note: Mapped[str | None] = mapped_column(String(500))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at()
