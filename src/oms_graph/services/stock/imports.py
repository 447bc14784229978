"""Inventory files as jobs: a file of counts or deltas is stored as sent and answered at once; a worker
reads it, stages its good rows (PostgreSQL: COPY) and, as they are staged, applies them in batches of lines,
each batch one transaction with the job's progress, through the same stock rules as `setStockLevels` and
`adjustStock`.

A worker killed mid-file leaves no half-applied batch: the job is run again (its message is redelivered, or
the sweep finds it), stages the file again and goes on after the last line applied. Bad rows are refused
with their line and code; they never stop the good ones. In FULL mode the levels of the file's locations
that the file does not name are counted as zero (the inventory reset). Each count that changed a level
leaves its difference: what oms-graph expected then, what was counted, and what the difference is worth.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, delete, exists, func, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import dialect_of, insert_rows
from oms_graph.db.engine import Database
from oms_graph.db.models import (
    Location,
    Product,
    StockImport,
    StockImportChunk,
    StockImportDifference,
    StockLevel,
)
from oms_graph.domain import imports as rules
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.imports import ImportFormat, ImportMode, ImportStatus, RowError, RowErrorCode
from oms_graph.services import audit, supply
from oms_graph.services.orders.backorders import requeue_backorders
from oms_graph.services.stock import ledger
from oms_graph.services.stock.import_files import chunks_table, refuse, rows_table, stage
from oms_graph.services.stock.levels import CLOCK_SKEW, SYNC_REASON, adjust_at, apply_counts

CHUNK_BYTES = 1 << 20  # the file is kept in pieces of this size
APPLY_ROWS = 10_000  # rows applied per transaction
STALLED = timedelta(minutes=2)  # a job this long without progress is sent to a worker again by the sweep
MAX_ATTEMPTS = 5
STAGING_POLL = 0.1  # seconds: applying has caught up with staging, it looks again this often
BIG_FILE = 100_000  # rows after which the stock tables are analysed again
IMPORT_REASON = "import"
STALE = "{sku} was counted later than this count: it changed nothing"
differences_table = cast(Table, StockImportDifference.__table__)


@dataclass(frozen=True)
class ImportOptions:
    mode: ImportMode
    fmt: ImportFormat
    counted_at: datetime | None  # the file's counting time, for rows without one


def import_options(*, mode: str | None, fmt: str | None, counted_at: str | None) -> ImportOptions:
    """A file's options as sent (query parameters), checked before its body is read."""
    errors = ErrorList()
    wanted_mode = _choice(errors, ImportMode, mode or "counts", "mode")
    wanted_format = _choice(errors, ImportFormat, fmt or "csv", "format")
    at = None
    if counted_at:
        at = rules.parse_time(counted_at)
        if at is None or at > utcnow() + CLOCK_SKEW:
            errors.add(ErrorCode.INVALID_INPUT, ["countedAt"], "an ISO 8601 time with its offset, not in the future")
    errors.raise_if_any()
    return ImportOptions(wanted_mode, wanted_format, at)


async def start_import(
    session: AsyncSession, *, body: AsyncIterator[bytes], options: ImportOptions, actor: str | None
) -> StockImport:
    """Keep the file as sent and queue its job (QUEUED): the caller sends the worker its id after commit."""
    job = StockImport(
        id=uuid.uuid4(),
        status=ImportStatus.QUEUED,
        mode=options.mode,
        format=options.fmt,
        counted_at=options.counted_at,
        actor=actor,
        bytes=0,
        errors=[],
    )
    session.add(job)
    await session.flush()
    pending, seq = b"", 0
    async for piece in body:
        pending += piece
        job.bytes += len(piece)
        while len(pending) >= CHUNK_BYTES:
            piece_row = {"import_id": job.id, "seq": seq, "data": pending[:CHUNK_BYTES]}
            await insert_rows(session, chunks_table, [piece_row])
            pending, seq = pending[CHUNK_BYTES:], seq + 1
    if pending:
        await insert_rows(session, chunks_table, [{"import_id": job.id, "seq": seq, "data": pending}])
    if job.bytes == 0:
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["body"], "the file is empty")
    await audit.record(session, [audit.changed("StockImport", str(job.id), None, _audited(job))])
    return job


