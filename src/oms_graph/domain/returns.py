"""Return rules: what may come back, and how received units spread over the order's lines."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

MAX_RETURN_LINES = 500


class ReturnStatus(StrEnum):
    REQUESTED = "REQUESTED"
    RECEIVED = "RECEIVED"
    REFUNDED = "REFUNDED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class ItemCondition(StrEnum):
    SELLABLE = "SELLABLE"
    DAMAGED = "DAMAGED"


class SoldLine(Protocol):
    sku: str
    unit_price: Decimal
    quantity_shipped: int
    quantity_returned: int


def returnable(lines: Sequence[SoldLine], open_requests: dict[str, int]) -> dict[str, int]:
    """Units per sku that may still be returned: shipped or collected, less returned, less those in
    returns requested and not yet received."""
    units: dict[str, int] = {}
    for line in lines:
        units[line.sku] = units.get(line.sku, 0) + line.quantity_shipped - line.quantity_returned
    return {sku: n - open_requests.get(sku, 0) for sku, n in units.items()}


def take_back(lines: Sequence[SoldLine], sku: str, units: int) -> list[tuple[SoldLine, int]]:
    """Received units of a sku spread over its lines in line order (as far as each was shipped and not
    returned): which line takes how many. The refund is each line's unit price times its share."""
    shares = []
    for line in lines:
        if line.sku != sku or units <= 0:
            continue
        take = min(units, line.quantity_shipped - line.quantity_returned)
        if take > 0:
            shares.append((line, take))
            units -= take
    return shares


def return_number(order_number: str, nth: int) -> str:
    """e.g. WEB-000123-R2: the order's second return."""
    return f"{order_number}-R{nth}"


def condition(received: int, damaged: int) -> ItemCondition | None:
    """A line's condition: SELLABLE or DAMAGED when all its received units are, else none (mixed, or
    nothing received)."""
    if received == 0 or 0 < damaged < received:
        return None
    return ItemCondition.DAMAGED if damaged else ItemCondition.SELLABLE
