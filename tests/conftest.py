"""Fixtures: every database test runs on SQLite and on PostgreSQL, against a real server.

PostgreSQL comes from OMS_TEST_POSTGRES_URL (default: the local server, user postgres); a
throwaway database is created for the run and dropped after it. Where PostgreSQL cannot be
reached its tests are skipped, unless OMS_REQUIRE_POSTGRES=1 (CI), where they fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from oms_graph.adapters import outbound
from oms_graph.app import create_app
from oms_graph.cli import server_options
from oms_graph.config import Settings
from oms_graph.db.base import Base
from oms_graph.db.engine import Database, create_database, database_lost
from oms_graph.db.migrate import upgrade
from oms_graph.domain.access import Role
from oms_graph.services import auth
from tests.fakes.mailbox import Inbox
from tests.fakes.receiver import FakeReceiver
from tests.graphql_client import Api

POSTGRES_ADMIN_URL = os.environ.get("OMS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("OMS_REQUIRE_POSTGRES") == "1"
WEBHOOK_SECRET = "test-carrier-secret"  # the test server's OMS_CARRIER_WEBHOOK_SECRET
BACKENDS = ["sqlite", "postgresql"]
# Secrets at rest are sealed with this key in the tests and the processes they start (no key file here).
TEST_SECRET_KEYS = "test=uIP7uTtg-A48r1yh7UoJCfff-K4Xq_wQ0QSsnlhAsys="
os.environ.setdefault("OMS_SECRET_KEYS", TEST_SECRET_KEYS)
REDIS_URL = os.environ.get("OMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def _postgres_database() -> str | None:
    """Create a throwaway PostgreSQL database; its URL, or None when no server answers."""
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"oms_test_{uuid.uuid4().hex[:10]}"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # unreachable or refused: the caller skips, or CI fails
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (OMS_REQUIRE_POSTGRES=1) but unreachable: {exc}")
        return None
    finally:
        await admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def drop_postgres_database(url: str) -> None:
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def new_database_url(backend: str, folder: Path) -> str:
    """An empty database of that backend (skips the test when PostgreSQL is absent and optional)."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{folder / f'oms-{uuid.uuid4().hex[:8]}.db'}"
    url = await _postgres_database()
    if url is None:
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}")
    return url


@pytest.fixture(scope="session")
def tmp_folder() -> Path:
    with tempfile.TemporaryDirectory(prefix="oms-tests-") as folder:
        yield Path(folder)


@pytest.fixture(scope="session", autouse=True)
async def outbound_connections() -> AsyncIterator[None]:
    """The tests' calls to services on loopback share the run's loop's session; it is closed at the end."""
    yield
    await outbound.close()


@pytest.fixture(scope="session", params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_folder: Path) -> AsyncIterator[Database]:
    """A migrated database for the whole run, one per backend."""
    url = await new_database_url(request.param, tmp_folder)
    db = create_database(url, pool_size=20)
    await upgrade(db)
    yield db
    await db.dispose()
    if request.param == "postgresql":
        await drop_postgres_database(url)


@pytest.fixture
async def db(database: Database) -> Database:
    """The backend's database, emptied before each test."""
    try:
        await _empty(database)
    except Exception as error:
        if not database_lost(error):
            raise
        await database.engine.dispose()  # PostgreSQL was restarted (the fault harness test does)
        await _empty(database)
    return database


async def _empty(database: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with database.engine.begin() as conn:
        if database.dialect == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """A real uvicorn server on loopback for the app, for the block; its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **server_options())
    instance = uvicorn.Server(config)
    task = asyncio.create_task(instance.serve())
    while not instance.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        await task


@pytest.fixture(scope="session")
async def server(database: Database) -> AsyncIterator[str]:
    """A real uvicorn server on loopback serving the backend's database; its base URL."""
    # No background routing here: API tests look at orders as placed; routing has its own tests.
    settings = Settings(
        database_url=str(database.engine.url), graphiql=True, background=False, carrier_webhook_secret=WEBHOOK_SECRET
    )
    async with serving(create_app(settings, db=database)) as url:
        yield url


@pytest.fixture
async def api(server: str, db: Database) -> AsyncIterator[Api]:
    """A GraphQL client on the real server, with a fresh, empty database behind it."""
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        yield Api(client, db)


def actor_settings(db: Database, **extra: Any) -> Settings:
    """Settings for the actors (and services called directly) on a test's database."""
    return Settings(database_url=db.engine.url.render_as_string(hide_password=False), **extra)


async def make_key(db: Database, role: Role, *, channel: str | None = None, location: str | None = None) -> str:
    async with db.write() as session:
        _, secret = await auth.create_api_key(
            session, role=role, name=f"test-{role.value.lower()}", channel_code=channel, location_code=location
        )
    return secret


def redis_available() -> bool:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).flushdb()
        return True
    except redis.RedisError:
        if os.environ.get("OMS_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is required (OMS_REQUIRE_REDIS=1) but unreachable at {REDIS_URL}")
        return False


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    """A system on loopback that takes POSTs (webhooks, text messages)."""
    fake = FakeReceiver().start()
    yield fake
    fake.stop()


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """A mail server on loopback, set as the notifications' SMTP server."""
    box = Inbox()
    port = box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("OMS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("OMS_SMTP_PORT", str(port))
    yield box
    controller.stop()
