"""Alembic environment for both dialects.

`oms_graph.db.migrate` hands in an open connection (config.attributes["connection"]);
the alembic command line gets one from OMS_DATABASE_URL.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from oms_graph.config import Settings
from oms_graph.db.base import Base
from oms_graph.db.models import *  # noqa: F401,F403  (every table on Base.metadata)

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_settings() -> None:
    from oms_graph.db.engine import create_database
    from oms_graph.db.migrate import migrating

    db = create_database(Settings().database_url)
    try:
        await migrating(db, run_on)
    finally:
        await db.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    asyncio.run(run_from_settings())
