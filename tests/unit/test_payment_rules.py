"""Payment and return rules: when money is taken, the payment status from the calls' outcomes, what may
still be refunded or returned."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from oms_graph.domain.orders import PaymentMethod, PaymentStatus
from oms_graph.domain.payments import (
    Call,
    Handover,
    PaymentKind,
    TransactionStatus,
    capture_amount,
    captured_before,
    captures_at,
    refundable,
    unused_authorisation,
)
from oms_graph.domain.payments import payment_status as status_of
from oms_graph.domain.returns import ItemCondition, condition, returnable, take_back

OK, FAILED, PENDING = TransactionStatus.SUCCEEDED, TransactionStatus.FAILED, TransactionStatus.PENDING
CAPTURE, VOID, REFUND = PaymentKind.CAPTURE, PaymentKind.VOID, PaymentKind.REFUND


def call(kind: PaymentKind, status: TransactionStatus, amount: str) -> Call:
    return Call(kind, status, Decimal(amount))


@pytest.mark.parametrize(
    ("method", "captured_at"),
    [
        (PaymentMethod.PREPAID, {Handover.SHIPPED, Handover.COLLECTED}),
        (PaymentMethod.CASH_ON_DELIVERY, {Handover.DELIVERED}),
        (PaymentMethod.PAY_AT_PICKUP, {Handover.COLLECTED}),
    ],
)
def test_money_is_taken_when_the_goods_reach_the_customer_for_that_payment_method(method, captured_at):
    assert {h for h in Handover if captures_at(method, h)} == captured_at


def test_the_first_capture_carries_the_delivery_price():
    assert capture_amount(Decimal("20.00"), delivery_price=Decimal("4.90"), first=True) == Decimal("24.90")
    assert capture_amount(Decimal("20.00"), delivery_price=Decimal("4.90"), first=False) == Decimal("20.00")


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        ([], False),
        ([call(VOID, OK, "10")], False),
        ([call(CAPTURE, FAILED, "10")], False),  # declined: it took nothing, delivery included
        ([call(CAPTURE, FAILED, "10"), call(CAPTURE, PENDING, "10")], True),  # being made counts
        ([call(CAPTURE, OK, "10")], True),
    ],
)
def test_a_capture_counts_as_made_unless_it_was_declined(calls, expected):
    assert captured_before(calls) is expected


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        ([], PaymentStatus.AUTHORIZED),
        ([call(CAPTURE, PENDING, "10")], PaymentStatus.AUTHORIZED),  # nothing answered yet
        ([call(CAPTURE, OK, "10")], PaymentStatus.CAPTURED),
        ([call(CAPTURE, FAILED, "10")], PaymentStatus.FAILED),
        ([call(VOID, OK, "10")], PaymentStatus.VOIDED),
        ([call(CAPTURE, OK, "10"), call(REFUND, OK, "4")], PaymentStatus.PARTIALLY_REFUNDED),
        ([call(CAPTURE, OK, "10"), call(REFUND, OK, "4"), call(REFUND, OK, "6")], PaymentStatus.REFUNDED),
        ([call(CAPTURE, OK, "10"), call(REFUND, FAILED, "10")], PaymentStatus.CAPTURED),
    ],
)
def test_the_payment_status_follows_the_answered_calls(calls, expected):
    assert status_of(PaymentStatus.AUTHORIZED, calls) is expected


def test_what_is_left_to_refund_counts_calls_under_way_but_not_failed_ones():
    calls = [
        call(CAPTURE, OK, "24.90"),
        call(CAPTURE, PENDING, "10.00"),
        call(CAPTURE, FAILED, "99.00"),
        call(REFUND, OK, "10.00"),
        call(REFUND, PENDING, "5.00"),
        call(REFUND, FAILED, "20.00"),
    ]
    assert refundable(calls) == Decimal("19.90")
    assert refundable([call(REFUND, OK, "5")]) == Decimal(0)  # never negative


@dataclass
class Sold:
    sku: str
    unit_price: Decimal
    quantity_shipped: int
    quantity_returned: int


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        ([call(CAPTURE, OK, "24.90")], "10.00"),
        ([call(CAPTURE, OK, "14.90"), call(CAPTURE, PENDING, "10.00")], "10.00"),
        ([call(CAPTURE, OK, "24.90"), call(REFUND, OK, "24.90")], "10.00"),  # a refund gives back what was taken
        ([call(CAPTURE, OK, "24.90"), call(VOID, PENDING, "10.00")], "0"),
        ([call(CAPTURE, OK, "34.90")], "0"),
        ([call(CAPTURE, FAILED, "14.90"), call(CAPTURE, OK, "14.90")], "0"),  # kept for a retried capture
        ([], "34.90"),
    ],
)
def test_what_an_authorisation_still_holds_when_the_order_ends(calls, expected):
    assert unused_authorisation(Decimal("34.90"), calls) == Decimal(expected)


def test_returnable_units_are_shipped_less_returned_less_on_their_way_back():
    lines = [Sold("A", Decimal("5"), 3, 1), Sold("A", Decimal("7"), 2, 0), Sold("B", Decimal("1"), 0, 0)]
    assert returnable(lines, {"A": 2}) == {"A": 2, "B": 0}


def test_received_units_spread_over_the_lines_in_order_at_each_lines_price():
    lines = [Sold("A", Decimal("5"), 2, 1), Sold("B", Decimal("9"), 1, 0), Sold("A", Decimal("7"), 2, 0)]
    shares = take_back(lines, "A", 3)
    assert [(line.unit_price, n) for line, n in shares] == [(Decimal("5"), 1), (Decimal("7"), 2)]
    assert sum(line.unit_price * n for line, n in shares) == Decimal("19")


@pytest.mark.parametrize(
    ("received", "damaged", "expected"),
    [(0, 0, None), (2, 0, ItemCondition.SELLABLE), (2, 2, ItemCondition.DAMAGED), (2, 1, None)],
)
def test_a_return_lines_condition_is_shown_only_when_every_received_unit_shares_it(received, damaged, expected):
    assert condition(received, damaged) is expected
