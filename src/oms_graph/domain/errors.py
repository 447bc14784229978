"""Errors the caller can fix: a code, a path to the offending input, a message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


class ErrorCode(Enum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    UNKNOWN_CHANNEL = "UNKNOWN_CHANNEL"
    UNKNOWN_LOCATION = "UNKNOWN_LOCATION"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    PICKUP_NOT_AVAILABLE = "PICKUP_NOT_AVAILABLE"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    PICKUP_CODE_MISMATCH = "PICKUP_CODE_MISMATCH"
    RETURN_NOT_ALLOWED = "RETURN_NOT_ALLOWED"
    EDIT_NOT_ALLOWED = "EDIT_NOT_ALLOWED"  # the order's status (or its location's work) rules the change out
    ORDER_CHANGED = "ORDER_CHANGED"  # the order is not at the version the caller read


class WarningCode(Enum):
    STALE_COUNT = "STALE_COUNT"


@dataclass(frozen=True)
class Notice:
    """Something the caller should know about an input that was accepted but not (all) applied."""

    code: WarningCode
    field: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class UserError:
    code: ErrorCode
    field: tuple[str, ...] | None
    message: str


class DomainError(Exception):
    """Raised by services; the transaction rolls back and the caller gets the errors."""

    def __init__(self, errors: Sequence[UserError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)

    @classmethod
    def one(cls, code: ErrorCode, field: Sequence[str | int] | None, message: str) -> DomainError:
        return cls([user_error(code, field, message)])


def user_error(code: ErrorCode, field: Sequence[str | int] | None, message: str) -> UserError:
    return UserError(code, tuple(str(p) for p in field) if field is not None else None, message)


class ErrorList:
    """Collects every problem of a batch before anything is written."""

    def __init__(self) -> None:
        self.errors: list[UserError] = []

    def add(self, code: ErrorCode, field: Sequence[str | int] | None, message: str) -> None:
        self.errors.append(user_error(code, field, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise DomainError(self.errors)
