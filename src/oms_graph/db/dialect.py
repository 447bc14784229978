"""The few statements that differ between PostgreSQL and SQLite."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table):  # type: ignore[no-untyped-def]
    """An INSERT that knows ON CONFLICT on the session's dialect."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"dialect {name} is not supported")


def byte_order(session: AsyncSession, column):  # type: ignore[no-untyped-def]
    """The column sorted by code point, as Python sorts str; lock orders must agree across both."""
    return column.collate("C") if session.get_bind().dialect.name == "postgresql" else column
