"""Inbound supply: stock on its way from outside the network (a supplier's purchase order, a carrier's
advance shipping notice), due at a location on a date. Pure rules: what a change may do, and what is still
to come."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

MAX_QUANTITY = 10_000_000
RECEIVED_REASON = "supply_received"  # the ledger's reason for supply arriving on a shelf
EARLY_ARRIVAL = timedelta(days=7)  # a count takes in supply due up to this long after it

Key = TypeVar("Key")


class SupplyKind(StrEnum):
    PURCHASE_ORDER = "PURCHASE_ORDER"
    ADVANCE_SHIPPING_NOTICE = "ADVANCE_SHIPPING_NOTICE"


class SupplyStatus(StrEnum):
    OPEN = "OPEN"  # some or all of it still to come
    RECEIVED = "RECEIVED"  # all of it arrived
    CLOSED = "CLOSED"  # cut to what arrived, or cancelled: the rest never comes


def still_due(quantity: int, received: int) -> int:
    return max(0, quantity - received)


def quantity_problem(quantity: int, received: int) -> str | None:
    """Why a supply cannot have this quantity: never below what already arrived."""
    if not 0 <= quantity <= MAX_QUANTITY:
        return f"0 to {MAX_QUANTITY} units"
    if quantity < received:
        return f"{received} units arrived already: the quantity cannot be less"
    return None


def status_after(quantity: int, received: int) -> SupplyStatus:
    """A supply whose every unit arrived is RECEIVED; one cut to what arrived (or to nothing) is CLOSED."""
    if received >= quantity:
        return SupplyStatus.RECEIVED if received and received == quantity else SupplyStatus.CLOSED
    return SupplyStatus.OPEN


def counted_in(found: int, due: Sequence[tuple[Key, int]]) -> list[tuple[Key, int]]:
    """A count found `found` units more than the books had: they are the supply due there (earliest first,
    each up to what is still to come) arriving; what each supply received. A count that finds nothing more
    receives nothing."""
    received = []
    for key, still in due:
        units = min(max(found, 0), still)
        if units <= 0:
            break
        received.append((key, units))
        found -= units
    return received


def routable(unallocated: Mapping[str, int], awaiting: Mapping[str, Any] | None) -> dict[str, int]:
    """Of an order's units no fulfilment holds, those that may be routed: not the ones promised against
    supply (`awaiting`, the order's future units), which wait for it."""
    left = {sku: n - int((awaiting or {}).get(sku, 0)) for sku, n in unallocated.items()}
    return {sku: n for sku, n in left.items() if n > 0}


def overdue(expected_at: datetime, now: datetime, status: SupplyStatus) -> bool:
    return status is SupplyStatus.OPEN and expected_at < now


class SupplyPolicy(StrEnum):
    """Whether a sku may be sold against inbound supply when no stock can promise it."""

    NONE = "NONE"  # only what is on a shelf
    PREORDER = "PREORDER"  # before launch: up to the inbound quantity, at most the product's preorder limit
    BACKORDER = "BACKORDER"  # beyond stock: up to the inbound quantity


def supply_cover(policy: SupplyPolicy, *, due: int, limit: int | None) -> int:
    """How many units orders may be promised against supply in all: none without a policy, never more than
    is due to come, and for pre-orders never more than the limit."""
    if policy is SupplyPolicy.NONE:
        return 0
    return due if policy is SupplyPolicy.BACKORDER or limit is None else min(due, limit)


def due_date(supply: list[tuple[datetime, int]], *, before: int, units: int) -> datetime | None:
    """When the units promised after `before` others are covered: the supply (date, units due) taken in date
    order, first promised first served. None when the supply does not cover them."""
    covered = 0
    for expected_at, due in sorted(supply):
        covered += due
        if covered >= before + units:
            return expected_at
    return None


def available_from(
    *,
    now: datetime,
    available: int,
    supply: list[tuple[datetime, int]],
    transfers: list[tuple[datetime, int]],
    promised_future: int,
    quantity: int,
) -> datetime | None:
    """The earliest time `quantity` units can be promised: now when stock has them, else when enough arrives
    (supply due and free transfers landing at locations that ship), the supply's first units going to the
    orders already promised against it. None when what is known to come is not enough."""
    if available >= quantity:
        return now
    arrivals = sorted([(at, n, True) for at, n in supply] + [(at, n, False) for at, n in transfers])
    owed, have = promised_future, available
    for at, units, from_supply in arrivals:
        taken = min(owed, units) if from_supply else 0
        owed -= taken
        have += units - taken
        if have >= quantity:
            return max(at, now)
    return None
