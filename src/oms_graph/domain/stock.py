"""Stock arithmetic, the same everywhere it is shown or promised."""

from __future__ import annotations


def available(*, on_hand: int, reserved: int, safety_stock: int) -> int:
    """What a location can still give to new demand; negative when a count came in below reservations."""
    return on_hand - reserved - safety_stock
