"""Counting the SQL a piece of work sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from oms_graph.db.engine import Database


@contextmanager
def counting_selects(db: Database) -> Iterator[list[str]]:
    """The SELECTs (and WITH … SELECT) sent while the block runs (API key lookups left out: the key cache
    decides those)."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "api_keys" not in statement:
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)


@contextmanager
def counting_transactions(db: Database) -> Iterator[list[list[str]]]:
    """The transactions begun while the block runs, each as the statements it sent (API key lookups left
    out, and with them the transactions that sent nothing else)."""
    begun: list[list[str]] = []
    current: dict[int, list[str]] = {}

    def begin(conn):  # type: ignore[no-untyped-def]
        current[id(conn)] = []
        begun.append(current[id(conn)])

    def sent(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if "api_keys" not in statement:
            current.setdefault(id(conn), []).append(statement)

    event.listen(db.engine.sync_engine, "begin", begin)
    event.listen(db.engine.sync_engine, "before_cursor_execute", sent)
    try:
        yield begun
    finally:
        event.remove(db.engine.sync_engine, "begin", begin)
        event.remove(db.engine.sync_engine, "before_cursor_execute", sent)
        begun[:] = [statements for statements in begun if statements]
