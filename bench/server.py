"""`oms-graph serve` in its own process, for benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
from tests.conftest import free_port


def start_server(url: str, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    """Start the API on `url`'s database and wait until it is ready; (process, base URL)."""
    port = free_port()
    # Placement alone: no background routing competing for the two cores.
    env = {**os.environ, "OMS_DATABASE_URL": url, "OMS_LOG_LEVEL": "warning", "OMS_BACKGROUND": "false"}
    command = [sys.executable, "-m", "oms_graph.cli", "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")
