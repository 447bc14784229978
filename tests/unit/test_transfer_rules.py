"""The transfer state machine, what a receipt may say, and the road's default time."""

from __future__ import annotations

import itertools
from datetime import timedelta

from oms_graph.domain.fulfilment import FulfilmentStatus, order_status
from oms_graph.domain.orders import OrderStatus
from oms_graph.domain.transfers import (
    Receipt,
    TransferAction,
    TransferStatus,
    default_transit,
    next_status,
    receipt_problem,
    received_status,
)

T, A = TransferStatus, TransferAction
ALLOWED = {
    (A.ACCEPT, T.REQUESTED): T.ACCEPTED,
    (A.REJECT, T.REQUESTED): T.REJECTED,
    (A.REJECT, T.ACCEPTED): T.REJECTED,
    (A.PICK, T.ACCEPTED): T.PICKED,
    (A.PACK, T.PICKED): T.PACKED,
    (A.SHIP, T.PACKED): T.IN_TRANSIT,
    (A.RECEIVE, T.IN_TRANSIT): T.RECEIVED,
    **{(A.CANCEL, s): T.CANCELLED for s in (T.REQUESTED, T.ACCEPTED, T.PICKED, T.PACKED, T.IN_TRANSIT)},
}


def test_the_transfer_state_machine_allows_exactly_its_moves():
    for action, status in itertools.product(TransferAction, TransferStatus):
        assert next_status(action, status) == ALLOWED.get((action, status)), (action, status)


def test_a_receipt_cannot_say_more_arrived_than_shipped_nor_negative_units():
    assert receipt_problem(shipped=5, received=3, damaged=2) is None
    assert receipt_problem(shipped=5, received=4, damaged=2) == "4 received and 2 damaged, but 5 were shipped"
    assert receipt_problem(shipped=5, received=-1, damaged=0) == "received and damaged units cannot be negative"


def test_a_transfer_is_received_whole_only_when_every_shipped_unit_arrived_sellable():
    assert received_status([Receipt(3, 3, 0), Receipt(1, 1, 0)]) is T.RECEIVED
    assert received_status([Receipt(3, 2, 1)]) is T.PARTLY_RECEIVED
    assert received_status([Receipt(3, 2, 0)]) is T.PARTLY_RECEIVED
    assert Receipt(5, 2, 1).missing == 2


def test_the_road_takes_a_day_per_started_500_km_and_a_day_at_least():
    assert default_transit(0) == timedelta(days=1)
    assert default_transit(499) == timedelta(days=1)
    assert default_transit(501) == timedelta(days=2)


def test_a_pickup_waiting_for_its_transfer_leaves_its_order_routed():
    waiting = [FulfilmentStatus.AWAITING_TRANSFER]
    assert order_status(waiting, unallocated=False, current=OrderStatus.ROUTED) is OrderStatus.ROUTED
