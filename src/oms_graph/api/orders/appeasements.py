"""Appeasements in the schema: money given back that no returned unit stands for."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from oms_graph.api.context import Info
from oms_graph.api.errors import UserError, command, user_errors
from oms_graph.api.node import decode_id
from oms_graph.api.orders.types import Order
from oms_graph.api.permissions import roles
from oms_graph.db import models
from oms_graph.domain.access import Role
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.orders import in_minor_units
from oms_graph.domain.payments import AppeasementReason
from oms_graph.services.payments import appeasements

strawberry.enum(AppeasementReason)


@strawberry.input
class AppeasementInput:
    order_id: strawberry.ID
    amount: Decimal = strawberry.field(description="At most what was captured and not refunded yet.")
    reason: AppeasementReason
    note: str | None = None
    idempotency_key: str = strawberry.field(description="Sent again, the same appeasement answers (one refund).")


@strawberry.type(description="Money given back that no returned unit stands for (its refund: a payment).")
class Appeasement:
    amount: Decimal
    currency: str
    reason: AppeasementReason
    note: str | None
    actor: str
    created_at: datetime

    @classmethod
    def of(cls, row: models.Appeasement) -> Appeasement:
        return cls(
            amount=in_minor_units(row.amount, row.currency),
            currency=row.currency,
            reason=AppeasementReason(row.reason),
            note=row.note,
            actor=row.actor,
            created_at=row.created_at,
        )


@strawberry.type
class AppeasementPayload:
    appeasement: Appeasement | None
    order: Order | None
    errors: list[UserError]


@strawberry.type
class AppeasementMutation:
    @strawberry.mutation(
        extensions=roles(Role.INTEGRATION),
        description="Give money back for a late delivery, a damaged box...: refunded in the background, at most "
        "what was captured and not refunded yet.",
    )
    async def appease_order(self, info: Info, input: AppeasementInput) -> AppeasementPayload:
        decoded = decode_id(input.order_id)
        if decoded is None or decoded[0] != "Order":
            problem = DomainError.one(ErrorCode.NOT_FOUND, ["input", "orderId"], "no such order")
            return AppeasementPayload(appeasement=None, order=None, errors=user_errors(problem))
        caller = info.context.caller
        done, errors = await command(
            info,
            lambda s: appeasements.appease(
                s,
                order_id=decoded[1],
                amount=input.amount,
                reason=input.reason,
                note=input.note,
                idempotency_key=input.idempotency_key,
                principal=caller,
            ),
        )
        if done is None:
            return AppeasementPayload(appeasement=None, order=None, errors=errors)
        async with info.context.db.read() as session:
            order = await session.get_one(models.Order, done.order_id)
        return AppeasementPayload(appeasement=Appeasement.of(done), order=Order.from_model(order), errors=[])
