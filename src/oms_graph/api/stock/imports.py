"""Inventory file jobs in the schema: their progress, the rows refused, and what the counts found."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal

import strawberry

from oms_graph.api.context import Info
from oms_graph.api.errors import check, graphql_error, reading
from oms_graph.api.node import decode_id, encode_id
from oms_graph.api.permissions import roles
from oms_graph.db import models
from oms_graph.domain.access import Role
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.imports import ImportMode, ImportStatus
from oms_graph.services.stock import imports

strawberry.enum(ImportMode, name="StockImportMode")
strawberry.enum(ImportStatus, name="StockImportStatus")
PROGRESS_SECONDS = 0.5
MAX_DIFFERENCES = 1000


@strawberry.type(description="A row of the file that was refused (or, STALE_COUNT, changed nothing).")
class StockImportError:
    line: int
    code: str
    message: str


@strawberry.type(description="A counted level whose figure differed from what oms-graph expected then.")
class StockDifference:
    sku: str
    location_code: str
    expected: int
    counted: int
    difference: int = strawberry.field(description="counted - expected, in units.")
    value: Decimal | None = strawberry.field(description="The difference at the product's unit cost.")


@strawberry.type(description="An inventory file sent to POST /imports/stock, and how far its job has come.")
class StockImport:
    id: strawberry.ID
    status: ImportStatus
    mode: ImportMode
    rows_total: int
    rows_done: int
    rows_refused: int
    errors: list[StockImportError] = strawberry.field(description="The first 1000 refused rows, by line.")
    failure: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    import_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="What the counts found different, largest first (by value, else units).")
    async def reconciliation(self, info: Info, first: int = 100) -> list[StockDifference]:
        check(
            0 < first <= MAX_DIFFERENCES,
            lambda: DomainError.one(ErrorCode.INVALID_INPUT, ["first"], f"between 1 and {MAX_DIFFERENCES}"),
        )
        async with reading(info) as session:
            found = await imports.differences(session, import_id=self.import_id, first=first)
        return [
            StockDifference(
                sku=d.sku,
                location_code=d.location_code,
                expected=d.expected,
                counted=d.counted,
                difference=d.difference,
                value=d.value,
            )
            for d in found
        ]

    @strawberry.field(description="The whole reconciliation as CSV (GET, with the same key).")
    def reconciliation_csv_url(self) -> str:
        return f"/imports/stock/{self.id}/reconciliation.csv"

    @classmethod
    def from_model(cls, m: models.StockImport) -> StockImport:
        return cls(
            id=encode_id("StockImport", m.id),
            status=ImportStatus(m.status),
            mode=ImportMode(m.mode),
            rows_total=m.rows_total,
            rows_done=m.rows_done,
            rows_refused=m.rows_refused,
            errors=sorted(  # refused while read, or when applied (a stale count): by line
                (StockImportError(line=e["line"], code=e["code"], message=e["message"]) for e in m.errors),  # type: ignore[arg-type]
                key=lambda e: e.line,
            ),
            failure=m.failure,
            created_at=m.created_at,
            started_at=m.started_at,
            finished_at=m.finished_at,
            import_id=m.id,
        )


def _import_id(value: str) -> uuid.UUID:
    decoded = decode_id(value)
    if decoded is None or decoded[0] != "StockImport":
        raise graphql_error(DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such stock import"))
    return decoded[1]


async def _read(info: Info, import_id: uuid.UUID) -> models.StockImport | None:
    async with reading(info) as session:
        return await imports.get_import(session, import_id=import_id)


@strawberry.type
class ImportQuery:
    @strawberry.field(extensions=roles(Role.INTEGRATION), description="An inventory file's job.")
    async def stock_import(self, info: Info, id: strawberry.ID) -> StockImport | None:
        found = await _read(info, _import_id(id))
        return StockImport.from_model(found) if found else None


async def follow_import(info: Info, id: str) -> AsyncGenerator[StockImport, None]:
    """The job each time its progress moves, until it is DONE or FAILED."""
    import_id, last = _import_id(id), None
    while True:
        found = await _read(info, import_id)
        if found is None:
            raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such stock import")
        state = (found.status, found.rows_done, found.rows_refused, found.rows_total)
        if state != last:
            last = state
            yield StockImport.from_model(found)
        if found.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return
        await asyncio.sleep(PROGRESS_SECONDS)
