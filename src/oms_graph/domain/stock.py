"""Stock arithmetic, the same everywhere it is shown or promised."""

from __future__ import annotations


def available(*, on_hand: int, reserved: int, safety_stock: int) -> int:
    """What a location can still give to new demand; negative when a count came in below reservations."""
    return on_hand - reserved - safety_stock


def sellable(*, on_hand: int, reserved: int, safety_stock: int) -> int:
    """Available, floored at zero: a location short of stock cannot take from another's."""
    return max(0, available(on_hand=on_hand, reserved=reserved, safety_stock=safety_stock))
