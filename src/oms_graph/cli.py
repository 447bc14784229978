"""oms-graph command line: serve, migrate, seed, api-key, secrets, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from oms_graph.config import Settings
from oms_graph.db.engine import Database, create_database
from oms_graph.domain.access import Role
from oms_graph.domain.errors import DomainError, ErrorCode

DEFAULT_GRACE_SECONDS = 24 * 3600  # as services.auth.DEFAULT_GRACE (the CLI starts without importing services)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="oms-graph", description="Headless order management over GraphQL.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API (embedded: SQLite, migrated on start)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1, help="API processes sharing the port (PostgreSQL setups)")

    worker = commands.add_parser("worker", help="run background workers for the configured broker")
    worker.add_argument("--threads", type=int, default=None, help="worker threads (default OMS_WORKER_THREADS)")

    commands.add_parser("migrate", help="bring the configured database to the newest schema")

    seed = commands.add_parser("seed", help="load the demo chain, and optionally a history of orders")
    seed.add_argument("--demo", action="store_true", help="a demo retail chain (also loaded by --history)")
    seed.add_argument(
        "--history",
        type=int,
        default=0,
        metavar="N",
        help="N orders of history over the last year, through the services",
    )
    seed.add_argument("--days", type=int, default=365, help="days the history spreads over (default 365)")

    api_key = commands.add_parser("api-key", help="manage API keys")
    key_commands = api_key.add_subparsers(dest="key_command", required=True)
    create = key_commands.add_parser("create", help="create a key; it is printed once, as the last line")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--channel", default=None, help="channel code (STOREFRONT keys)")
    create.add_argument("--location", default=None, help="location code (STORE keys)")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--expires", default=None, metavar="WHEN", help="ISO 8601 time it stops working (UTC if no zone)"
    )
    create.add_argument("--note", default=None, help="what the key is for")
    key_commands.add_parser(
        "list", help="every key, one per line: id, name, role, scope, created, last used, expiry, status"
    )
    revoke = key_commands.add_parser("revoke", help="the key stops working in every API process within a second")
    revoke.add_argument("id")
    rotate = key_commands.add_parser(
        "rotate", help="a new key in the old one's place, printed as the last line; the old one works for --grace"
    )
    rotate.add_argument("id")
    rotate.add_argument(
        "--grace", type=int, default=int(DEFAULT_GRACE_SECONDS), metavar="SECONDS", help="default: a day"
    )

    sealed = commands.add_parser("secrets", help="the key that seals secrets at rest (OMS_SECRET_KEYS)")
    secret_commands = sealed.add_subparsers(dest="secrets_command", required=True)
    secret_commands.add_parser("new-key", help="print a new key, for OMS_SECRET_KEYS as id=key")
    secret_commands.add_parser("reseal", help="seal every stored secret with the first key of OMS_SECRET_KEYS")

    commands.add_parser("export-schema", help="print the GraphQL SDL")

    args = parser.parse_args(argv)
    try:
        return HANDLERS[args.command](args)
    except DomainError as error:
        for e in error.errors:
            where = f" ({'.'.join(e.field)})" if e.field else ""
            print(f"error: {e.code.value}{where}: {e.message}", file=sys.stderr)
        return 2


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from oms_graph.app import create_app
    from oms_graph.logs import log_config

    settings = Settings()
    host, port = args.host or settings.host, args.port or settings.port
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": settings.log_level,
        "log_config": log_config(settings.log_level),
        **server_options(),
    }
    if args.workers > 1:
        if settings.embedded:
            _with_database(lambda db: asyncio.sleep(0))  # migrate once, before the workers start
        app: Any = "oms_graph.app:create_app"
        uvicorn.run(app, factory=True, workers=args.workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)
    return 0


def server_options() -> dict[str, Any]:
    """What `oms-graph serve` asks of uvicorn beyond the app and its address (the tests' servers too)."""
    return {
        # Live events are small JSON messages to many sockets: compressing each costs more CPU than it saves.
        "ws_per_message_deflate": False,
        # An idle subscriber costs 28.5 KB of the server's memory on wsproto against 31.9 on websockets'
        # protocol, which keeps each connection's handshake request and response for its whole life; the
        # CPU per message is the same (bench/subscribers.py).
        "ws": "wsproto",
    }


def use_uvloop() -> None:
    """New event loops are uvloop's where it is installed (it comes with uvicorn[standard] on Linux)."""
    try:
        import uvloop
    except ImportError:
        return
    import asyncio

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def _worker(args: argparse.Namespace) -> int:
    import logging.config
    import signal
    import threading

    import dramatiq

    from oms_graph.logs import log_config
    from oms_graph.memory import tune_collector
    from oms_graph.tasks.actors import register
    from oms_graph.tasks.broker import build_broker

    settings = Settings()
    logging.config.dictConfig(log_config(settings.log_level))
    if settings.broker_url is None:
        print(
            "error: set OMS_BROKER_URL (redis://… or amqp://…); without one, `serve` runs its own workers",
            file=sys.stderr,
        )
        return 2
    broker = build_broker(
        settings.broker_url,
        heartbeat_ms=settings.broker_heartbeat_ms,
        maintenance_chance=settings.broker_maintenance_chance,
    )
    register(broker, settings=settings)
    tune_collector()
    use_uvloop()  # the actors' event loop (dramatiq's loop thread) is uvloop's, as the API's is uvicorn's
    worker = dramatiq.Worker(broker, worker_threads=args.threads or settings.worker_threads)
    worker.start()
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    print(f"worker running {len(broker.get_declared_actors())} actors on {settings.broker_url.split('@')[-1]}")
    stopping.wait()
    worker.stop()
    broker.close()
    return 0


def _migrate(args: argparse.Namespace) -> int:
    async def run(db: Database) -> None:
        from oms_graph.db.migrate import upgrade

        await upgrade(db)

    _with_database(run, migrate=False)
    print("database is at the newest schema")
    return 0


def _seed(args: argparse.Namespace) -> int:
    from oms_graph.events.stream import Sequencer
    from oms_graph.seed import demo
    from oms_graph.seed.history import make_history
    from oms_graph.services.analytics import summaries as sales_summary

    if not args.demo and args.history <= 0:
        print("error: say --demo, or --history N with N > 0", file=sys.stderr)
        return 2

    settings = Settings()

    async def run(db: Database) -> demo.DemoKeys:
        from oms_graph.services import audit

        async with db.write() as session:
            audit.acting(session, "seed")
            keys = await demo.seed(session)
        if args.history > 0:
            skipped = await make_history(
                db, settings, orders_total=args.history, days=args.days, progress=_progress_bar(sys.stderr)
            )
            sequencer = Sequencer(db, lambda: None)
            while await sequencer.sequence_once():  # the history's events in the stream, as a server would
                pass
            days = await sales_summary.refresh(db, everything=True)
            print(
                f"history: {args.history} orders over {args.days} days ({skipped} steps not allowed by then); "
                f"sales summaries of {days} days built"
            )
        return keys

    keys = _with_database(run, settings=settings)
    regions = {location[3] for location in demo.LOCATIONS}
    print(
        f"demo chain loaded: {len(demo.CHANNELS)} channels, {len(demo.LOCATIONS)} locations in {len(regions)} "
        f"regions, {len(demo.products())} products with stock"
    )
    print(f"ADMIN key:                  {keys.admin}")
    print(f"STOREFRONT key (channel web): {keys.storefront}")
    print(f"STORE key ({demo.DEMO_STORE}): {keys.store}")
    print(f"ANALYST key:                {keys.analyst}")
    return 0


def _progress_bar(stream: Any, width: int = 40) -> Callable[[int, int], None]:
    """A one-line bar on a terminal stream, redrawn every percent."""
    shown = [-1]

    def show(done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent != shown[0] or done == total:
            shown[0] = percent
            filled = width * done // max(total, 1)
            stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {percent:3d}% {done}/{total} orders")
            if done == total:
                stream.write("\n")
            stream.flush()

    return show


def _api_key(args: argparse.Namespace) -> int:
    from oms_graph.services import auth

    if args.key_command == "list":
        for line in _with_database(lambda db: _key_lines(db)):
            print(line)
        return 0
    if args.key_command in ("revoke", "rotate"):
        try:
            key_id = uuid.UUID(args.id)
        except ValueError:
            raise DomainError.one(
                ErrorCode.NOT_FOUND, ["id"], f"{args.id!r} is not a key id (see api-key list)"
            ) from None

    async def run(db: Database) -> str:
        from oms_graph.services import audit

        async with db.write() as session:
            audit.acting(session, "cli")
            if args.key_command == "revoke":
                key = await auth.revoke_api_key(session, key_id=key_id)
                return f"revoked key {key.id} ({key.name})"
            if args.key_command == "rotate":
                old, _, secret = await auth.rotate_api_key(session, key_id=key_id, grace_seconds=args.grace)
                return (
                    f"rotated key {old.id} ({old.name}); it works until {old.expires_at:%Y-%m-%dT%H:%M:%SZ}. "
                    f"The new key is shown once, keep it:\n{secret}"
                )
            key, secret = await auth.create_api_key(
                session,
                role=Role(args.role),
                name=args.name,
                channel_code=args.channel,
                location_code=args.location,
                expires_at=_when(args.expires),
                note=args.note,
            )
            return f"created {args.role} key {args.name!r} ({key.id}); it is shown once, keep it:\n{secret}"

    print(_with_database(run))
    return 0


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DomainError.one(ErrorCode.INVALID_INPUT, ["expires"], f"{text!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _key_lines(db: Database) -> list[str]:
    from oms_graph.services import auth

    def at(moment: datetime | None) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else "-"

    async with db.read() as session:
        views = await auth.list_api_keys(session)
    lines = []
    for view in views:
        key = view.key
        scope = (
            f"channel:{view.channel_code}"
            if view.channel_code
            else f"location:{view.location_code}"
            if view.location_code
            else "-"
        )
        fields = [
            str(key.id),
            key.name,
            Role(key.role).value,
            scope,
            at(key.created_at),
            at(key.last_used_at),
            at(key.expires_at),
            view.status.value,
        ]
        lines.append("\t".join(fields))
    return lines


def _secrets(args: argparse.Namespace) -> int:
    from oms_graph.adapters import sealing

    if args.secrets_command == "new-key":
        print(sealing.new_key())
        return 0

    async def run(db: Database) -> int:
        from oms_graph.services import webhooks

        async with db.write() as session:
            return await webhooks.reseal_secrets(session)

    print(f"resealed {_with_database(run)} secrets with key {sealing.configured().current!r}")
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from oms_graph.api.schema import export_sdl

    sys.stdout.write(export_sdl())
    return 0


def _with_database(run, *, migrate: bool = True, settings: Settings | None = None):  # type: ignore[no-untyped-def]
    """Open the configured database (migrating an embedded one first), run, close."""
    settings = settings or Settings()

    async def go():  # type: ignore[no-untyped-def]
        db = create_database(settings.database_url)
        try:
            if migrate and settings.embedded:
                from oms_graph.db.migrate import upgrade

                await upgrade(db)
            return await run(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


HANDLERS = {
    "serve": _serve,
    "worker": _worker,
    "migrate": _migrate,
    "seed": _seed,
    "api-key": _api_key,
    "secrets": _secrets,
    "export-schema": _export_schema,
}

if __name__ == "__main__":
    sys.exit(main())
