"""API keys' lifecycle over GraphQL and the command line: list, revoke (seen by another API process within
a second, its subscriptions ended), expiry, rotation with a grace period, last use."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from subprocess import PIPE

import httpx
import pytest
import websockets

from oms_graph.db.base import utcnow
from oms_graph.domain.access import Role
from oms_graph.services import audit, auth
from tests.conftest import free_port, make_key
from tests.live import PROTOCOL, Live, ws_url

KEY_FIELDS = (
    "id name role channel location prefix status createdAt createdBy lastUsedAt expiresAt revokedAt note replacedBy"
)
CREATE = f"""mutation($input: ApiKeyInput!) {{
  createApiKey(input: $input) {{ secret key {{ {KEY_FIELDS} }} errors {{ code field message }} }}
}}"""
REVOKE = f"mutation($id: ID!) {{ revokeApiKey(id: $id) {{ key {{ {KEY_FIELDS} }} errors {{ code field }} }} }}"
ROTATE = f"""mutation($id: ID!, $grace: Int!) {{
  rotateApiKey(id: $id, graceSeconds: $grace) {{
    secret key {{ {KEY_FIELDS} }} replaced {{ {KEY_FIELDS} }} errors {{ code field message }}
  }}
}}"""
KEYS = f"{{ apiKeys {{ {KEY_FIELDS} }} }}"
ME = "{ channels { code } }"  # any read a key of every role may make


def database_url(api) -> str:  # type: ignore[no-untyped-def]
    return api.db.engine.url.render_as_string(hide_password=False)


async def answers(client: httpx.AsyncClient, key: str) -> int:
    response = await client.post("/graphql", json={"query": ME}, headers={"authorization": f"Bearer {key}"})
    return response.status_code


async def refused_within(client: httpx.AsyncClient, key: str, seconds: float) -> float:
    """How long until the key is answered 401 (failing after `seconds`)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if await answers(client, key) == 401:
            return time.monotonic() - start
        await asyncio.sleep(0.05)
    pytest.fail(f"the key still worked after {seconds} s")


@contextlib.asynccontextmanager
async def another_api_process(api) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """`oms-graph serve` in a process of its own on the test's database; its base URL."""
    port = free_port()
    env = {**os.environ, "OMS_DATABASE_URL": database_url(api), "OMS_LOG_LEVEL": "warning", "OMS_BACKGROUND": "false"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "oms_graph.cli", "serve", "--port", str(port), env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{base}/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        yield base
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def test_an_admin_creates_lists_and_revokes_keys_over_graphql(api):
    admin = await make_key(api.db, Role.ADMIN)
    made = (
        await api.data(
            admin, CREATE, {"input": {"name": " wms ", "role": "INTEGRATION", "note": "the warehouse system"}}
        )
    )["createApiKey"]
    assert made["errors"] == [] and made["secret"].startswith("oms_")
    key = made["key"]
    assert (key["name"], key["role"], key["status"], key["note"]) == (
        "wms",
        "INTEGRATION",
        "ACTIVE",
        "the warehouse system",
    )
    assert key["createdBy"] == "test-admin" and made["secret"].startswith(key["prefix"])
    assert await answers(api.client, made["secret"]) == 200
    listed = {k["id"]: k for k in (await api.data(admin, KEYS))["apiKeys"]}
    assert set(listed) >= {key["id"]} and len(listed) == 2
    assert "secret" not in json.dumps(listed) and made["secret"] not in json.dumps(listed)

    revoked = (await api.data(admin, REVOKE, {"id": key["id"]}))["revokeApiKey"]
    assert revoked["key"]["status"] == "REVOKED" and revoked["key"]["revokedAt"] is not None
    await refused_within(api.client, made["secret"], 3)
    again = (await api.data(admin, REVOKE, {"id": key["id"]}))["revokeApiKey"]
    assert again["key"]["revokedAt"] == revoked["key"]["revokedAt"]  # revoking twice changes nothing


async def test_only_an_admin_manages_keys_and_bad_input_writes_nothing(api):
    admin = await make_key(api.db, Role.ADMIN)
    integration = await make_key(api.db, Role.INTEGRATION)
    refused = await api.run(integration, KEYS)
    assert refused["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    cases = [
        ({"name": "x", "role": "ROOT"}, "INVALID_INPUT", ["input", "role"]),
        ({"name": "  ", "role": "ANALYST"}, "INVALID_INPUT", ["name"]),
        ({"name": "shop", "role": "STOREFRONT"}, "INVALID_INPUT", ["channel"]),
        ({"name": "old", "role": "ANALYST", "expiresAt": "2020-01-01T00:00:00Z"}, "INVALID_INPUT", ["expiresAt"]),
        ({"name": "n", "role": "ANALYST", "note": "x" * 501}, "INVALID_INPUT", ["note"]),
    ]
    for given, code, field in cases:
        answer = (await api.data(admin, CREATE, {"input": given}))["createApiKey"]
        assert answer["key"] is None and answer["secret"] is None
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [(code, field)], given
    unknown = (await api.data(admin, REVOKE, {"id": "QXBpS2V5OjEyMw=="}))["revokeApiKey"]
    assert unknown["errors"][0]["code"] == "NOT_FOUND"
    assert len((await api.data(admin, KEYS))["apiKeys"]) == 2


async def test_a_revoked_key_is_refused_by_another_api_process_within_a_second_and_its_subscription_ends(api):
    admin = await make_key(api.db, Role.ADMIN)
    made = (await api.data(admin, CREATE, {"input": {"name": "leaked", "role": "ANALYST"}}))["createApiKey"]
    secret = made["secret"]
    async with another_api_process(api) as other, httpx.AsyncClient(base_url=other, timeout=5) as client:
        assert await answers(client, secret) == 200  # the other process now holds the key in its cache
        live = await Live.connect(other, secret)
        await live.subscribe("subscription { orderEvents { id } }")
        await asyncio.sleep(0.2)
        revoked_at = time.monotonic()
        assert (await api.data(admin, REVOKE, {"id": made["key"]["id"]}))["revokeApiKey"]["errors"] == []
        took = await refused_within(client, secret, 5)
        # The other process looks for changed keys each second; a request's round trip comes on top.
        assert took < 1.5, f"refused after {took:.2f} s"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await live.next(wait=5)
        assert time.monotonic() - revoked_at < 2.0
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "the API key was revoked or has expired")