def _audited(job: StockImport) -> dict[str, Any]:
    """What the audit trail shows of an inventory file: the job, not its rows (the ledger has each change)."""
    return {
        "status": job.status,
        "mode": job.mode,
        "format": job.format,
        "bytes": job.bytes,
        "countedAt": job.counted_at,
        "rows": job.rows_total,
    }


def _choice(errors: ErrorList, enum: Any, value: str, field: str) -> Any:
    try:
        return enum(value.upper())
    except ValueError:
        names = ", ".join(e.value.lower() for e in enum)
        errors.add(ErrorCode.INVALID_INPUT, [field], f"{field} is one of {names} (got {value[:40]!r})")
        return None


async def get_import(session: AsyncSession, *, import_id: uuid.UUID) -> StockImport | None:
    return await session.get(StockImport, import_id)


@dataclass(frozen=True)
class DifferenceView:
    sku: str
    location_code: str
    expected: int
    counted: int
    difference: int
    value: Decimal | None  # the difference at the sku's unit cost, when it has one


async def differences(session: AsyncSession, *, import_id: uuid.UUID, first: int | None) -> list[DifferenceView]:
    """What the job's counts found different, largest first (by value, else by units)."""
    d = differences_table.c
    query = (
        select(d.sku, Location.code, d.expected, d.counted, d.difference, Product.unit_cost)
        .join(Location, Location.id == d.location_id)
        .join(Product, Product.sku == d.sku)
        .where(d.import_id == import_id)
        .order_by(d.size.desc(), d.sku, Location.code)
    )
    rows = await session.execute(query if first is None else query.limit(first))
    return [
        DifferenceView(sku, code, expected, counted, difference, None if cost is None else cost * difference)
        for sku, code, expected, counted, difference, cost in rows
    ]


async def run_import(db: Database, *, import_id: uuid.UUID, batch: int = APPLY_ROWS, pause: float = 0.0) -> None:
    """The worker's job, safe to run again: stage the file, apply it after the last line applied, zero what
    a FULL file leaves out, and finish (DONE). Nothing happens to a job that is DONE or FAILED."""
    async with db.write() as session:
        job = await session.get(StockImport, import_id, with_for_update=True)
        if job is None or job.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return
        job.status, job.attempts, job.started_at = ImportStatus.RUNNING, job.attempts + 1, utcnow()
        job.progressed_at = job.started_at
        mode, fmt, at, actor = ImportMode(job.mode), ImportFormat(job.format), job.counted_at, job.actor
        counted_at = at or job.created_at
    # The file is read (Python) while what is staged is applied (the database): both cores at work.
    staging = asyncio.create_task(stage(db, import_id, mode, fmt, counted_at))
    try:
        await _apply(db, import_id, mode, actor, batch, pause, staging)
    finally:
        if not staging.done():
            staging.cancel()
        await asyncio.gather(staging, return_exceptions=True)
    if mode is ImportMode.FULL:
        await _zero_absent(db, import_id, counted_at, actor)
    async with db.write() as session:
        await session.execute(delete(rows_table).where(rows_table.c.import_id == import_id))
        await session.execute(delete(StockImportChunk).where(StockImportChunk.import_id == import_id))
        rows = await session.scalar(select(StockImport.rows_total).where(StockImport.id == import_id))
        if dialect_of(session) == "postgresql" and (rows or 0) >= BIG_FILE:  # plans follow the new statistics
            await session.execute(text("ANALYZE stock_levels, stock_movements"))
        job = await session.get(StockImport, import_id, with_for_update=True)
        assert job is not None
        before = _audited(job)
        job.status, job.finished_at = ImportStatus.DONE, utcnow()
        audit.acting(session, job.actor or audit.SYSTEM)
        await audit.record(session, [audit.changed("StockImport", str(job.id), before, _audited(job))])


async def note_failure(session: AsyncSession, *, import_id: uuid.UUID, error: str) -> None:
    """A try failed (it is tried again): why, on the job."""
    await session.execute(update(StockImport).where(StockImport.id == import_id).values(failure=error[:500]))


