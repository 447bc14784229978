"""Master data vocabulary and the checks every batch goes through before it is written."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from enum import Enum, StrEnum
from typing import Any

from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.domain.text import text_problem

BATCH_LIMIT = 10_000
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


class ChannelKind(StrEnum):
    WEB = "WEB"
    APP = "APP"
    MARKETPLACE = "MARKETPLACE"
    SOCIAL = "SOCIAL"
    STORE = "STORE"
    CALL_CENTER = "CALL_CENTER"


class LocationKind(StrEnum):
    WAREHOUSE = "WAREHOUSE"
    STORE = "STORE"
    DARK_STORE = "DARK_STORE"


class LocationCapability(Enum):
    SHIP = "SHIP"
    PICKUP = "PICKUP"
    RETURNS = "RETURNS"


def check_batch(
    errors: ErrorList,
    items: Sequence[Any],
    *,
    key: Callable[[Any], str],
    key_field: str,
    key_label: str | None = None,
    path: str = "input",
    limit: int = BATCH_LIMIT,
) -> bool:
    """Empty, oversized and duplicate-key batches; False when the rows need no further look."""
    if not items:
        errors.add(ErrorCode.INVALID_INPUT, [path], "the batch is empty")
        return False
    if len(items) > limit:
        errors.add(ErrorCode.INVALID_INPUT, [path], f"the batch has {len(items)} rows; the limit is {limit}")
        return False
    first_seen: dict[str, int] = {}
    for i, item in enumerate(items):
        k = key(item)
        if k in first_seen:
            errors.add(
                ErrorCode.INVALID_INPUT,
                [path, i, key_field],
                f"{key_label or key_field} {k!r} appears twice in the batch (rows {first_seen[k]} and {i})",
            )
        else:
            first_seen[k] = i
    return True


def check_code(errors: ErrorList, value: str, field: Sequence[str | int], what: str = "code") -> None:
    if not CODE_PATTERN.match(value):
        errors.add(
            ErrorCode.INVALID_INPUT,
            field,
            f"{what} {value!r} must be 1-64 letters, digits or ._:/- and start with a letter or digit",
        )


def check_text(errors: ErrorList, value: str, field: Sequence[str | int], *, max_length: int = 200) -> None:
    if not value.strip():
        errors.add(ErrorCode.INVALID_INPUT, field, "must not be blank")
    elif len(value) > max_length:
        errors.add(ErrorCode.INVALID_INPUT, field, f"must be at most {max_length} characters")
    elif (problem := text_problem(value)) is not None:
        errors.add(ErrorCode.INVALID_INPUT, field, problem)


def check_non_negative(errors: ErrorList, value: int | None, field: Sequence[str | int]) -> None:
    if value is not None and value < 0:
        errors.add(ErrorCode.INVALID_INPUT, field, f"must not be negative (got {value})")


def check_currency(errors: ErrorList, value: str, field: Sequence[str | int]) -> None:
    if not CURRENCY_PATTERN.match(value):
        errors.add(ErrorCode.INVALID_INPUT, field, f"currency {value!r} must be an ISO 4217 code such as EUR")


def check_coordinates(errors: ErrorList, latitude: float, longitude: float, path: Sequence[str | int]) -> None:
    if not -90.0 <= latitude <= 90.0:
        errors.add(ErrorCode.INVALID_INPUT, [*path, "latitude"], f"latitude {latitude} is outside -90..90")
    if not -180.0 <= longitude <= 180.0:
        errors.add(ErrorCode.INVALID_INPUT, [*path, "longitude"], f"longitude {longitude} is outside -180..180")
