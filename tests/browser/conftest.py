"""The console in real headless Chromium (Debian's, driven by Playwright) against a real `oms-graph serve`
with the demo chain and a short history, on each backend. Screenshots go to OMS_ARTEFACTS (default
.artefacts/console)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.conftest import BACKENDS, drop_postgres_database, free_port, new_database_url

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / "src" / "oms_graph" / "console"
AXE = ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTEFACTS = Path(os.environ.get("OMS_ARTEFACTS", ROOT / ".artefacts" / "console"))
# As the machine page says: no background networking, so Chromium asks nothing of the closed network.
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _why_not() -> str | None:
    if not (BUILT / "index.html").is_file():
        return "the console is not built (scripts/console.sh: npm ci && npm run build in console/)"
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (scripts/test installs it)"
    return None


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMS_")}
    return {**env, "OMS_DATABASE_URL": url, **extra}


def _cli(*args: str, env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "oms_graph.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class Served:
    """The running server: its base URL and the demo's keys by role."""

    def __init__(self, base: str, keys: dict[str, str]) -> None:
        self.base = base
        self.keys = keys

    def graphql(self, role: str, query: str, **variables: Any) -> dict[str, Any]:
        body = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {self.keys[role]}"},
            timeout=30,
        ).json()
        assert not body.get("errors"), body["errors"]
        return body["data"]


def _serve(url: str, folder: Path, *, migrate: bool) -> tuple[subprocess.Popen[bytes], Served]:
    """Seed the demo chain with a week of history into the database and serve it; the process and the keys."""
    env = _env(url, OMS_CONSOLE="true", OMS_API_KEY_CACHE_SECONDS="0")
    if migrate:
        _cli("migrate", env=env, cwd=folder)
    seeded = _cli("seed", "--demo", "--history", "40", "--days", "7", env=env, cwd=folder)
    keys = {line.split()[0]: line.rsplit(" ", 1)[1] for line in seeded.splitlines() if " key" in line}
    port = free_port()
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "oms_graph.cli", "serve", "--port", str(port)],
        env=env,
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return process, Served(base, keys)
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"server did not start: {(folder / 'serve.log').read_text()}")
        time.sleep(0.1)


@pytest.fixture(scope="module", params=BACKENDS)
async def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    why = _why_not()
    if why:
        pytest.skip(why)
    folder = tmp_path_factory.mktemp("console")
    url = await new_database_url(request.param, folder)
    process, served = _serve(url, folder, migrate=request.param == "postgresql")
    yield served
    process.terminate()
    process.wait(timeout=20)
    if request.param == "postgresql":
        await drop_postgres_database(url)


@pytest.fixture(scope="module")
async def browser(served: Served) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    opened = await context.new_page()
    yield opened
    await context.close()


@pytest.fixture(scope="session")
def artefacts() -> Iterator[Path]:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    yield ARTEFACTS


async def sign_in(page: Page, served: Served, role: str, *, screen: str = "") -> None:
    await page.goto(f"{served.base}/console/{'#/' + screen if screen else ''}")
    await page.get_by_label("API key").fill(served.keys[role])
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("button", name="Sign out").wait_for()


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of serious or critical impact on the page as it is."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => (await window.axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
