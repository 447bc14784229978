"""Bring a database to the newest schema with the one alembic chain."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from oms_graph.db.engine import Database

PROJECT_ROOT = Path(__file__).resolve().parents[3]
MIGRATIONS = PROJECT_ROOT / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


async def upgrade(db: Database, revision: str = "head") -> None:
    """Run every pending migration on the database in one transaction."""

    def run(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    await migrating(db, run)


async def migrating(db: Database, run: Callable[[Connection], None]) -> None:
    """Run `run` on a connection in one transaction. On SQLite, foreign keys are off meanwhile (batch
    migrations rebuild tables other tables reference, which SQLite cannot do with them on), checked before
    commit, and the connection is thrown away after."""
    async with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn = await conn.execution_options(sqlite_foreign_keys_off=True)
        async with conn.begin():
            await conn.run_sync(run)
            if sqlite:
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"the migration left rows with missing references: {broken[:5]}")
        if sqlite:
            await conn.invalidate()
