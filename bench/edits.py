"""What an order edit costs beside its placement, printed as a table. Run on demand:

    .venv/bin/python bench/edits.py [--orders 200] [--sqlite]

In-process, through the service layer, on a throwaway database (PostgreSQL unless --sqlite): a chain of 20
locations and 50 skus, every sku stocked everywhere. Each row runs `--orders` times, one transaction each, on
orders of two lines: the placement itself, then edits of placed orders (the delivery price; a line added)
and of routed ones (a line added, which routes again; a size swap; a line fewer, which stays where it is),
and the preview of a line added (the edit, rolled back). Per row: SQL statements per call and wall-clock
p50 / p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace as Input
from typing import Any

from sqlalchemy import event, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import _postgres_database, drop_postgres_database  # noqa: E402
from tests.factories import DEFAULTS, placement_fields, service_chain  # noqa: E402

from oms_graph.db.engine import Database, create_database  # noqa: E402
from oms_graph.db.migrate import upgrade  # noqa: E402
from oms_graph.db.models import Order, OrderLine  # noqa: E402
from oms_graph.domain.access import Principal, Role  # noqa: E402
from oms_graph.domain.catalog import LocationCapability  # noqa: E402
from oms_graph.domain.edits import Change, ChangeKind  # noqa: E402
from oms_graph.services.orders import edits, placement  # noqa: E402
from oms_graph.services.routing import plan as routing  # noqa: E402
from oms_graph.services.stock import levels as stock  # noqa: E402

ADMIN = Principal(key_id=uuid.uuid4(), name="bench", role=Role.ADMIN)
SKUS = [f"S-{i:02d}" for i in range(50)]
LOCATIONS = [(f"L-{i:02d}", 48.0 + i * 0.3, 7.0 + i * 0.4, [LocationCapability.SHIP]) for i in range(20)]


class Rollback(Exception):
    pass


async def seed(db: Database) -> None:
    async with db.write() as session:
        await service_chain(session, locations=LOCATIONS, skus=SKUS)
        rows = [
            Input(sku=sku, location_code=code, on_hand=100_000, safety_stock=None)
            for sku in SKUS
            for code, *_ in LOCATIONS
        ]
        await stock.set_stock_levels(session, inputs=rows, actor="bench")


async def place(db: Database, n: int, *, routed: bool) -> uuid.UUID:
    fields = placement_fields(f"o-{uuid.uuid4()}", [(SKUS[n % 50], 1, "10.00"), (SKUS[(n + 7) % 50], 2, "5.00")])
    async with db.write() as session:
        order = await placement.place_order(session, order=fields, principal=ADMIN, settings=DEFAULTS)
    if routed:
        async with db.write() as session:
            await routing.route_order(session, order_id=order.id)
    return order.id


async def read(db: Database, order_id: uuid.UUID) -> tuple[int, list[OrderLine]]:
    """The order's version and lines, as a caller reads them before editing."""
    async with db.read() as session:
        version = await session.scalar(select(Order.version).where(Order.id == order_id))
        query = select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.line_no)
        return int(version or 1), list(await session.scalars(query))


async def edit(db: Database, order_id: uuid.UUID, version: int, change: Change, *, preview: bool) -> None:
    """One edit in its own transaction (a preview rolls it back)."""
    try:
        async with db.write() as session:
            await edits.edit_order(
                session,
                order_id=order_id,
                expected_version=version,
                changes=[change],
                reason=None,
                principal=ADMIN,
            )
            if preview:
                raise Rollback
    except Rollback:
        pass


def added(n: int) -> Callable[[list[OrderLine]], Change]:
    return lambda lines: Change(ChangeKind.ADD_LINE, sku=SKUS[(n + 21) % 50], quantity=1, unit_price=Decimal("3"))


CASES: list[tuple[str, bool, Callable[[int], Callable[[list[OrderLine]], Change]] | None, bool]] = [
    ("placeOrder, 2 lines (the baseline)", False, None, False),
    (
        "edit a placed order: delivery price",
        False,
        lambda n: lambda _: Change(ChangeKind.CHANGE_DELIVERY_PRICE, price=Decimal(1)),
        False,
    ),
    ("edit a placed order: a line added", False, added, False),
    ("edit a routed order: a line added (routed again)", True, added, False),
    (
        "edit a routed order: a size swap (routed again)",
        True,
        lambda n: lambda lines: Change(ChangeKind.REPLACE_SKU, line=lines[0].id, sku=SKUS[(n + 33) % 50]),
        False,
    ),
    (
        "edit a routed order: a line fewer (stays routed)",
        True,
        lambda n: lambda lines: Change(ChangeKind.CHANGE_QUANTITY, line=lines[1].id, quantity=1),
        False,
    ),
    ("previewOrderEdit of a routed order: a line added", True, added, True),
]


async def measure(db: Database, orders: int) -> list[tuple[str, str, str, str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    rows = []
    for label, routed, make, preview in CASES:
        times, statements = [], []
        for n in range(orders):
            work: Awaitable[Any]
            if make is None:
                work = place(db, n, routed=False)
            else:
                order_id = await place(db, n, routed=routed)
                version, lines = await read(db, order_id)
                work = edit(db, order_id, version, make(n)(lines), preview=preview)
            seen.clear()
            event.listen(db.engine.sync_engine, "before_cursor_execute", count)
            started = time.perf_counter()
            try:
                await work
            finally:
                times.append((time.perf_counter() - started) * 1000)
                event.remove(db.engine.sync_engine, "before_cursor_execute", count)
            statements.append(len(seen))
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        rows.append((label, f"{statistics.median(statements):.0f}", f"{statistics.median(times):.1f}", f"{p95:.1f}"))
    return rows


async def main(orders: int, sqlite: bool) -> None:
    if sqlite:
        folder = tempfile.mkdtemp()
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
    else:
        made = await _postgres_database()
        assert made is not None, "no PostgreSQL on this machine"
        url = made
    db = create_database(url)
    try:
        await upgrade(db)
        await seed(db)
        rows = await measure(db, orders)
    finally:
        await db.dispose()
        if not sqlite:
            await drop_postgres_database(url)
    backend = "SQLite" if sqlite else "PostgreSQL"
    print(f"\n{backend}, {orders} calls per row, in-process through the services\n")
    print(f"| {'operation':<52} | statements | p50 ms | p95 ms |")
    print(f"| {'-' * 52} | ---------- | ------ | ------ |")
    for label, statements, p50, p95 in rows:
        print(f"| {label:<52} | {statements:>10} | {p50:>6} | {p95:>6} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.sqlite))
