"""What the ledger writes to: the stock tables, and the movement row every change of onHand leaves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table

from oms_graph.db.models import ChannelPromise, Product, StockLevel, StockMovement

levels = cast(Table, StockLevel.__table__)
products = cast(Table, Product.__table__)
movements = cast(Table, StockMovement.__table__)
channel_promises = cast(Table, ChannelPromise.__table__)
LEVEL_KEY = ("sku", "location_id")


@dataclass(frozen=True)
class Movement:
    """Why onHand changed, who changed it, and when: what every movement row of one operation shares."""

    reason: str
    actor: str | None
    at: datetime
    source: str | None = None  # with movement_id: a movement sent from outside, applied once per location
    movement_id: str | None = None


def movement_row(sku: str, location_id: uuid.UUID, delta: int, after: Any, movement: Movement) -> dict[str, Any]:
    """A ledger row: the change of onHand and the level after it."""
    return {
        "sku": sku,
        "location_id": location_id,
        "delta": delta,
        "on_hand_after": after.on_hand,
        "safety_stock_after": after.safety_stock,
        "reason": movement.reason,
        "actor": movement.actor,
        "at": movement.at,
        "counted": None,
        "source": movement.source,
        "movement_id": movement.movement_id,
    }
