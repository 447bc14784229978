"""Fulfilment vocabulary."""

from __future__ import annotations

from enum import Enum


class FulfilmentStatus(Enum):
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


# Fulfilments whose units are still reserved at their location (nothing has left it).
HOLDING_STOCK = frozenset(
    {
        FulfilmentStatus.ASSIGNED,
        FulfilmentStatus.ACCEPTED,
        FulfilmentStatus.PICKED,
        FulfilmentStatus.PACKED,
        FulfilmentStatus.READY_FOR_PICKUP,
    }
)
