"""The embedded OMS from the command line: seed, serve, keys, and a real HTTP client."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect

from oms_graph.db.engine import create_database
from tests.conftest import BACKENDS, drop_postgres_database, free_port, new_database_url


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oms_graph.cli", *args],
        cwd=cwd,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMS_")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp_path = tmp_path_factory.mktemp("embedded")
    seeded = cli("seed", "--demo", cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    keys = {
        line.split(":", 1)[0].split()[0]: line.rsplit(" ", 1)[1]
        for line in seeded.stdout.splitlines()
        if line.startswith(("ADMIN", "STOREFRONT"))
    }
    port = free_port()
    # No key cache, so a replaced demo key is refused at once (the default remembers keys for 5 s).
    process = subprocess.Popen(
        [sys.executable, "-m", "oms_graph.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env(OMS_API_KEY_CACHE_SECONDS="0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"server did not start: {process.stdout.read().decode() if process.stdout else ''}")
        time.sleep(0.1)
    yield base, keys, tmp_path
    process.terminate()
    process.wait(timeout=15)


def test_seeded_embedded_server_answers_a_storefront_over_http(embedded_server):
    base, keys, folder = embedded_server
    assert (folder / "oms.db").exists()
    query = """{ availability(skus: ["APP-0001"], near: {latitude: 52.52, longitude: 13.405}, maxLocations: 3) {
        sku availableToPromise locations { location { code region } available distanceKm } } }"""
    body = httpx.post(
        f"{base}/graphql", json={"query": query}, headers={"authorization": f"Bearer {keys['STOREFRONT']}"}
    ).json()
    answer = body["data"]["availability"][0]
    assert answer["sku"] == "APP-0001" and answer["availableToPromise"] > 0
    assert answer["locations"][0]["distanceKm"] <= answer["locations"][-1]["distanceKm"]
    assert httpx.get(f"{base}/readyz").status_code == 200
    assert httpx.get(f"{base}/graphql", headers={"accept": "text/html"}).status_code == 200


def test_demo_chain_has_the_promised_shape(embedded_server):
    base, keys, _ = embedded_server
    query = "{ channels { kind } locations { kind region } products { category } }"
    data = httpx.post(
        f"{base}/graphql", json={"query": query}, headers={"authorization": f"Bearer {keys['ADMIN']}"}
    ).json()["data"]
    assert {c["kind"] for c in data["channels"]} == {"WEB", "APP", "MARKETPLACE", "SOCIAL", "STORE", "CALL_CENTER"}
    kinds = [loc["kind"] for loc in data["locations"]]
    assert kinds.count("WAREHOUSE") >= 2 and kinds.count("STORE") >= 12
    assert len({loc["region"] for loc in data["locations"]}) >= 4
    assert len(data["products"]) >= 200 and len({p["category"] for p in data["products"]}) >= 8


def test_api_key_create_prints_a_working_scoped_key_as_its_last_line(embedded_server):
    base, _, folder = embedded_server
    created = cli("api-key", "create", "--role", "STORE", "--location", "ST-BER-ALX", "--name", "tablet", cwd=folder)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    data = httpx.post(
        f"{base}/graphql",
        json={"query": "{ stockLevels(first: 5) { edges { node { location { code } } } } }"},
        headers={"authorization": f"Bearer {key}"},
    ).json()["data"]
    assert {e["node"]["location"]["code"] for e in data["stockLevels"]["edges"]} == {"ST-BER-ALX"}
    refused = cli("api-key", "create", "--role", "STORE", "--name", "no-location", cwd=folder)
    assert refused.returncode == 2 and "(location): a STORE key needs a location" in refused.stderr


def test_seeding_twice_is_fine_and_replaces_the_demo_keys(embedded_server):
    base, keys, folder = embedded_server
    again = cli("seed", "--demo", cwd=folder)
    assert again.returncode == 0, again.stderr
    new_key = next(line.rsplit(" ", 1)[1] for line in again.stdout.splitlines() if line.startswith("ADMIN"))
    fresh = httpx.post(
        f"{base}/graphql", json={"query": "{ locations { code } }"}, headers={"authorization": f"Bearer {new_key}"}
    )
    assert fresh.status_code == 200 and len(fresh.json()["data"]["locations"]) == 18
    old = httpx.post(
        f"{base}/graphql",
        json={"query": "{ locations { code } }"},
        headers={"authorization": f"Bearer {keys['ADMIN']}"},
    )
    assert old.status_code == 401


@pytest.mark.parametrize("backend", BACKENDS)
async def test_migrate_command_brings_a_configured_database_to_head(backend, tmp_path):
    url = await new_database_url(backend, tmp_path)
    try:
        done = cli("migrate", cwd=tmp_path, env=clean_env(OMS_DATABASE_URL=url))
        assert done.returncode == 0, done.stderr
        db = create_database(url)
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        await db.dispose()
        assert {"channels", "locations", "products", "stock_levels", "stock_movements", "api_keys"} <= tables
    finally:
        if backend == "postgresql":
            await drop_postgres_database(url)
