"""Hostile input, the long run: generated operations for every root field with every role's key against
`oms-graph serve` in its own process, printed as a table per role. Run on demand:

    .venv/bin/python bench/fuzz.py [--examples N] [--seed S] [--sqlite]

The same check as tests/api/test_fuzz.py (tests/fuzzing.py), with N operations per root field and role
(the suite draws 3): no answer may be a 5xx, an `internal error` or slower than 15 s, and a mutation the
server refused must have written nothing. A seed draws other operations than the suite's fixed ones.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import fuzzing  # noqa: E402
from tests.conftest import _postgres_database, drop_postgres_database  # noqa: E402
from tests.factories import UPSERT_CHANNELS, UPSERT_LOCATIONS, UPSERT_PRODUCTS, channel, location, product  # noqa: E402

from bench.server import start_server  # noqa: E402
from oms_graph.db.engine import create_database  # noqa: E402
from oms_graph.db.migrate import upgrade  # noqa: E402
from oms_graph.domain.access import Role  # noqa: E402
from oms_graph.services import auth  # noqa: E402

ROLES = {
    "ADMIN": {},
    "INTEGRATION": {},
    "STOREFRONT": {"channel_code": "web"},
    "STORE": {"location_code": "ST-BER"},
    "ANALYST": {},
}


async def run(url: str, backend: str, examples: int, seed: int | None) -> list[tuple[str, ...]]:
    db = create_database(url)
    await upgrade(db)
    process, base = start_server(url)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            async with db.write() as session:
                admin = (await auth.create_api_key(session, role=Role.ADMIN, name="fuzz-admin"))[1]
            for document, rows in (
                (UPSERT_CHANNELS, [channel("web"), channel("pos", kind="STORE")]),
                (UPSERT_LOCATIONS, [location("WH-HAM"), location("ST-BER", kind="STORE"), location("ST-MUC")]),
                (UPSERT_PRODUCTS, [product("SKU-1"), product("SKU-2"), product("SKU-3")]),
            ):
                answer = await client.post(
                    "/graphql",
                    json={"query": document, "variables": {"input": rows}},
                    headers={"authorization": f"Bearer {admin}"},
                )
                assert not answer.json().get("errors"), answer.text
            keys = {"ADMIN": admin}
            async with db.write() as session:
                for role, scope in ROLES.items():
                    if role != "ADMIN":
                        keys[role] = (
                            await auth.create_api_key(session, role=Role(role), name=f"fuzz-{role}", **scope)
                        )[1]
            started = time.perf_counter()
            loop = asyncio.get_running_loop()
            tally = await asyncio.to_thread(fuzzing.run, loop, client, db, keys, examples=examples, seed=seed)
            took = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(10)
        await db.dispose()
    rows = [
        (backend, role, str(tally.cases[role]), str(tally.refused[role]), str(tally.checked_writes[role]))
        for role in sorted(keys)
    ]
    rows.append((backend, "all", str(sum(tally.cases.values())), f"{took:.0f} s", f"faults: {len(tally.faults)}"))
    for fault in tally.faults[:10]:
        print(fault, "\n", file=sys.stderr)
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=20, help="operations per root field and role")
    parser.add_argument("--seed", type=int, default=None, help="draw other operations than the suite's")
    parser.add_argument("--sqlite", action="store_true", help="also run on SQLite")
    args = parser.parse_args()
    rows = []
    url = await _postgres_database()
    if url is not None:
        try:
            rows += await run(url, "postgresql", args.examples, args.seed)
        finally:
            await drop_postgres_database(url)
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            rows += await run(f"sqlite+aiosqlite:///{folder}/fuzz.db", "sqlite", args.examples, args.seed)
    header = ("database", "role", "operations", "refused (or time)", "refused mutations checked (or faults)")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    asyncio.run(main())
