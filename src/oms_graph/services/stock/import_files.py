"""Reading an inventory file and staging its good rows: the file is read again from its first line each time
its job runs (cheap beside applying it), and only lines after the last line staged are staged (or counted
as refused) again, so a job run twice (a redelivered message beside a slow worker) stages each row once."""

from __future__ import annotations

import asyncio
import codecs
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import connection_of, dialect_of, insert_rows
from oms_graph.db.engine import Database
from oms_graph.db.models import Location, Product, StockImport, StockImportChunk, StockImportRow
from oms_graph.domain import imports as rules
from oms_graph.domain.imports import ImportFormat, ImportMode, Row, RowError, RowErrorCode
from oms_graph.services.stock.levels import CLOCK_SKEW

STAGE_ROWS = 20_000  # rows staged per transaction
YIELD_EVERY = 500  # lines read between turns given to the rest of the worker
rows_table = cast(Table, StockImportRow.__table__)
chunks_table = cast(Table, StockImportChunk.__table__)


async def stage(db: Database, import_id: uuid.UUID, mode: ImportMode, fmt: ImportFormat, counted_at: datetime) -> None:
    """Read the file from the start: stage its good rows and refuse its bad ones (counted on the job, kept
    with their lines), a batch per transaction with the last line read; then mark the job staged."""
    async with db.read() as session:
        skus = {sku: sku for sku in await session.scalars(select(Product.sku))}  # one str per sku, shared
        locations = dict((await session.execute(select(Location.code, Location.id))).all())
    now = utcnow() + CLOCK_SKEW
    seen: dict[str, set[str]] = {}  # a counts file names each level once
    batch: list[tuple[Any, ...]] = []
    refused: list[RowError] = []
    line = 0  # the last record read
    putting: asyncio.Task[None] | None = None  # the batch before, staged while this one is read
    try:
        async for line, fields in _records(db, import_id, fmt):
            if line % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # reading is all Python: let the batches being applied go on
            row = rules.read_row(line, fields, mode=mode, counted_at=counted_at, now=now)
            if isinstance(row, Row):
                row = _known(row, skus, locations, seen if mode is not ImportMode.DELTA else None)
            if isinstance(row, RowError):
                refused.append(row)
            else:
                batch.append(_staged(import_id, row, locations))
            if len(batch) + len(refused) >= STAGE_ROWS:
                if putting is not None:
                    await putting  # batches are staged in order, one at a time
                putting = asyncio.create_task(_put(db, import_id, batch, refused, line))
                await asyncio.sleep(0)  # let it send the rows before reading on
                batch, refused = [], []
        if putting is not None:
            await putting
        await _put(db, import_id, batch, refused, line)
    finally:
        if putting is not None and not putting.done():
            putting.cancel()
            await asyncio.gather(putting, return_exceptions=True)  # its transaction rolled back
    async with db.write() as session:
        await session.execute(update(StockImport).where(StockImport.id == import_id).values(staged=True))


def refuse(job: StockImport, refused: list[RowError]) -> None:
    """Count refused rows on the job and keep the first MAX_ERRORS_KEPT of them."""
    job.rows_refused += len(refused)
    room = rules.MAX_ERRORS_KEPT - len(job.errors)
    if refused and room > 0:
        job.errors = [*job.errors, *(e.as_dict() for e in refused[:room])]


def _known(
    row: Row, skus: dict[str, str], locations: dict[str, uuid.UUID], seen: dict[str, set[str]] | None
) -> Row | RowError:
    sku = skus.get(row.sku)
    if sku is None:
        return RowError(row.line, RowErrorCode.UNKNOWN_SKU, f"no product with sku {row.sku!r}")
    if row.location_code not in locations:
        return RowError(row.line, RowErrorCode.UNKNOWN_LOCATION, f"no location with code {row.location_code!r}")
    if seen is not None:
        here = seen.setdefault(row.location_code, set())
        if sku in here:
            return RowError(row.line, RowErrorCode.DUPLICATE, f"{sku} at {row.location_code} is in the file twice")
        here.add(sku)
    return row


STAGED = ("import_id", "line", "sku", "location_id", "counted", "delta", "safety_stock", "counted_at", "movement_id")


def _staged(import_id: uuid.UUID, row: Row, locations: dict[str, uuid.UUID]) -> tuple[Any, ...]:
    """A staged row, its values in STAGED's order (as COPY takes them)."""
    location = locations[row.location_code]
    return (
        import_id,
        row.line,
        row.sku,
        location,
        row.on_hand,
        row.delta,
        row.safety_stock,
        row.counted_at,
        row.movement_id,
    )


async def _put(
    db: Database, import_id: uuid.UUID, rows: list[tuple[Any, ...]], refused: list[RowError], upto: int
) -> None:
    """Stage the good rows and count the refused ones of the lines after the job's last line staged, up to
    line `upto` (PostgreSQL: COPY), and move that line on: a line read again is counted once."""
    async with db.write() as session:
        job = await session.get_one(StockImport, import_id, with_for_update=True)
        staged_line = job.staged_line
        if upto <= staged_line:
            return
        rows = [r for r in rows if r[1] > staged_line]
        refused = [e for e in refused if e.line > staged_line]
        if rows and dialect_of(session) == "postgresql":
            raw = await (await connection_of(session)).get_raw_connection()
            await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                "stock_import_rows", records=rows, columns=list(STAGED)
            )
        elif rows:
            await insert_rows(session, rows_table, [dict(zip(STAGED, r, strict=True)) for r in rows])
        job.staged_line, job.progressed_at = upto, utcnow()
        job.rows_total += len(rows) + len(refused)
        refuse(job, refused)


async def _records(db: Database, import_id: uuid.UUID, fmt: ImportFormat) -> AsyncIterator[tuple[int, Any]]:
    """The file's records, read a chunk at a time (a line may run over into the next chunk)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    reader = rules.Records(fmt)
    tail, seq = "", 0
    while True:
        async with db.read() as session:
            data = await session.scalar(
                select(StockImportChunk.data).where(
                    StockImportChunk.import_id == import_id, StockImportChunk.seq == seq
                )
            )
        *lines, tail = (tail + decoder.decode(data or b"", final=data is None)).split("\n")
        if data is None:
            lines.append(tail)
        for record in reader.read([line.rstrip("\r") for line in lines]):
            yield record
        if data is None:
            return
        seq += 1
