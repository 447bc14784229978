"""Two `oms-graph serve` processes on one PostgreSQL database: a change committed through one reaches a
subscriber connected to the other, in order."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import drop_postgres_database, free_port, new_database_url
from tests.e2e.test_background_e2e import ORDER, seed, start, wait_ready
from tests.e2e.test_embedded_server import clean_env, cli
from tests.live import Live

EVENTS = "subscription { orderEvents { id orderId type } }"


async def test_a_change_through_one_api_process_reaches_a_subscriber_of_another(tmp_path):
    url = await new_database_url("postgresql", tmp_path)
    env = clean_env(OMS_DATABASE_URL=url, OMS_BACKGROUND="false")  # no routing: the events stay few
    processes = []
    try:
        assert cli("migrate", cwd=tmp_path, env=env).returncode == 0
        key = seed(tmp_path, env)
        ports = [free_port(), free_port()]
        processes = [start(["serve", "--port", str(port)], env, tmp_path) for port in ports]
        one, other = (f"http://127.0.0.1:{port}" for port in ports)
        for base, process in zip((one, other), processes, strict=True):
            await asyncio.to_thread(wait_ready, base, process)
        live = await Live.connect(one, key)
        await live.subscribe(EVENTS)
        await asyncio.sleep(0.5)
        async with httpx.AsyncClient(base_url=other, headers={"authorization": f"Bearer {key}"}) as client:
            placed = []
            for i in range(3):
                query = ORDER.replace('"bg-1"', f'"live-{i}"')
                answer = (await client.post("/graphql", json={"query": query})).json()["data"]["placeOrder"]
                assert answer["errors"] == []
                placed.append(answer["order"]["id"])
        got = [(await live.data())["orderEvents"] for _ in range(3)]
        assert [(e["orderId"], e["type"]) for e in got] == [(order_id, "ORDER_PLACED") for order_id in placed]
        await live.close()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)
        await drop_postgres_database(url)
