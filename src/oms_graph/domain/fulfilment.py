"""Fulfilment vocabulary and rules: the state machine, and the order status its fulfilments give."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Protocol

from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus

PICKUP_CODE_DIGITS = 6


class FulfilmentStatus(StrEnum):
    # A pickup whose units (some of them) are still on their way to the store by transfer: not to prepare yet.
    AWAITING_TRANSFER = "AWAITING_TRANSFER"
    ASSIGNED = "ASSIGNED"
    ACCEPTED = "ACCEPTED"
    PICKED = "PICKED"
    PACKED = "PACKED"
    SHIPPED = "SHIPPED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    DELIVERED = "DELIVERED"
    COLLECTED = "COLLECTED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class RejectionReason(StrEnum):
    OUT_OF_STOCK = "OUT_OF_STOCK"
    DAMAGED = "DAMAGED"
    NO_CAPACITY = "NO_CAPACITY"
    OTHER = "OTHER"


class ShipmentStatus(StrEnum):
    BOOKING = "BOOKING"
    BOOKED = "BOOKED"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


# Fulfilments whose units are still reserved at their location (nothing has left it); a pickup awaiting
# transfers holds there what has arrived, its transfers the rest.
HOLDING_STOCK = frozenset(
    {
        FulfilmentStatus.AWAITING_TRANSFER,
        FulfilmentStatus.ASSIGNED,
        FulfilmentStatus.ACCEPTED,
        FulfilmentStatus.PICKED,
        FulfilmentStatus.PACKED,
        FulfilmentStatus.READY_FOR_PICKUP,
    }
)
# Fulfilments that no longer count for their order (their units went elsewhere or nowhere).
DROPPED = frozenset({FulfilmentStatus.REJECTED, FulfilmentStatus.CANCELLED})
# A rejection for these lowers the location's onHand by the rejected units (they are not there).
STOCK_GONE = {RejectionReason.OUT_OF_STOCK: "rejected_out_of_stock", RejectionReason.DAMAGED: "rejected_damaged"}
SHORT_PICK = "short_pick"


class Action(Enum):
    """What can happen to a fulfilment; each is one mutation (or a carrier update, or an expiry)."""

    ACCEPT = "accept"
    REJECT = "reject"
    PICK = "pick"
    PACK = "pack"
    SHIP = "ship"
    DELIVER = "deliver"
    READY_FOR_PICKUP = "mark ready for pickup"
    COLLECT = "collect"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Move:
    sources: frozenset[FulfilmentStatus]
    target: FulfilmentStatus
    methods: frozenset[FulfilmentMethod] = frozenset(FulfilmentMethod)


S, DELIVERY, PICKUP = FulfilmentStatus, frozenset({FulfilmentMethod.DELIVERY}), frozenset({FulfilmentMethod.PICKUP})
MOVES: dict[Action, Move] = {
    Action.ACCEPT: Move(frozenset({S.ASSIGNED}), S.ACCEPTED),
    Action.REJECT: Move(frozenset({S.ASSIGNED, S.ACCEPTED}), S.REJECTED),
    Action.PICK: Move(frozenset({S.ACCEPTED}), S.PICKED),
    Action.PACK: Move(frozenset({S.PICKED}), S.PACKED, DELIVERY),
    Action.SHIP: Move(frozenset({S.PACKED}), S.SHIPPED, DELIVERY),
    Action.DELIVER: Move(frozenset({S.SHIPPED}), S.DELIVERED, DELIVERY),
    Action.READY_FOR_PICKUP: Move(frozenset({S.PICKED}), S.READY_FOR_PICKUP, PICKUP),
    Action.COLLECT: Move(frozenset({S.READY_FOR_PICKUP}), S.COLLECTED, PICKUP),
    Action.CANCEL: Move(HOLDING_STOCK, S.CANCELLED),
}


def next_status(action: Action, status: FulfilmentStatus, method: FulfilmentMethod) -> FulfilmentStatus | None:
    """The status `action` leads to from `status`, or None when it is not allowed there."""
    move = MOVES[action]
    return move.target if status in move.sources and method in move.methods else None


# Stock movement reasons of units that left with a customer: what inventory turnover counts as sold.
SHIPPED_REASON, COLLECTED_REASON, SOLD_IN_STORE_REASON = "shipped", "collected", "sold_in_store"
SALE_REASONS = (SHIPPED_REASON, COLLECTED_REASON, SOLD_IN_STORE_REASON)


def order_status(
    fulfilments: Iterable[FulfilmentStatus], *, unallocated: bool, current: OrderStatus, awaiting_supply: bool = False
) -> OrderStatus:
    """What an order's status is once routed, from its fulfilments. `unallocated`: some units are still
    waiting for stock (a rejection or short pick found no other location); `awaiting_supply`: some are
    promised against inbound supply (a split order's rest), so the order is not done with what it has."""
    live = [f for f in fulfilments if f not in DROPPED]
    if not live:
        return OrderStatus.BACKORDERED if unallocated else current
    more = unallocated or awaiting_supply  # units no fulfilment holds yet
    done = {S.DELIVERED, S.COLLECTED}
    if all(f in done for f in live) and not more:
        return OrderStatus.COMPLETED
    gone = [f for f in live if f in (S.SHIPPED, S.DELIVERED, S.COLLECTED)]
    if gone:
        return OrderStatus.SHIPPED if len(gone) == len(live) and not more else OrderStatus.PARTIALLY_SHIPPED
    if all(f == S.READY_FOR_PICKUP for f in live) and not more:
        return OrderStatus.READY_FOR_PICKUP
    if unallocated:
        return OrderStatus.BACKORDERED
    if any(f not in (S.ASSIGNED, S.AWAITING_TRANSFER) for f in live):
        return OrderStatus.IN_FULFILMENT
    return OrderStatus.ROUTED


class PickedLine(Protocol):
    sku: str
    quantity: int


def picked_units(asked: Mapping[str, int], lines: Sequence[PickedLine], *, holder: str) -> dict[str, int]:
    """What a pick says was picked of each sku of a fulfilment or transfer (`holder`) that asked for `asked`
    units per sku: every sku once, 0 to its quantity; INVALID_INPUT for anything else."""
    errors = ErrorList()
    picked: dict[str, int] = {}
    for i, line in enumerate(lines):
        if line.sku not in asked:
            errors.add(ErrorCode.INVALID_INPUT, ["lines", i, "sku"], f"{line.sku} is not in this {holder}")
        elif line.sku in picked:
            errors.add(ErrorCode.INVALID_INPUT, ["lines", i, "sku"], f"{line.sku} is given twice")
        elif not 0 <= line.quantity <= asked[line.sku]:
            errors.add(
                ErrorCode.INVALID_INPUT,
                ["lines", i, "quantity"],
                f"between 0 and {asked[line.sku]} units of {line.sku} can be picked",
            )
        else:
            picked[line.sku] = line.quantity
    for sku in sorted(set(asked) - {line.sku for line in lines}):
        errors.add(ErrorCode.INVALID_INPUT, ["lines"], f"say how many units of {sku} were picked (0 if none)")
    errors.raise_if_any()
    return picked


def pickup_code() -> str:
    """A code the customer shows at the store: six digits, from a secure source."""
    return f"{secrets.randbelow(10**PICKUP_CODE_DIGITS):0{PICKUP_CODE_DIGITS}d}"
