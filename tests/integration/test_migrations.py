"""One alembic chain migrates both databases, and the models match what it builds."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from oms_graph.db.base import Base
from oms_graph.db.engine import create_database
from oms_graph.db.migrate import alembic_config, upgrade
from tests.conftest import BACKENDS, _drop_postgres_database, new_database_url


@pytest.fixture(params=BACKENDS)
async def empty_database(request, tmp_folder):  # type: ignore[no-untyped-def]
    url = await new_database_url(request.param, tmp_folder)
    db = create_database(url)
    yield db
    await db.dispose()
    if request.param == "postgresql":
        await _drop_postgres_database(url)


async def test_upgrade_from_empty_to_head_builds_every_table(empty_database):
    await upgrade(empty_database)
    async with empty_database.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


async def test_models_match_the_migrated_schema(empty_database):
    await upgrade(empty_database)

    def differences(conn):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with empty_database.engine.connect() as conn:
        assert await conn.run_sync(differences) == []


async def test_downgrade_to_base_and_upgrade_again(empty_database):
    await upgrade(empty_database)

    def down(conn):  # type: ignore[no-untyped-def]
        command.downgrade(alembic_config(conn), "base")

    async with empty_database.engine.begin() as conn:
        await conn.run_sync(down)
    async with empty_database.engine.connect() as conn:
        assert not set(Base.metadata.tables) & await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await upgrade(empty_database)