async def stalled_imports(session: AsyncSession) -> list[uuid.UUID]:
    """Jobs queued or running that nobody has moved for a while (their message was lost, their worker
    killed), to send to a worker again; those tried MAX_ATTEMPTS times are FAILED instead."""
    since = utcnow() - STALLED
    stalled = (
        await session.execute(
            select(StockImport.id, StockImport.attempts)
            .where(
                StockImport.status.in_([ImportStatus.QUEUED, ImportStatus.RUNNING]),
                func.coalesce(StockImport.progressed_at, StockImport.created_at) < since,
            )
            .with_for_update(skip_locked=True)
        )
    ).all()
    spent = [import_id for import_id, attempts in stalled if attempts >= MAX_ATTEMPTS]
    if spent:
        await session.execute(
            update(StockImport)
            .where(StockImport.id.in_(spent))
            .values(status=ImportStatus.FAILED, finished_at=utcnow())
        )
    return [import_id for import_id, attempts in stalled if attempts < MAX_ATTEMPTS]


async def _apply(
    db: Database,
    import_id: uuid.UUID,
    mode: ImportMode,
    actor: str | None,
    size: int,
    pause: float,
    staging: asyncio.Task[None],
) -> None:
    """Apply the staged rows after the last line applied as `staging` stages them, until it is done (its
    failure raised here)."""
    while True:
        staged_all = staging.done()  # seen before looking: every row staged until then is found
        if await _apply_batch(db, import_id, mode, actor, size, pause):
            continue
        if staged_all:
            staging.result()
            return
        await asyncio.wait({staging}, timeout=STAGING_POLL)


async def _apply_batch(
    db: Database, import_id: uuid.UUID, mode: ImportMode, actor: str | None, size: int, pause: float
) -> bool:
    """Apply up to `size` staged rows after the last line applied, in one transaction with the job's
    progress (the job row locked: two runs of a job apply each line once); whether there were any.
    `pause`: seconds the transaction stays open, for a test to kill its worker there."""
    async with db.write() as session:
        job = await session.get_one(StockImport, import_id, with_for_update=True)
        after = rows_table.c.import_id == import_id, rows_table.c.line > job.applied_line
        if mode is not ImportMode.DELTA and dialect_of(session) == "postgresql":  # set-based, from the staging
            span = select(rows_table.c.line).where(*after).order_by(rows_table.c.line).limit(size).subquery()
            rows, last = (await session.execute(select(func.count(), func.max(span.c.line)))).one()
            if not rows:
                return False
            refused = await _apply_staged_counts(session, import_id, (job.applied_line, last), actor)
        else:
            batch = (
                await session.execute(select(rows_table).where(*after).order_by(rows_table.c.line).limit(size))
            ).all()
            if not batch:
                return False
            rows, last = len(batch), batch[-1].line
            if mode is ImportMode.DELTA:
                refused = await _apply_deltas(session, batch, actor)
            else:
                refused = await _apply_counts(session, import_id, batch, actor)
        job.applied_line, job.progressed_at = last, utcnow()
        job.rows_done += rows - len(refused)
        refuse(job, refused)
        if pause:
            await asyncio.sleep(pause)
    return True


async def _apply_staged_counts(
    session: AsyncSession, import_id: uuid.UUID, lines: tuple[int, int], actor: str | None
) -> list[RowError]:
    """PostgreSQL: the counts of the staged lines, set-based in the ledger; stale ones refused; what they
    found more of takes in supply due there, as a count does."""
    staged = select(rows_table.c.sku, rows_table.c.location_id).where(
        rows_table.c.import_id == import_id, rows_table.c.line > lines[0], rows_table.c.line <= lines[1]
    )
    locked = await supply.supplied_levels(session, levels=staged)
    now = utcnow()
    done = await ledger.count_staged(
        session, import_id=import_id, lines=lines, movement=ledger.Movement(SYNC_REASON, actor, now)
    )
    await requeue_backorders(session, skus=done.arrived, actor=actor)
    await supply.counted_in(session, locked=locked, found=done.found, at=now, actor=actor)
    return [RowError(line, RowErrorCode.STALE_COUNT, STALE.format(sku=sku)) for line, sku in done.stale]


