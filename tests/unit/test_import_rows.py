"""Rows of an inventory file read one at a time: numbers as CSV holds them (text) or JSON (numbers), and
each way a row is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oms_graph.domain.imports import ImportFormat, ImportMode, Records, Row, RowError, RowErrorCode, read_row

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
FILE_TIME = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def read(fields: dict | None, mode: ImportMode = ImportMode.COUNTS) -> Row | RowError:  # type: ignore[type-arg]
    return read_row(7, fields, mode=mode, counted_at=FILE_TIME, now=NOW)


@pytest.mark.parametrize(
    ("on_hand", "expected"),
    [("5", 5), (" 12 ", 12), ("0", 0), (3, 3), ("2147483647", 2**31 - 1)],
)
def test_a_count_reads_whole_numbers_as_text_or_json(on_hand, expected):  # type: ignore[no-untyped-def]
    row = read({"sku": " A-1 ", "locationCode": "WH-1", "onHand": on_hand, "safetyStock": ""})
    assert row == Row(7, "A-1", "WH-1", expected, None, None, FILE_TIME, None)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        (None, RowErrorCode.MALFORMED),
        ({"sku": "A-1", "locationCode": "WH-1", "onHand": "  "}, RowErrorCode.MISSING),
        ({"sku": "", "locationCode": "WH-1", "onHand": "1"}, RowErrorCode.MISSING),
        ({"sku": "A-1", "locationCode": "WH-1", "onHand": "1.5"}, RowErrorCode.INVALID_NUMBER),
        ({"sku": "A-1", "locationCode": "WH-1", "onHand": "ten"}, RowErrorCode.INVALID_NUMBER),
        ({"sku": "A-1", "locationCode": "WH-1", "onHand": "-1"}, RowErrorCode.INVALID_NUMBER),
        ({"sku": "A-1", "locationCode": "WH-1", "onHand": "2147483648"}, RowErrorCode.INVALID_NUMBER),
        ({"sku": "A-1", "locationCode": "WH-1", "onHand": True}, RowErrorCode.INVALID_NUMBER),
        ({"sku": "A-1", "locationCode": "WH-1", "onHand": "1", "safetyStock": "-2"}, RowErrorCode.INVALID_NUMBER),
        ({"sku": "A-1", "locationCode": "no such code!", "onHand": "1"}, RowErrorCode.UNKNOWN_LOCATION),
        ({"sku": "A-1", "locationCode": "WH-1", "onHand": "1", "countedAt": "yesterday"}, RowErrorCode.INVALID_TIME),
        (
            {"sku": "A-1", "locationCode": "WH-1", "onHand": "1", "countedAt": "2026-12-06T00:00:00+00:00"},
            RowErrorCode.INVALID_TIME,
        ),
        ({"sku": "A-1", "locationCode": "WH-1", "onHand": "1", "movementId": "m" * 201}, RowErrorCode.MALFORMED),
    ],
)
def test_a_bad_row_is_refused_with_its_line_and_why(fields, code):  # type: ignore[no-untyped-def]
    refused = read(fields)
    assert isinstance(refused, RowError) and (refused.line, refused.code) == (7, code)


def test_a_delta_row_takes_a_signed_non_zero_number_and_its_own_time():  # type: ignore[no-untyped-def]
    fields = {"sku": "A-1", "locationCode": "WH-1", "delta": "-3", "countedAt": "2026-12-05T10:00:00+01:00"}
    row = read({**fields, "movementId": " rcpt-9 "}, ImportMode.DELTA)
    assert row == Row(7, "A-1", "WH-1", None, -3, None, datetime(2026, 12, 5, 9, 0, tzinfo=UTC), "rcpt-9")
    zero = read({**fields, "delta": "0"}, ImportMode.DELTA)
    assert isinstance(zero, RowError) and zero.code is RowErrorCode.INVALID_NUMBER


def test_csv_records_keep_their_line_numbers_past_blank_lines_and_a_broken_quote():  # type: ignore[no-untyped-def]
    records = Records(ImportFormat.CSV)
    first = list(records.read(["sku,locationCode,onHand", "A-1,WH-1,4", ""]))
    second = list(records.read(['"B-1,WH-1,2', "C-1,WH-1", "D-1,WH-1,9"]))
    assert first == [(2, {"sku": "A-1", "locationCode": "WH-1", "onHand": "4"})]
    assert second == [(4, None), (5, None), (6, {"sku": "D-1", "locationCode": "WH-1", "onHand": "9"})]
