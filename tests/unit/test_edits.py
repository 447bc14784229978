"""The edit rules: every order status against every change, what changes make of lines, the money that moves."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from oms_graph.domain import edits
from oms_graph.domain.edits import Change, ChangeKind, Line
from oms_graph.domain.errors import ErrorList
from oms_graph.domain.notifications import render
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus, PaymentMethod
from oms_graph.domain.payments import Call, PaymentKind, TransactionStatus, unused_authorisation

K = ChangeKind
EVERYTHING = set(ChangeKind)
# Written out by hand: what an OMS user expects, not read from the table under test.
EXPECTED = {
    OrderStatus.PLACED: EVERYTHING,
    OrderStatus.ON_HOLD: EVERYTHING,
    OrderStatus.BACKORDERED: EVERYTHING,
    OrderStatus.AWAITING_SUPPLY: EVERYTHING,
    OrderStatus.ROUTED: EVERYTHING,
    OrderStatus.IN_FULFILMENT: {K.ADD_LINE, K.CHANGE_QUANTITY, K.REPLACE_SKU, K.CHANGE_DELIVERY_PRICE},
    OrderStatus.READY_FOR_PICKUP: {K.ADD_LINE, K.CHANGE_QUANTITY, K.REPLACE_SKU, K.CHANGE_DELIVERY_PRICE},
    OrderStatus.PARTIALLY_SHIPPED: set(),
    OrderStatus.SHIPPED: set(),
    OrderStatus.COMPLETED: set(),
    OrderStatus.CANCELLED: set(),
}


@pytest.mark.parametrize("status", list(OrderStatus))
@pytest.mark.parametrize("change", list(ChangeKind))
def test_every_status_against_every_change(status, change):  # type: ignore[no-untyped-def]
    allowed = edits.refusal(status, FulfilmentMethod.DELIVERY, change) is None
    assert allowed == (change in EXPECTED[status])
    if status in (OrderStatus.SHIPPED, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.COMPLETED):
        assert "return or an exchange" in (edits.refusal(status, FulfilmentMethod.DELIVERY, change) or "")


def test_a_pickup_its_store_prepares_takes_no_new_line():
    assert edits.refusal(OrderStatus.IN_FULFILMENT, FulfilmentMethod.PICKUP, K.ADD_LINE) is not None
    assert edits.refusal(OrderStatus.ROUTED, FulfilmentMethod.PICKUP, K.ADD_LINE) is None


A, B = uuid.uuid4(), uuid.uuid4()
LINES = [Line(A, "S-1", 3, Decimal("10"), cancelled=1), Line(B, "S-2", 1, Decimal("4"))]


def test_a_quantity_change_keeps_what_was_cancelled_and_a_swap_moves_the_live_units():
    errors = ErrorList()
    after = edits.edited_lines(
        LINES,
        [
            Change(K.CHANGE_QUANTITY, 0, line=B, quantity=0),
            Change(K.REPLACE_SKU, 1, line=A, sku="S-9", unit_price=Decimal("12")),
            Change(K.ADD_LINE, 2, sku="S-2", quantity=2, unit_price=Decimal("3.5")),
        ],
        errors,
    )
    assert errors.errors == []
    assert [(x.key, x.sku, x.quantity, x.live, x.unit_price) for x in after] == [
        (A, "S-1", 1, 0, Decimal("10")),  # only its cancelled unit is left on it
        (None, "S-9", 2, 2, Decimal("12")),
        (None, "S-2", 2, 2, Decimal("3.5")),
    ]
    assert edits.difference(edits.demand(LINES), edits.demand(after)) == ({"S-9": 2, "S-2": 1}, {"S-1": 2})
    assert edits.subtotal(after) == Decimal("41")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            [Change(K.CHANGE_QUANTITY, 0, line=uuid.uuid4(), quantity=1)],
            ["input", "changes", "0", "changeQuantity", "lineId"],
        ),
        ([Change(K.CHANGE_QUANTITY, 0, line=A, quantity=-1)], ["input", "changes", "0", "changeQuantity", "quantity"]),
        ([Change(K.REPLACE_SKU, 0, line=A, sku="S-1")], ["input", "changes", "0", "replaceSku", "sku"]),
        (
            [Change(K.CHANGE_QUANTITY, 0, line=A, quantity=1), Change(K.CHANGE_QUANTITY, 1, line=A, quantity=2)],
            ["input", "changes", "1", "changeQuantity", "lineId"],
        ),
        (
            [Change(K.CHANGE_QUANTITY, 0, line=A, quantity=0), Change(K.CHANGE_QUANTITY, 1, line=B, quantity=0)],
            ["input", "changes"],
        ),
        ([Change(K.ADD_LINE, 0, sku="S-3", quantity=0, unit_price=Decimal(1))], ["input", "changes", "0", "addLine"]),
    ],
)
def test_bad_line_changes_are_named_with_their_path(changes, field):  # type: ignore[no-untyped-def]
    errors = ErrorList()
    edits.edited_lines(LINES, changes, errors)
    assert [list(e.field or []) for e in errors.errors] == [field]


def test_only_prepaid_orders_move_money_when_edited():
    assert edits.payment_call(PaymentMethod.PREPAID, Decimal("5")) == (PaymentKind.INCREMENT, Decimal("5"))
    assert edits.payment_call(PaymentMethod.PREPAID, Decimal("-7")) == (PaymentKind.VOID, Decimal("7"))
    assert edits.payment_call(PaymentMethod.PREPAID, Decimal("0")) is None
    assert edits.payment_call(PaymentMethod.CASH_ON_DELIVERY, Decimal("5")) is None


def test_an_edits_void_and_a_declined_increment_leave_the_right_amount_to_release():
    ok, failed = TransactionStatus.SUCCEEDED, TransactionStatus.FAILED
    # total 100 after +20 (declined) and -10 (voided): 80 really held; 50 captured; 30 to release
    calls = [
        Call(PaymentKind.INCREMENT, failed, Decimal(20), "edit:x:2"),
        Call(PaymentKind.VOID, ok, Decimal(10), "edit:x:3"),
        Call(PaymentKind.CAPTURE, ok, Decimal(50), "fulfilment:y"),
    ]
    assert unused_authorisation(Decimal(100), calls) == Decimal(30)


def test_the_customer_hears_the_new_total_in_their_language():
    message = render("ORDER_EDITED", "de", {"number": "WEB-000001", "name": "Ada", "total": "27.50", "currency": "EUR"})
    assert "27,50\xa0€" in message.body and "WEB-000001" in message.subject  # money as German writes it