async def _apply_counts(
    session: AsyncSession, import_id: uuid.UUID, batch: Sequence[Any], actor: str | None
) -> list[RowError]:
    """Counts of one batch; the differences they found; stale ones refused (they changed nothing)."""
    counts = [ledger.Count(r.sku, r.location_id, r.counted, r.safety_stock, r.counted_at) for r in batch]
    done = await apply_counts(session, counts=counts, actor=actor, now=utcnow())
    await _differences(session, import_id, done)
    return [
        RowError(r.line, RowErrorCode.STALE_COUNT, STALE.format(sku=r.sku))
        for r in batch
        if done[(r.sku, r.location_id)].stale
    ]


async def _apply_deltas(session: AsyncSession, batch: Sequence[Any], actor: str | None) -> list[RowError]:
    """Movements of one batch, each as `adjustStock` makes it (once per movement id), each on its own: one
    refused (more written off than is on hand) leaves the others."""
    ids = {r.location_id for r in batch}
    locations = {loc.id: loc for loc in await session.scalars(select(Location).where(Location.id.in_(ids)))}
    refused = []
    for r in batch:
        location = locations[r.location_id]
        change = SimpleNamespace(
            sku=r.sku, location_code=location.code, delta=r.delta, reason=IMPORT_REASON, movement_id=r.movement_id
        )
        try:
            async with session.begin_nested():
                await adjust_at(session, change, location, actor=actor, path=["line", r.line])
        except DomainError as error:
            refused.append(RowError(r.line, RowErrorCode.REFUSED, error.errors[0].message))
    return refused


async def _differences(
    session: AsyncSession, import_id: uuid.UUID, done: dict[tuple[str, uuid.UUID], ledger.Counted]
) -> None:
    """What the applied counts found: expected (oms-graph's figure when counted) against counted, per level
    whose figure changed, valued at the sku's unit cost."""
    changed = {key: c for key, c in done.items() if not c.stale and c.on_hand != c.before.on_hand}
    if not changed:
        return
    costs = dict(
        (
            await session.execute(
                select(Product.sku, Product.unit_cost).where(Product.sku.in_({sku for sku, _ in changed}))
            )
        ).all()
    )
    rows = []
    for (sku, location_id), c in changed.items():
        difference = c.on_hand - c.before.on_hand
        value = None if costs.get(sku) is None else float(costs[sku] * difference)
        rows.append(
            {
                "import_id": import_id,
                "sku": sku,
                "location_id": location_id,
                "expected": c.counted - difference,
                "counted": c.counted,
                "difference": difference,
                "size": abs(value) if value is not None else float(abs(difference)),
            }
        )
    await insert_rows(session, differences_table, rows, skip_conflicts=True)


async def _zero_absent(db: Database, import_id: uuid.UUID, counted_at: datetime, actor: str | None) -> None:
    """FULL mode: every level at the file's locations that the file does not name is counted as zero then,
    a batch per transaction (counting zero again changes nothing: safe to run twice)."""
    async with db.read() as session:
        named = select(rows_table.c.location_id).where(rows_table.c.import_id == import_id).distinct()
        locations = list(await session.scalars(named))
    # NOT EXISTS by the staged rows' level index: NOT IN over a million staged rows, too many to hash in
    # work_mem once PostgreSQL knows their statistics, is read again for every level (hours, not a second);
    # without the index, NOT EXISTS is a scan of the file's rows per level on SQLite, or on PostgreSQL
    # before the statistics are known.
    r = rows_table.c
    absent_from_file = ~exists().where(
        r.import_id == import_id, r.sku == StockLevel.sku, r.location_id == StockLevel.location_id
    )
    after: tuple[str, uuid.UUID] | None = None
    while True:
        async with db.write() as session:
            query = (
                select(StockLevel.sku, StockLevel.location_id)
                .where(StockLevel.location_id.in_(locations), absent_from_file, StockLevel.on_hand > 0)
                .order_by(StockLevel.sku, StockLevel.location_id)
                .limit(APPLY_ROWS)
            )
            if after is not None:
                query = query.where(tuple_(StockLevel.sku, StockLevel.location_id) > after)
            keys = (await session.execute(query)).all()
            if not keys:
                return
            counts = [ledger.Count(sku, location_id, 0, None, counted_at) for sku, location_id in keys]
            await _differences(
                session, import_id, await apply_counts(session, counts=counts, actor=actor, now=utcnow())
            )
            after = (keys[-1][0], keys[-1][1])
