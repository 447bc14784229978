"""A database server that is away (down, restarting, connections cut) is answered with a clear, retryable
UNAVAILABLE, and the API (its pool, its listening for events) recovers by itself once the server is back.
PostgreSQL only: an embedded SQLite file has no server to lose."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from types import SimpleNamespace

import asyncpg
import httpx
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import create_async_engine

from oms_graph.app import create_app
from oms_graph.config import Settings
from oms_graph.db.engine import UNAVAILABLE, create_database, database_lost
from oms_graph.db.migrate import upgrade
from oms_graph.domain.access import Role
from oms_graph.events.stream import CHANNEL, listen
from tests.conftest import (
    POSTGRES_ADMIN_URL,
    drop_postgres_database,
    free_port,
    make_key,
    new_database_url,
    serving,
)

CHANNELS = {"query": "{ channels { code } }"}


def test_lost_connections_are_told_apart_from_refused_statements():
    cut = asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation")
    wrapped = exc.DBAPIError("SELECT 1", {}, Exception("translated"))
    wrapped.orig.__cause__ = cut  # type: ignore[union-attr]
    assert database_lost(wrapped)
    assert database_lost(asyncpg.exceptions.CannotConnectNowError("the database system is starting up"))
    assert not database_lost(asyncpg.exceptions.UniqueViolationError("duplicate key"))
    assert not database_lost(asyncpg.exceptions.DataError("invalid input for query argument $1"))
    assert not database_lost(ValueError("a bug"))
    assert not database_lost(None)


async def test_an_os_error_counts_as_the_database_away_only_when_the_driver_met_it():
    try:
        await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{free_port()}/none", timeout=5)
    except OSError as error:
        refused = error
    assert database_lost(refused)

    def read_a_file() -> None:  # a resolver's own OSError (a file, an HTTP call) says nothing of the database
        raise ConnectionRefusedError(111, "Connection refused")

    try:
        read_a_file()
    except OSError as error:
        own = error
    assert not database_lost(own)
    assert not database_lost(FileNotFoundError("labels/missing.pdf"))


async def cut_connections(url: str) -> int:
    """What a restart does to the API's connections: the server ends every one of them."""
    admin = create_async_engine(POSTGRES_ADMIN_URL)
    try:
        async with admin.connect() as conn:
            ended = await conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": url.rsplit("/", 1)[1]},
            )
            return len(ended.all())
    finally:
        await admin.dispose()


async def test_cut_connections_are_answered_unavailable_once_then_the_api_recovers(tmp_path: Path):
    url = await new_database_url("postgresql", tmp_path)
    db = create_database(url, pool_size=6)
    try:
        await upgrade(db)
        key = await make_key(db, Role.ADMIN)
        headers = {"authorization": f"Bearer {key}"}
        # Keys remembered: the first statement after the cut is a resolver's, answered as a GraphQL error.
        settings = Settings(database_url=url, background=False, api_key_cache_seconds=60)
        async with serving(create_app(settings, db=db)) as base, httpx.AsyncClient(base_url=base) as http:
            before = (await http.post("/graphql", json=CHANNELS, headers=headers)).json()
            assert await cut_connections(url) >= 1
            cut = (await http.post("/graphql", json=CHANNELS, headers=headers)).json()
            after = [(await http.post("/graphql", json=CHANNELS, headers=headers)).json() for _ in range(3)]
    finally:
        await db.dispose()
        await drop_postgres_database(url)
    assert before["data"] == {"channels": []}
    assert cut["errors"] == [
        {
            "message": UNAVAILABLE,
            "locations": [{"line": 1, "column": 3}],
            "path": ["channels"],
            "extensions": {"code": "UNAVAILABLE"},
        }
    ]
    assert [answer["data"] for answer in after] == [{"channels": []}] * 3


async def test_a_database_that_refuses_connections_is_answered_503_not_a_server_error():
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
    db = create_database(url)
    settings = Settings(database_url=url, background=False)
    async with serving(create_app(settings, db=db)) as base, httpx.AsyncClient(base_url=base) as http:
        answer = await http.post("/graphql", json=CHANNELS, headers={"authorization": "Bearer oms_anykey12345"})
        ready = await http.get("/readyz")
    await db.dispose()
    assert (answer.status_code, answer.text) == (503, UNAVAILABLE)
    assert ready.status_code == 503


async def test_listening_for_other_processes_events_resumes_after_its_connection_is_cut(tmp_path: Path):
    url = await new_database_url("postgresql", tmp_path)
    db = create_database(url)
    woken = asyncio.Event()
    stream = SimpleNamespace(sequenced=woken.set, hub=SimpleNamespace(wake=lambda: None))
    stop = asyncio.Event()
    listening = asyncio.create_task(listen(db, stream, stop))  # type: ignore[arg-type]

    async def notified_within(seconds: float) -> bool:
        """Whether a NOTIFY (as another process's sequencer sends) reaches the listener in time."""
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            woken.clear()
            with contextlib.suppress(Exception):  # the first use of a cut pool fails
                async with db.engine.begin() as conn:
                    await conn.execute(text(f"NOTIFY {CHANNEL}"))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), 0.2)
                return True
        return False

    try:
        assert await notified_within(10)
        assert await cut_connections(url) >= 1
        assert await notified_within(5), "the listener did not come back after its connection was cut"
    finally:
        stop.set()
        await listening
        await db.dispose()
        await drop_postgres_database(url)
