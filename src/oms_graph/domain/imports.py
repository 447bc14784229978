"""Inventory files: their modes and formats, and each row read and checked on its own (a bad row is
refused with its line number; it never stops the good ones)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from oms_graph.domain.catalog import CODE_PATTERN

MAX_ERRORS_KEPT = 1000  # errors listed on the job; all are counted
MAX_MOVEMENT_ID = 200


class ImportMode(StrEnum):
    COUNTS = "COUNTS"  # absolute counts of the levels in the file
    DELTA = "DELTA"  # movements: units in (+) or out (-)
    FULL = "FULL"  # counts, and every level of the file's locations absent from it counted as zero


class ImportFormat(StrEnum):
    CSV = "CSV"
    JSONL = "JSONL"


class ImportStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class RowErrorCode(StrEnum):
    MALFORMED = "MALFORMED"  # not a CSV record or JSON object of the file's shape
    MISSING = "MISSING"  # a column the mode needs is empty or absent
    INVALID_NUMBER = "INVALID_NUMBER"  # not a whole number, or negative where it must not be
    INVALID_TIME = "INVALID_TIME"  # countedAt is not an ISO 8601 time with its offset, or in the future
    UNKNOWN_SKU = "UNKNOWN_SKU"
    UNKNOWN_LOCATION = "UNKNOWN_LOCATION"
    DUPLICATE = "DUPLICATE"  # the same level twice in a counts file
    REFUSED = "REFUSED"  # the change could not be made (a write-off of more than is on hand)
    STALE_COUNT = "STALE_COUNT"  # counted before the last count applied to the level: it changed nothing


class Row(NamedTuple):  # a million of them a file: a tuple is made faster than a frozen dataclass
    line: int
    sku: str
    location_code: str
    on_hand: int | None
    delta: int | None
    safety_stock: int | None
    counted_at: datetime | None
    movement_id: str | None


@dataclass(frozen=True)
class RowError:
    line: int
    code: RowErrorCode
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "code": self.code.value, "message": self.message}


class Records:
    """A file's data records, read from its lines as they come (a piece of the file at a time): per record
    its line number and fields, or None for a record that cannot be read. A CSV file's first line names
    its columns; blank lines are skipped."""

    def __init__(self, fmt: ImportFormat) -> None:
        self.fmt, self.number = fmt, 0
        self.header: list[str] | None = None

    def read(self, lines: Sequence[str]) -> Iterator[tuple[int, dict[str, Any] | None]]:
        if self.fmt is ImportFormat.CSV:
            header = self.header
            try:  # one reader for many lines is many times faster than one per line
                found = list(self._csv(lines))
            except csv.Error:  # a broken quote somewhere: line by line, so that only that line is refused
                self.header, found = header, []
                for n, text in enumerate(lines):
                    try:
                        found += self._csv([text], first=n)
                    except csv.Error:
                        found.append((self.number + n + 1, None))
            self.number += len(lines)
            yield from found
            return
        for text in lines:
            self.number += 1
            if text.strip():
                try:
                    fields = json.loads(text)
                except ValueError:
                    fields = None
                yield self.number, fields if isinstance(fields, dict) else None

    def _csv(self, lines: Sequence[str], *, first: int = 0) -> list[tuple[int, dict[str, Any] | None]]:
        """The records of CSV `lines` (this piece's lines from `first` on), each with the line it starts on."""
        reader = csv.reader(lines, strict=True)
        found: list[tuple[int, dict[str, Any] | None]] = []
        end = 0
        for values in reader:
            start, end = end + 1, reader.line_num
            if not values or (len(values) == 1 and not values[0].strip()):
                continue
            if self.header is None:
                self.header = [v.strip() for v in values]
            elif len(values) != len(self.header):
                found.append((self.number + first + start, None))
            else:
                fields = dict(zip(self.header, values, strict=True))  # read_row strips what it reads
                found.append((self.number + first + start, fields))
        return found


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time with its offset; None for anything else."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def read_row(
    number: int, fields: dict[str, Any] | None, *, mode: ImportMode, counted_at: datetime | None, now: datetime
) -> Row | RowError:
    """One record as a row of this mode, or why it is refused (skus and locations are checked later)."""
    if fields is None:
        return RowError(number, RowErrorCode.MALFORMED, "not a record of this file's shape")
    get = fields.get
    sku, code = _text(get("sku")), _text(get("locationCode"))
    if not sku or not code:
        return RowError(number, RowErrorCode.MISSING, "sku and locationCode are needed")
    if not CODE_PATTERN.match(code):
        return RowError(number, RowErrorCode.UNKNOWN_LOCATION, f"no location with code {code[:64]!r}")
    if len(sku) > 64:
        return RowError(number, RowErrorCode.UNKNOWN_SKU, f"no product with sku {sku[:64]!r}")
    delta_mode = mode is ImportMode.DELTA
    wanted = "delta" if delta_mode else "onHand"
    amount, safety = _whole(get(wanted)), _whole(get("safetyStock"))
    if amount is None:
        return RowError(number, RowErrorCode.MISSING, f"{wanted} is needed")
    for name, value in ((wanted, amount), ("safetyStock", safety)):
        if value is False:
            return RowError(number, RowErrorCode.INVALID_NUMBER, f"{name} must be a whole number")
        if name != "delta" and value is not None and value < 0:
            return RowError(number, RowErrorCode.INVALID_NUMBER, f"{name} must not be negative")
    if delta_mode and amount == 0:
        return RowError(number, RowErrorCode.INVALID_NUMBER, "delta must not be 0")
    at = counted_at
    when = _text(get("countedAt"))
    if when:
        at = parse_time(when)
        if at is None or at > now:
            return RowError(
                number, RowErrorCode.INVALID_TIME, "countedAt is an ISO 8601 time with offset, not later than now"
            )
    movement_id = _text(get("movementId")) or None
    if movement_id is not None and len(movement_id) > MAX_MOVEMENT_ID:
        return RowError(number, RowErrorCode.MALFORMED, f"movementId is at most {MAX_MOVEMENT_ID} characters")
    return Row(
        number,
        sku,
        code,
        None if delta_mode else amount,  # type: ignore[arg-type]
        amount if delta_mode else None,  # type: ignore[arg-type]
        safety,  # type: ignore[arg-type]
        at,
        movement_id,
    )


def _text(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    return "" if value is None else str(value)


def _whole(value: Any) -> int | None | bool:
    """A whole number; None when absent or empty; False when not a whole number."""
    if type(value) is str:  # what a CSV file holds: int() takes the spaces around a number
        try:
            number = int(value)
        except ValueError:
            return False if value.strip() else None
        return number if abs(number) < 2**31 else False
    if value is None:
        return None
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value if abs(value) < 2**31 else False
    try:
        number = int(str(value).strip())
    except ValueError:
        return False
    return number if abs(number) < 2**31 else False
