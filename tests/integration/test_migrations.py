"""One alembic chain migrates both databases, and the models match what it builds."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from oms_graph.db.base import Base
from oms_graph.db.engine import create_database
from oms_graph.db.migrate import alembic_config, migrating, upgrade
from tests.conftest import BACKENDS, drop_postgres_database, new_database_url
from tests.factories import DEFAULTS


@pytest.fixture(params=BACKENDS)
async def empty_database(request, tmp_folder):  # type: ignore[no-untyped-def]
    url = await new_database_url(request.param, tmp_folder)
    db = create_database(url)
    yield db
    await db.dispose()
    if request.param == "postgresql":
        await drop_postgres_database(url)


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


async def test_0007_carries_routed_delivery_units_over_both_ways(empty_database):
    """Before 0007 routing took routed units out of `promised`; 0007 puts them back and marks them `routed`."""
    import uuid
    from types import SimpleNamespace as Input

    from sqlalchemy import select

    from oms_graph.db.models import Product, StockLevel
    from oms_graph.domain.access import Principal, Role
    from oms_graph.domain.catalog import LocationCapability
    from oms_graph.services.orders import placement
    from oms_graph.services.routing import plan as routing
    from oms_graph.services.stock import levels as stock
    from tests.factories import placement_fields, service_chain

    admin = Principal(key_id=uuid.uuid4(), name="t", role=Role.ADMIN)
    db = empty_database
    await upgrade(db)
    async with db.write() as s:
        await service_chain(s, locations=[("WH", 52.5, 13.4, [LocationCapability.SHIP])], skus=["A"])
        await stock.set_stock_levels(
            s, inputs=[Input(sku="A", location_code="WH", on_hand=10, safety_stock=0)], actor="t"
        )
    async with db.write() as s:
        routed = await placement.place_order(
            s, order=placement_fields("k1", [("A", 3, "1")]), principal=admin, settings=DEFAULTS
        )
    async with db.write() as s:
        await placement.place_order(
            s, order=placement_fields("k2", [("A", 2, "1")]), principal=admin, settings=DEFAULTS
        )
    async with db.write() as s:
        await routing.route_order(s, order_id=routed.id)

    async def counters() -> tuple[int, int, int]:
        async with db.engine.connect() as conn:
            promised = await conn.scalar(select(Product.promised))
            reserved = await conn.scalar(select(StockLevel.reserved))
            columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("stock_levels")})
            now_routed = await conn.scalar(select(StockLevel.routed)) if "routed" in columns else -1
        return promised, reserved, now_routed

    assert await counters() == (5, 3, 3)

    def down(conn):  # type: ignore[no-untyped-def]
        command.downgrade(alembic_config(conn), "0006")

    await migrating(db, down)
    assert await counters() == (2, 3, -1)  # promised: only the unrouted order, as 0006 kept it
    await upgrade(db)
    assert await counters() == (5, 3, 3)


async def test_0019_seals_the_webhook_secrets_kept_in_clear_and_opens_them_on_the_way_down(empty_database):
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import insert, text

    from oms_graph.adapters import sealing
    from oms_graph.db.models import WebhookEndpoint

    db = empty_database

    def to(revision: str):  # type: ignore[no-untyped-def]
        def step(conn):  # type: ignore[no-untyped-def]
            command.upgrade(alembic_config(conn), revision)

        return step

    await migrating(db, to("0018"))
    clear = "whsec-kept-in-clear-0123456789"
    now = datetime.now(UTC)
    row = {"id": uuid.uuid4(), "url": "http://127.0.0.1:1/hook", "secret": clear, "event_types": [], "active": True}
    async with db.engine.begin() as conn:
        await conn.execute(insert(WebhookEndpoint).values(**row, failures=0, created_at=now, updated_at=now))

    async def stored() -> str:
        async with db.engine.connect() as conn:
            return str(await conn.scalar(text("SELECT secret FROM webhook_endpoints")))

    await upgrade(db)
    sealed = await stored()
    assert sealed.startswith("sealed:") and clear not in sealed
    assert sealing.unseal(sealed) == clear

    def down(conn):  # type: ignore[no-untyped-def]
        command.downgrade(alembic_config(conn), "0018")

    await migrating(db, down)
    assert await stored() == clear
