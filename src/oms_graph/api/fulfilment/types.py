"""Fulfilments in the schema (the parts built so far)."""

from __future__ import annotations

import strawberry


@strawberry.type
class FulfilmentLine:
    sku: str
    quantity: int
    quantity_picked: int | None = None
