"""Asking for a payment call: once per (order, kind, source), in one statement, whoever asks again."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select

from oms_graph.db.models import OrderEvent, PaymentTransaction
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.payments import PaymentKind
from oms_graph.services.orders import placement
from oms_graph.services.orders.locking import lock_order
from oms_graph.services.payments import transactions as payments
from tests.factories import DEFAULTS, placement_fields, stocked_warehouse

ADMIN = Principal(key_id=uuid.uuid4(), name="payments", role=Role.ADMIN)


async def test_a_call_asked_for_twice_is_written_once_with_one_event(db):  # type: ignore[no-untyped-def]
    await stocked_warehouse(db, sku="A", on_hand=10)
    async with db.write() as s:
        fields = placement_fields("pay-1", [("A", 1, "10")])
        order_id = (await placement.place_order(s, order=fields, principal=ADMIN, settings=DEFAULTS)).id
    asked = []
    for _ in range(2):  # e.g. a handover recorded again
        async with db.write() as s:
            order = await lock_order(s, order_id=order_id)
            assert order is not None
            asked.append(
                await payments.request_payment(
                    s, order=order, kind=PaymentKind.CAPTURE, amount=Decimal("10"), source="fulfilment:x", actor="t"
                )
            )
    assert asked == [True, False]
    async with db.read() as s:
        calls = await s.scalar(select(func.count()).select_from(PaymentTransaction))
        requested = await s.scalar(
            select(func.count()).select_from(OrderEvent).where(OrderEvent.type == "PAYMENT_REQUESTED")
        )
    assert (calls, requested) == (1, 1)
