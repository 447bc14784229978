"""deliveryOptions with carriers' own prices, printed as a table. Run on demand:

    .venv/bin/python bench/delivery_options.py [--rounds 100]

On a throwaway PostgreSQL database with the tests' small chain, a real server on loopback answers
`deliveryOptions` for a one-sku cart over HTTP, timed from the client:

- no carrier connector (every price from the table: the figure before carriers quoted);
- a CDEK connector whose calculator (a fake CDEK on loopback) answers at once: the first ask waits for it,
  the rest are served from the kept answers (the cart and address are the same);
- the same connector when the calculator takes longer than OMS_RATES_BUDGET_SECONDS (0.3 s here), with a
  new address each round (nothing kept): each answer waits the budget, then the table's price stands.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.api.test_cdek import SAVE, SECRETS, SETTINGS  # noqa: E402
from tests.conftest import _postgres_database, drop_postgres_database, make_key, serving  # noqa: E402
from tests.factories import BERLIN_ADDRESS, SET_STOCK, level  # noqa: E402
from tests.fakes.cdek import FakeCdek  # noqa: E402
from tests.fulfilment_steps import chain_admin  # noqa: E402
from tests.graphql_client import Api  # noqa: E402

from oms_graph.adapters import outbound  # noqa: E402
from oms_graph.app import create_app  # noqa: E402
from oms_graph.config import Settings  # noqa: E402
from oms_graph.db.engine import create_database  # noqa: E402
from oms_graph.db.migrate import upgrade  # noqa: E402
from oms_graph.domain.access import Role  # noqa: E402

OPTIONS = """query($input: DeliveryOptionsInput!) { deliveryOptions(input: $input) { carrier price quoted } }"""


def cart(city: str) -> dict[str, object]:
    address = BERLIN_ADDRESS | {"city": city}
    return {
        "input": {"channel": "web", "lines": [{"sku": "SKU-1", "quantity": 1, "unitPrice": "10"}], "address": address}
    }


async def timed(api: Api, key: str, rounds: int, *, fresh: bool) -> tuple[float, float, int]:
    took, quoted = [], 0
    for i in range(rounds):
        started = time.perf_counter()
        found = (await api.data(key, OPTIONS, cart(f"Berlin {i}" if fresh else "Berlin")))["deliveryOptions"]
        took.append((time.perf_counter() - started) * 1000)
        quoted += any(o["quoted"] for o in found)
    took.sort()
    return statistics.median(took), took[int(len(took) * 0.95) - 1], quoted


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=100)
    rounds = parser.parse_args().rounds
    url = await _postgres_database()
    if url is None:
        sys.exit("PostgreSQL is needed")
    db = create_database(url)
    fake = FakeCdek(currency="EUR").start()
    try:
        await upgrade(db)
        settings = Settings(database_url=url, background=False, rates_budget_seconds=0.3)
        rows = []
        async with serving(create_app(settings, db=db)) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
            api = Api(client, db)
            admin = await chain_admin(api)
            await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 10_000)]})
            key = await make_key(db, Role.STOREFRONT, channel="web")
            await timed(api, key, 10, fresh=False)  # warm
            rows.append(("no carrier connector", *await timed(api, key, rounds, fresh=False)))
            connector = {"name": "cdek", "kind": "CARRIER", "adapter": "cdek", "secrets": SECRETS}
            await api.data(admin, SAVE, {"input": connector | {"settings": SETTINGS | {"baseUrl": fake.url}}})
            rows.append(("CDEK quotes (answers kept)", *await timed(api, key, rounds, fresh=False)))
            fake.quote_seconds = 1.0
            slow = max(10, rounds // 5)
            rows.append(("CDEK slower than the 0.3 s budget", *await timed(api, key, slow, fresh=True)))
            await asyncio.sleep(fake.quote_seconds + 0.5)  # the late answers land (and are recorded) first
    finally:
        await outbound.close()
        fake.stop()
        await db.dispose()
        await drop_postgres_database(url)
    print(f"| deliveryOptions over HTTP ({rounds} rounds) | p50 ms | p95 ms | answers quoted |")
    print("| --- | --- | --- | --- |")
    for name, p50, p95, quoted in rows:
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {quoted} |")


if __name__ == "__main__":
    asyncio.run(main())
