"""Reading an inventory file and staging its good rows: the file is read again from its first line each time
its job runs (cheap beside applying it), and only rows after the last line staged are staged again, so a
job run twice (a redelivered message beside a slow worker) stages each row once."""

from __future__ import annotations

import asyncio
import codecs
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import dialect_of, insert_rows
from oms_graph.db.engine import Database
from oms_graph.db.models import Location, Product, StockImport, StockImportChunk, StockImportRow
from oms_graph.domain import imports as rules
from oms_graph.domain.imports import ImportFormat, ImportMode, Row, RowError, RowErrorCode
from oms_graph.services.stock.levels import CLOCK_SKEW

STAGE_ROWS = 20_000  # rows staged per transaction
rows_table = cast(Table, StockImportRow.__table__)
chunks_table = cast(Table, StockImportChunk.__table__)


async def stage(db: Database, import_id: uuid.UUID, mode: ImportMode, fmt: ImportFormat, counted_at: datetime) -> None:
    """Read the file from the start: refuse its bad rows (kept on the job with their lines) and stage its
    good ones, a batch per transaction with the last line staged; then the job's totals, and staged."""
    async with db.read() as session:
        skus = {sku: sku for sku in await session.scalars(select(Product.sku))}  # one str per sku, shared
        locations = dict((await session.execute(select(Location.code, Location.id))).all())
    now = utcnow() + CLOCK_SKEW
    seen: dict[str, set[str]] = {}  # a counts file names each level once
    errors: list[dict[str, Any]] = []
    total = refused = 0
    batch: list[tuple[Any, ...]] = []
    putting: asyncio.Task[None] | None = None  # the batch before, staged while this one is read
    try:
        async for number, fields in _records(db, import_id, fmt):
            total += 1
            row = rules.read_row(number, fields, mode=mode, counted_at=counted_at, now=now)
            if isinstance(row, Row):
                row = _known(row, skus, locations, seen if mode is not ImportMode.DELTA else None)
            if isinstance(row, RowError):
                refused += 1
                if len(errors) < rules.MAX_ERRORS_KEPT:
                    errors.append(row.as_dict())
                continue
            batch.append(_staged(import_id, row, locations))
            if len(batch) >= STAGE_ROWS:
                if putting is not None:
                    await putting  # batches are staged in order, one at a time
                putting = asyncio.create_task(_put(db, import_id, batch))
                await asyncio.sleep(0)  # let it send the rows before reading on
                batch = []
        if putting is not None:
            await putting
        await _put(db, import_id, batch)
    finally:
        if putting is not None and not putting.done():
            putting.cancel()
            await asyncio.gather(putting, return_exceptions=True)  # its transaction rolled back
    async with db.write() as session:
        await session.execute(
            update(StockImport)
            .where(StockImport.id == import_id)
            .values(rows_total=total, rows_refused=refused, errors=errors, staged=True)
        )


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


async def _put(db: Database, import_id: uuid.UUID, rows: list[tuple[Any, ...]]) -> None:
    """Stage the rows after the job's last line staged (PostgreSQL: COPY), and move that line on."""
    async with db.write() as session:
        job = await session.get_one(StockImport, import_id, with_for_update=True)
        staged_line = job.staged_line
        rows = [r for r in rows if r[1] > staged_line]
        if not rows:
            return
        if dialect_of(session) == "postgresql":
            raw = await (await session.connection()).get_raw_connection()
            await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                "stock_import_rows", records=rows, columns=list(STAGED)
            )
        else:
            await insert_rows(session, rows_table, [dict(zip(STAGED, r, strict=True)) for r in rows])
        job.staged_line, job.progressed_at = rows[-1][1], utcnow()


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