async def test_an_expired_key_is_refused(api):
    async with api.db.write() as session:
        _, secret = await auth.create_api_key(
            session, role=Role.ANALYST, name="short", expires_at=utcnow() + timedelta(seconds=1.5)
        )
    assert await answers(api.client, secret) == 200
    await asyncio.sleep(1.6)
    assert await answers(api.client, secret) == 401
    admin = await make_key(api.db, Role.ADMIN)
    listed = {k["name"]: k["status"] for k in (await api.data(admin, KEYS))["apiKeys"]}
    assert listed["short"] == "EXPIRED"


async def test_rotation_issues_a_new_key_and_the_old_one_works_until_its_grace_ends(api):
    admin = await make_key(api.db, Role.ADMIN)
    made = (await api.data(admin, CREATE, {"input": {"name": "pos", "role": "ANALYST", "note": "tills"}}))[
        "createApiKey"
    ]
    assert await answers(api.client, made["secret"]) == 200  # cached by the server before the rotation
    rotated = (await api.data(admin, ROTATE, {"id": made["key"]["id"], "grace": 2}))["rotateApiKey"]
    assert rotated["errors"] == []
    new, old = rotated["key"], rotated["replaced"]
    assert (new["name"], new["role"], new["note"], new["status"]) == ("pos", "ANALYST", "tills", "ACTIVE")
    assert old["replacedBy"] == new["id"] and old["status"] == "ACTIVE" and old["expiresAt"] is not None
    assert rotated["secret"] != made["secret"]
    assert await answers(api.client, made["secret"]) == 200  # the grace period
    assert await answers(api.client, rotated["secret"]) == 200
    await refused_within(api.client, made["secret"], 5)
    assert await answers(api.client, rotated["secret"]) == 200
    twice = (await api.data(admin, ROTATE, {"id": made["key"]["id"], "grace": 0}))["rotateApiKey"]
    assert twice["errors"][0]["code"] == "INVALID_TRANSITION"
    bad = (await api.data(admin, ROTATE, {"id": new["id"], "grace": -5}))["rotateApiKey"]
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID_INPUT", ["graceSeconds"])]


