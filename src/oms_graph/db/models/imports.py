"""Inventory files as jobs: the file as sent (in chunks), its good rows staged, the job's progress and
errors, and what the counts found different from what oms-graph expected."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, Choice, PortableJSON, created_at, uuid_pk
from oms_graph.domain.imports import ImportFormat, ImportMode, ImportStatus


class StockImport(Base):
    __tablename__ = "stock_imports"

    id: Mapped[uuid.UUID] = uuid_pk()
    status: Mapped[ImportStatus] = mapped_column(Choice(ImportStatus, 16), index=True)
    mode: Mapped[ImportMode] = mapped_column(Choice(ImportMode, 16))
    format: Mapped[ImportFormat] = mapped_column(Choice(ImportFormat, 16))
    counted_at: Mapped[datetime | None]  # the file's counting time, for rows that give none
    actor: Mapped[str | None] = mapped_column(String(200))
    bytes: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), default=0)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_refused: Mapped[int] = mapped_column(default=0)
    staged_line: Mapped[int] = mapped_column(default=0)  # every line up to this one is staged or refused
    staged: Mapped[bool] = mapped_column(default=False)  # the whole file is staged
    applied_line: Mapped[int] = mapped_column(default=0)  # every good row up to this line is applied
    errors: Mapped[list[dict[str, object]]] = mapped_column(PortableJSON, default=list)  # the first ones
    failure: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at()
    started_at: Mapped[datetime | None]
    progressed_at: Mapped[datetime | None]  # the last batch staged or applied: a job long without one has stalled
    finished_at: Mapped[datetime | None]


class StockImportChunk(Base):
    """The file as it was sent, in pieces, for the worker to read (any process may run it)."""

    __tablename__ = "stock_import_chunks"

    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_imports.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class StockImportRow(Base):
    """A good row of the file, staged (PostgreSQL: COPY) before it is applied in batches by line."""

    __tablename__ = "stock_import_rows"
    # A FULL file's levels that it leaves out are found by probing this (NOT EXISTS): linear on both
    # databases whatever the planner knows of the table.
    __table_args__ = (Index("ix_stock_import_rows_import_sku_location", "import_id", "sku", "location_id"),)

    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_imports.id"), primary_key=True)
    line: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[uuid.UUID]
    counted: Mapped[int | None]  # onHand counted (counts, full)
    delta: Mapped[int | None]
    safety_stock: Mapped[int | None]
    counted_at: Mapped[datetime | None]
    movement_id: Mapped[str | None] = mapped_column(String(200))


class StockImportDifference(Base):
    """Per counted level, what oms-graph expected at the time of the count and what was counted."""

    __tablename__ = "stock_import_differences"
    __table_args__ = (Index("ix_stock_import_differences_import_size", "import_id", "size"),)

    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_imports.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    location_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    expected: Mapped[int]
    counted: Mapped[int]
    difference: Mapped[int]
    size: Mapped[float]  # how large the difference is, for "largest first": its value, else its units
