"""Transfers: stock sent from one location to another (a store refilled from the DC, slow stock moved on, a
pickup order's units brought to its store). The source works a transfer like a fulfilment; the destination
receives it. Pure rules: the state machine, what a receipt may say, and how long the road takes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum, StrEnum

from oms_graph.domain.fulfilment import RejectionReason


class TransferStatus(StrEnum):
    REQUESTED = "REQUESTED"
    ACCEPTED = "ACCEPTED"
    PICKED = "PICKED"
    PACKED = "PACKED"
    IN_TRANSIT = "IN_TRANSIT"
    RECEIVED = "RECEIVED"
    PARTLY_RECEIVED = "PARTLY_RECEIVED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class TransferAction(Enum):
    ACCEPT = "accept"
    REJECT = "reject"
    PICK = "pick"
    PACK = "pack"
    SHIP = "ship"
    RECEIVE = "receive"
    CANCEL = "cancel"


T = TransferStatus
# Transfers whose units are still reserved at the source (nothing has left it).
AT_SOURCE = frozenset({T.REQUESTED, T.ACCEPTED, T.PICKED, T.PACKED})
# Transfers not finished: at the source or on the road.
OPEN = AT_SOURCE | {T.IN_TRANSIT}
MOVES: dict[TransferAction, tuple[frozenset[TransferStatus], TransferStatus]] = {
    TransferAction.ACCEPT: (frozenset({T.REQUESTED}), T.ACCEPTED),
    TransferAction.REJECT: (frozenset({T.REQUESTED, T.ACCEPTED}), T.REJECTED),
    TransferAction.PICK: (frozenset({T.ACCEPTED}), T.PICKED),
    TransferAction.PACK: (frozenset({T.PICKED}), T.PACKED),
    TransferAction.SHIP: (frozenset({T.PACKED}), T.IN_TRANSIT),
    TransferAction.RECEIVE: (frozenset({T.IN_TRANSIT}), T.RECEIVED),
    TransferAction.CANCEL: (OPEN, T.CANCELLED),
}

# Ledger reasons: units leaving the source, arriving at the destination, found damaged on arrival, and
# going back on the source's shelf when a transfer on the road is called back.
SENT_REASON, RECEIVED_REASON, DAMAGED_REASON, RETURNED_REASON = (
    "transfer_out",
    "transfer_in",
    "transfer_damaged",
    "transfer_returned",
)
# A rejection for these takes the units off the source's onHand (they are not there, or not sellable).
STOCK_GONE = {RejectionReason.OUT_OF_STOCK: "rejected_out_of_stock", RejectionReason.DAMAGED: "rejected_damaged"}

MAX_LINES = 200
MAX_UNITS = 1_000_000


def next_status(action: TransferAction, status: TransferStatus) -> TransferStatus | None:
    """The status `action` leads to from `status`, or None when it is not allowed there."""
    sources, target = MOVES[action]
    return target if status in sources else None


@dataclass(frozen=True)
class Receipt:
    """What arrived of one line: sellable, damaged, and what never came (the shortfall, recorded)."""

    shipped: int
    received: int
    damaged: int

    @property
    def missing(self) -> int:
        return self.shipped - self.received - self.damaged


def receipt_problem(*, shipped: int, received: int, damaged: int) -> str | None:
    """Why a line's receipt cannot be, or None: nothing negative, no more than was shipped."""
    if received < 0 or damaged < 0:
        return "received and damaged units cannot be negative"
    if received + damaged > shipped:
        return f"{received} received and {damaged} damaged, but {shipped} were shipped"
    return None


def received_status(receipts: list[Receipt]) -> TransferStatus:
    """RECEIVED when every shipped unit arrived sellable, else PARTLY_RECEIVED (damaged or missing units)."""
    whole = all(r.received == r.shipped for r in receipts)
    return TransferStatus.RECEIVED if whole else TransferStatus.PARTLY_RECEIVED


# The road, when no transit time is kept for a pair of locations: a day per started 500 km (a day at least:
# picked and packed today, on the shelf tomorrow).
KM_PER_DAY = 500


def default_transit(distance_km: float) -> timedelta:
    """How long a transfer takes from its request to the destination's shelf when the pair of locations has
    no transit time of its own."""
    return timedelta(days=max(1, math.ceil(distance_km / KM_PER_DAY)))


def transfer_number(seq: int) -> str:
    return f"TR-{seq:06d}"


REPLENISHMENT_REASON = "replenishment"


def replenishment(*, available: int, inbound: int, sold: int, threshold: int) -> int:
    """Units to send a store of a sku: none unless what it can sell is below the threshold and the sku sold
    there in the period; then enough for what it has plus what is already coming to hold the period's sales
    again, and at least the threshold."""
    if available >= threshold or sold <= 0:
        return 0
    return max(0, max(threshold, sold) - max(0, available) - inbound)