async def test_the_last_use_of_a_key_is_recorded(api):
    admin = await make_key(api.db, Role.ADMIN)
    made = (await api.data(admin, CREATE, {"input": {"name": "bi", "role": "ANALYST"}}))["createApiKey"]
    assert made["key"]["lastUsedAt"] is None
    before = utcnow()
    assert await answers(api.client, made["secret"]) == 200
    for _ in range(60):
        listed = {k["name"]: k for k in (await api.data(admin, KEYS))["apiKeys"]}
        if listed["bi"]["lastUsedAt"] is not None:
            break
        await asyncio.sleep(0.1)
    used = listed["bi"]["lastUsedAt"]
    assert used is not None and used >= before.isoformat()[:19]


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def cli(api, *args: str) -> Ran:  # type: ignore[no-untyped-def]
    """`oms-graph api-key ARGS` in a process of its own, on the test's database."""
    env = {**os.environ, "OMS_DATABASE_URL": database_url(api)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "oms_graph.cli", "api-key", *args, env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


async def test_the_command_line_lists_revokes_and_rotates_keys(api):
    made = await cli(
        api, "create", "--role", "ANALYST", "--name", "report", "--note", "weekly", "--expires", "2099-01-01"
    )
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert await answers(api.client, secret) == 200
    listed = await cli(api, "list")
    lines = [line.split("\t") for line in listed.stdout.strip().splitlines()]
    assert len(lines) == 1
    key_id, name, role, scope, _created, last_used, expiry, status = lines[0]
    assert (name, role, scope, expiry, status) == ("report", "ANALYST", "-", "2099-01-01T00:00:00Z", "ACTIVE")
    assert last_used == "-" or last_used.endswith("Z")  # written within a second of its use, by the API process

    rotated = await cli(api, "rotate", key_id, "--grace", "0")
    assert rotated.returncode == 0, rotated.stderr
    new_secret = rotated.stdout.strip().splitlines()[-1]
    assert new_secret.startswith("oms_") and new_secret != secret
    await refused_within(api.client, secret, 5)
    assert await answers(api.client, new_secret) == 200
    listed = await cli(api, "list")
    new_id = next(line.split("\t")[0] for line in listed.stdout.splitlines() if line.split("\t")[0] != key_id)
    assert (await cli(api, "revoke", new_id)).returncode == 0
    await refused_within(api.client, new_secret, 5)
    listed = await cli(api, "list")
    statuses = sorted(line.split("\t")[-1] for line in listed.stdout.strip().splitlines())
    assert statuses == ["EXPIRED", "REVOKED"]
    async with api.db.read() as session:
        trail = await audit.entries(session, first=10, before_id=None, where=audit.Filter(entity="ApiKey"))
    assert {e.actor for e in trail} == {"cli"} and trail[0].after["revokedAt"] is not None  # type: ignore[index]
    too_long = await cli(api, "rotate", new_id, "--grace", "100000000000000")
    assert too_long.returncode == 2 and "INVALID_INPUT (graceSeconds)" in too_long.stderr
    wrong = await cli(api, "revoke", "not-a-key")
    assert wrong.returncode == 2 and "NOT_FOUND" in wrong.stderr


async def test_a_websocket_connection_init_with_the_database_down_is_closed_as_unavailable():
    from oms_graph.app import create_app
    from oms_graph.config import Settings
    from oms_graph.db.engine import create_database
    from tests.conftest import serving

    away = create_database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none")
    settings = Settings(database_url=str(away.engine.url), background=False)
    try:
        async with serving(create_app(settings, db=away)) as base:
            ws = await websockets.connect(ws_url(base), subprotocols=[PROTOCOL])
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": "Bearer oms_any"}}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
    finally:
        await away.dispose()
    assert closed.value.rcvd.code == 4503
    assert closed.value.rcvd.reason.startswith("UNAVAILABLE")


async def test_a_subscription_ends_when_its_key_expires(api):
    async with api.db.write() as session:
        _, secret = await auth.create_api_key(
            session, role=Role.ANALYST, name="brief", expires_at=utcnow() + timedelta(seconds=1.5)
        )
    base = str(api.client.base_url).rstrip("/")
    live = await Live.connect(base, secret)
    await live.subscribe("subscription { orderEvents { id } }")
    started = time.monotonic()
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await live.next(wait=5)
    assert closed.value.rcvd.code == 4403
    assert 1.0 < time.monotonic() - started < 4.0  # at its expiry, seen by the next look (each second)
