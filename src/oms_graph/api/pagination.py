"""Relay-style cursor pagination: opaque cursors, bounded pages."""

from __future__ import annotations

import base64
import json
from typing import Any

import strawberry

from oms_graph.api.errors import check
from oms_graph.domain.errors import DomainError, ErrorCode

MAX_PAGE_SIZE = 100


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    """The key inside a cursor; a GraphQL error for a cursor we did not hand out."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        ok = isinstance(key, list) and len(key) == arity
    except ValueError:
        ok = False
    check(ok, lambda: DomainError.one(ErrorCode.INVALID_INPUT, ["after"], "not a cursor from this API"))
    return key


def check_page_size(first: int) -> None:
    check(
        0 < first <= MAX_PAGE_SIZE,
        lambda: DomainError.one(
            ErrorCode.INVALID_INPUT, ["first"], f"first must be between 1 and {MAX_PAGE_SIZE} (got {first})"
        ),
    )


def page_info(cursors: list[str], *, has_next: bool, after: str | None) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=after is not None,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
