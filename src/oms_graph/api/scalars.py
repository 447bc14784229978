"""Scalars whose parsing matters for money."""

from __future__ import annotations

import decimal

import strawberry
from graphql import GraphQLError


def parse_decimal(value: object) -> decimal.Decimal:
    """A GraphQLError (an answer, not a fault) for anything but a finite decimal number."""
    # str() first: a JSON number 19.99 must become Decimal("19.99"), not the binary float's expansion.
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _not_decimal(value)
    try:
        parsed = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        raise _not_decimal(value) from None
    if not parsed.is_finite():
        raise _not_decimal(value)
    return parsed


def _not_decimal(value: object) -> GraphQLError:
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
    return GraphQLError(f"{shown} is not a Decimal (a finite decimal number)", extensions={"code": "INVALID_INPUT"})


DECIMAL = strawberry.scalar(
    name="Decimal",
    description="A decimal number, sent as a string (a JSON number is read through its text).",
    serialize=str,
    parse_value=parse_decimal,
)
