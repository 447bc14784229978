"""Scalars whose parsing matters for money."""

from __future__ import annotations

import decimal

import strawberry


def parse_decimal(value: object) -> decimal.Decimal:
    # str() first: a JSON number 19.99 must become Decimal("19.99"), not the binary float's expansion.
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{value!r} is not a decimal number")
    parsed = decimal.Decimal(str(value).strip())
    if not parsed.is_finite():
        raise ValueError(f"{value!r} is not a finite decimal number")
    return parsed


DECIMAL = strawberry.scalar(
    name="Decimal",
    description="A decimal number, sent as a string (a JSON number is read through its text).",
    serialize=str,
    parse_value=parse_decimal,
)
