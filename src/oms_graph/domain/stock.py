"""Stock arithmetic, the same everywhere it is shown or promised: on counts in Python and on columns in SQL."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, cast


class Quantity(Protocol):
    """A number of units: an int, or a SQL expression of one."""

    def __sub__(self, other: Any, /) -> Any: ...


Q = TypeVar("Q", bound=Quantity)


def available(*, on_hand: Q, reserved: Q, safety_stock: Q) -> Q:
    """What a location can still give to new demand; negative when a count came in below reservations.
    Given columns, the SQL expression of it (the stock ledger's `AVAILABLE`)."""
    return cast(Q, on_hand - reserved - safety_stock)
