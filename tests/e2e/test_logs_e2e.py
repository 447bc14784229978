"""`oms-graph serve` writes JSON log lines that carry the request id, and never an API key."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import BACKENDS, drop_postgres_database, free_port, new_database_url
from tests.e2e.test_background_e2e import seed, wait_ready
from tests.e2e.test_embedded_server import clean_env, cli

QUERY = {"query": "{ channels { code } }"}
WRONG_KEY = "oms_thisKeyWasNeverIssuedToAnyoneAtAll000000"


def serve_and_ask(cwd: Path, env: dict[str, str], key: str) -> tuple[list[httpx.Response], str]:
    """Three requests to a served API; their answers and everything the server wrote."""
    port = free_port()
    log_file = cwd / "serve.log"
    with log_file.open("wb") as log:
        command = [sys.executable, "-m", "oms_graph.cli", "serve", "--port", str(port)]
        server = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server)
        with httpx.Client(base_url=base) as client:
            answers = [
                client.post("/graphql", json=QUERY, headers={"authorization": f"Bearer {key}", "x-request-id": id_})
                for id_ in ("trace-42", "two words")
            ]
            answers.append(client.post("/graphql", json=QUERY, headers={"authorization": f"Bearer {WRONG_KEY}"}))
    finally:
        server.terminate()
        server.wait(timeout=15)
    return answers, log_file.read_text()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_every_log_line_is_json_with_the_request_id_and_no_key(backend, tmp_path: Path):
    url = await new_database_url(backend, tmp_path)
    # An unreachable rate limiter makes each request log a warning of its own.
    env = clean_env(OMS_DATABASE_URL=url, OMS_RATE_LIMIT_URL="redis://127.0.0.1:1/0", OMS_LOG_LEVEL="info")
    try:
        assert cli("migrate", cwd=tmp_path, env=env).returncode == 0
        key = seed(tmp_path, env)
        (traced, renamed, refused), text = await asyncio.to_thread(serve_and_ask, tmp_path, env, key)
    finally:
        if backend == "postgresql":
            await drop_postgres_database(url)

    assert traced.status_code == 200 and traced.json()["data"]["channels"]
    assert traced.headers["x-request-id"] == "trace-42"
    assert renamed.headers["x-request-id"] != "two words" and len(renamed.headers["x-request-id"]) == 16
    assert refused.status_code == 401

    assert key not in text and WRONG_KEY not in text
    entries = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    access = {e["request_id"]: e for e in entries if e["logger"] == "uvicorn.access"}
    for answer in (traced, refused, renamed):
        line = access[answer.headers["x-request-id"]]
        assert (line["method"], line["path"], line["status"]) == ("POST", "/graphql", answer.status_code)
    warnings = [e for e in entries if "rate limiter unavailable" in e["message"]]
    assert {e["request_id"] for e in warnings} == {"trace-42", renamed.headers["x-request-id"]}
    assert all("ConnectionError" in e["error"] for e in warnings)
