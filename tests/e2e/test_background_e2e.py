"""Placed orders are routed in the background by real processes: embedded, and serve + worker on Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import _drop_postgres_database, free_port, new_database_url
from tests.e2e.test_embedded_server import clean_env, cli

REDIS_URL = os.environ.get("OMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ORDER = """mutation { placeOrder(input: {channel: "web", idempotencyKey: "bg-1", customer: {email: "a@example.com"},
  lines: [{sku: "APP-0001", quantity: 1, unitPrice: "19.99"}],
  delivery: {method: DELIVERY, address: {line1: "Unter den Linden 1", city: "Berlin", country: "DE",
                                         latitude: 52.517, longitude: 13.389}},
  payment: {method: PREPAID}}) { order { id } errors { code message } } }"""
STATUS = "query($id: ID) { order(id: $id) { status routing { chosen { allocations { location { code } } } } } }"


def start(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "oms_graph.cli", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "server exited"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail("server did not start")


def seed(cwd: Path, env: dict[str, str]) -> str:
    out = cli("seed", "--demo", cwd=cwd, env=env)
    assert out.returncode == 0, out.stderr
    return next(line.rsplit(" ", 1)[1] for line in out.stdout.splitlines() if line.startswith("ADMIN"))


def place_and_wait_routed(base: str, key: str) -> dict:
    headers = {"authorization": f"Bearer {key}"}
    placed = httpx.post(f"{base}/graphql", json={"query": ORDER}, headers=headers).json()["data"]["placeOrder"]
    assert placed["errors"] == [], placed
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        order = httpx.post(
            f"{base}/graphql", json={"query": STATUS, "variables": {"id": placed["order"]["id"]}}, headers=headers
        ).json()["data"]["order"]
        if order["status"] != "PLACED":
            return order
        time.sleep(0.2)
    pytest.fail("the order was not routed within 30 s")


def redis_available() -> bool:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).flushdb()
        return True
    except redis.RedisError:
        if os.environ.get("OMS_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is required (OMS_REQUIRE_REDIS=1) but unreachable at {REDIS_URL}")
        return False


def test_embedded_serve_routes_placed_orders_in_process(tmp_path):
    env = clean_env()
    key = seed(tmp_path, env)
    port = free_port()
    server = start(["serve", "--port", str(port)], env, tmp_path)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, server)
        order = place_and_wait_routed(base, key)
        assert order["status"] == "ROUTED"
        assert order["routing"]["chosen"]["allocations"][0]["location"]["code"]
    finally:
        server.terminate()
        server.wait(timeout=15)


async def test_serve_and_a_worker_on_postgresql_and_redis_route_placed_orders(tmp_path):
    if not redis_available():
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    url = await new_database_url("postgresql", tmp_path)
    env = clean_env(OMS_DATABASE_URL=url, OMS_BROKER_URL=REDIS_URL)
    processes = []
    try:
        assert cli("migrate", cwd=tmp_path, env=env).returncode == 0
        key = seed(tmp_path, env)
        port = free_port()
        processes.append(start(["serve", "--port", str(port)], env, tmp_path))
        processes.append(start(["worker", "--threads", "2"], env, tmp_path))
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, processes[0])
        order = place_and_wait_routed(base, key)
        assert order["status"] == "ROUTED"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)
        await _drop_postgres_database(url)
