"""Engine and session factories for both dialects.

SQLite runs in WAL mode with foreign keys on; write transactions start with
BEGIN IMMEDIATE so two writers queue on the lock instead of failing on upgrade.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import event, exc
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_CONNECT_TIMEOUT_S = 10
PREPARED_STATEMENTS = 1000
UNAVAILABLE = "the database is unavailable for a moment; try again"
# session.info of a write transaction: {name: async step} run once, in order, just before it commits (writes
# gathered over the transaction and sent as one statement, such as its order events).
BEFORE_COMMIT = "oms_before_commit"


def database_lost(error: BaseException | None) -> bool:
    """Whether `error` says the database server cannot be reached now (down, restarting, the connection
    cut, a connection left broken by that) rather than that it refused a statement."""
    import asyncpg

    lost = (
        OSError,  # refused, reset, timed out
        asyncpg.exceptions.ConnectionDoesNotExistError,
        asyncpg.exceptions.CannotConnectNowError,  # starting up
        asyncpg.exceptions.AdminShutdownError,
        asyncpg.exceptions.CrashShutdownError,
        asyncpg.exceptions.InterfaceError,  # "connection is closed"
        asyncpg.exceptions.InternalClientError,  # "another operation is in progress" after a cut
    )
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, lost) and not isinstance(error, asyncpg.exceptions.DataError):  # DataError: bad input
            # An OSError counts only when the database's driver met it: a resolver's own (a file, an HTTP
            # call) says nothing about the database.
            if not isinstance(error, OSError) or _met_by_driver(error):
                return True
        error = error.orig if isinstance(error, exc.DBAPIError) else (error.__cause__ or error.__context__)
        seen += 1
    return False


_DRIVERS = ("asyncpg", "aiosqlite", "sqlalchemy")


def _met_by_driver(error: BaseException) -> bool:
    """Whether `error` was raised in (or passed through) the database driver's or SQLAlchemy's code."""
    frame = error.__traceback__
    while frame is not None:
        if str(frame.tb_frame.f_globals.get("__name__", "")).startswith(_DRIVERS):
            return True
        frame = frame.tb_next
    return False


@dataclass
class Database:
    """The engine and the two ways to open a transaction on it."""

    engine: AsyncEngine
    read_sessions: async_sessionmaker[AsyncSession]
    write_sessions: async_sessionmaker[AsyncSession]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction for one command: committed on success, rolled back on any exception."""
        async with self.write_sessions() as session, session.begin():
            steps: dict[str, Callable[[AsyncSession], Awaitable[None]]] = {}
            session.info[BEFORE_COMMIT] = steps
            yield session
            while steps:  # a step may add another
                await steps.pop(next(iter(steps)))(session)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """Reads (never a write or a lock): on PostgreSQL each statement commits on its own, with the snapshot
        it would have had in a READ COMMITTED transaction."""
        async with self.read_sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Take BEGIN away from the driver so the "begin" hook below decides it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn):  # type: ignore[no-untyped-def]
        options = conn.get_execution_options()
        if options.get("sqlite_foreign_keys_off", False):  # migrations; the connection is thrown away after
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("sqlite_begin_immediate", False) else "BEGIN")


def _lost_means_disconnected(context: ExceptionContext) -> None:
    """Every error of a lost server throws the pool's connections away, not only those the driver
    recognises: a connection left mid-operation by a cut would otherwise fail every request it serves."""
    if database_lost(context.original_exception):
        context.is_disconnect = True


def create_database(url: str, *, pool_size: int = 20, echo: bool = False) -> Database:
    """Build the engine for a URL; SQLite gets its pragmas and write locking."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        writer, reader = engine.execution_options(sqlite_begin_immediate=True), engine
    else:
        engine = create_async_engine(
            url,
            echo=echo,
            # At most pool_size connections, each kept once made: connections made beyond a pool (overflow)
            # were closed when given back, and under load every few requests paid for a new one (its
            # connect, and its prepared statements again).
            pool_size=pool_size,
            max_overflow=0,
            pool_pre_ping=False,
            connect_args={
                "timeout": POSTGRES_CONNECT_TIMEOUT_S,  # asyncpg waits 60 s by default
                # Prepared statements kept per connection (default 100): an order's life sends more distinct
                # statements than that (IN lists of each length are statements of their own), and a miss
                # costs a round trip to parse and plan again.
                "prepared_statement_cache_size": PREPARED_STATEMENTS,
            },
        )
        event.listen(engine.sync_engine, "handle_error", _lost_means_disconnected)
        writer = engine
        # Reads without BEGIN and COMMIT: under READ COMMITTED each statement of a transaction takes its
        # own snapshot anyway, so a read-only transaction gave nothing but two round trips (profiled: 7 %
        # of the API's CPU went to BEGIN and COMMIT).
        reader = engine.execution_options(isolation_level="AUTOCOMMIT")
    return Database(
        engine=engine,
        read_sessions=async_sessionmaker(reader, expire_on_commit=False),
        write_sessions=async_sessionmaker(writer, expire_on_commit=False),
    )
