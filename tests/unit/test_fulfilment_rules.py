"""The fulfilment state machine is exactly the contract's, and an order's status follows its fulfilments."""

from __future__ import annotations

import itertools

from oms_graph.domain.fulfilment import Action, FulfilmentStatus, next_status, order_status, pickup_code
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus

S, D, P = FulfilmentStatus, FulfilmentMethod.DELIVERY, FulfilmentMethod.PICKUP
HOLDING = [S.ASSIGNED, S.ACCEPTED, S.PICKED, S.PACKED, S.READY_FOR_PICKUP]
# Contract point 5, written out: (action, from, method) -> to
ALLOWED = {
    **{(Action.ACCEPT, S.ASSIGNED, m): S.ACCEPTED for m in (D, P)},
    **{(Action.REJECT, s, m): S.REJECTED for s in (S.ASSIGNED, S.ACCEPTED) for m in (D, P)},
    **{(Action.PICK, S.ACCEPTED, m): S.PICKED for m in (D, P)},
    (Action.PACK, S.PICKED, D): S.PACKED,
    (Action.SHIP, S.PACKED, D): S.SHIPPED,
    (Action.DELIVER, S.SHIPPED, D): S.DELIVERED,
    (Action.READY_FOR_PICKUP, S.PICKED, P): S.READY_FOR_PICKUP,
    (Action.COLLECT, S.READY_FOR_PICKUP, P): S.COLLECTED,
    **{(Action.CANCEL, s, m): S.CANCELLED for s in HOLDING for m in (D, P)},
    # A pickup waiting for its transfers (ship-to-store) can be cancelled, and nothing else: no step of work
    # starts before its units are at the store. (Only pickups ever wait so; the table does not ask the method.)
    **{(Action.CANCEL, S.AWAITING_TRANSFER, m): S.CANCELLED for m in (D, P)},
}


def test_the_state_machine_allows_exactly_the_contracts_moves():
    for action, status, method in itertools.product(Action, FulfilmentStatus, FulfilmentMethod):
        assert next_status(action, status, method) == ALLOWED.get((action, status, method)), (action, status, method)


def test_the_order_status_follows_its_fulfilments():
    routed = OrderStatus.ROUTED

    def status(*fulfilments: FulfilmentStatus, waiting: bool = False) -> OrderStatus:
        return order_status(fulfilments, unallocated=waiting, current=routed)

    assert status(S.ASSIGNED, S.ASSIGNED) is OrderStatus.ROUTED
    assert status(S.ASSIGNED, S.ACCEPTED) is OrderStatus.IN_FULFILMENT
    assert status(S.SHIPPED, S.PICKED) is OrderStatus.PARTIALLY_SHIPPED
    assert status(S.SHIPPED, S.DELIVERED, S.REJECTED) is OrderStatus.SHIPPED
    assert status(S.DELIVERED, S.CANCELLED) is OrderStatus.COMPLETED
    assert status(S.READY_FOR_PICKUP) is OrderStatus.READY_FOR_PICKUP
    assert status(S.COLLECTED) is OrderStatus.COMPLETED
    assert status(S.ACCEPTED, waiting=True) is OrderStatus.BACKORDERED  # some units wait for stock
    assert status(S.DELIVERED, waiting=True) is OrderStatus.PARTIALLY_SHIPPED
    assert status(S.REJECTED, waiting=True) is OrderStatus.BACKORDERED


def test_pickup_codes_are_six_digits_and_vary():
    codes = {pickup_code() for _ in range(50)}
    assert all(len(c) == 6 and c.isdigit() for c in codes) and len(codes) > 40
