"""The console's budgets, printed as a table. Run on demand, after the console is built (scripts/demo or
scripts/test build it):

    .venv/bin/python bench/console.py [--loads 20] [--events 30]

A real `oms-graph serve` (embedded, the demo chain) and Debian's Chromium driven by Playwright, on loopback:
- JavaScript and CSS of the first screen, raw and gzip-compressed (budget: 250 KB compressed);
- the first load of /console/ in a fresh browser context, to the sign-in form shown (budget: 1 s);
- an order placed through the API to its ORDER_PLACED row in the live feed (budget: 1 s), measured from
  placeOrder's answer (after its commit) to the row in the page, seen by a MutationObserver in the page.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import BUILT, CHROMIUM, FLAGS, _serve  # noqa: E402

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { number } errors { message } } }"""


def sizes() -> list[tuple[str, int, int]]:
    html = (BUILT / "index.html").read_text()
    assets = re.findall(r'(?:src|href)="/console/([^"]+\.(?:js|css))"', html)
    return [(a, len(b := (BUILT / a).read_bytes()), len(gzip.compress(b, 9))) for a in assets]


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def measure(base: str, keys: dict[str, str], loads: int, events: int) -> tuple[list[float], list[float]]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        first: list[float] = []
        for _ in range(loads):
            context = await browser.new_context()
            page = await context.new_page()
            started = time.perf_counter()
            await page.goto(f"{base}/console/")
            await page.get_by_label("API key").wait_for()
            first.append((time.perf_counter() - started) * 1000)
            await context.close()
        page = await (await browser.new_context()).new_page()
        await page.goto(f"{base}/console/")
        await page.get_by_label("API key").fill(keys["ADMIN"])
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_text("Live", exact=True).wait_for()
        await page.evaluate(
            """() => { window.seen = {}; new MutationObserver(() => {
                 for (const a of document.querySelectorAll('table.feed a'))
                   window.seen[a.textContent] ??= performance.now();
               }).observe(document.body, {childList: true, subtree: true}); }"""
        )
        latencies: list[float] = []
        async with httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {keys['STOREFRONT']}"}) as http:
            for _ in range(events):
                order = {
                    "channel": "web",
                    "idempotencyKey": uuid.uuid4().hex,
                    "customer": {"email": "bench@example.com"},
                    "lines": [{"sku": "APP-0001", "quantity": 1, "unitPrice": "9.99"}],
                    "delivery": {"method": "DELIVERY", "address": {"line1": "A 1", "city": "Berlin", "country": "DE"}},
                    "payment": {"method": "PREPAID"},
                }
                answer = (await http.post("/graphql", json={"query": PLACE, "variables": {"input": order}})).json()
                answered = await page.evaluate("() => performance.now()")
                number = answer["data"]["placeOrder"]["order"]["number"]
                await page.wait_for_function("n => window.seen[n] !== undefined", arg=number)
                latencies.append(max(0.0, await page.evaluate("n => window.seen[n]", number) - answered))
                await asyncio.sleep(0.2)
        await browser.close()
    return first, latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--events", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        process, served = _serve(f"sqlite+aiosqlite:///{folder}/oms.db", Path(folder), migrate=False)
        try:
            first, latencies = asyncio.run(measure(served.base, served.keys, args.loads, args.events))
        finally:
            process.terminate()
            process.wait(timeout=20)
    print("| first screen asset | bytes | gzip bytes |\n| --- | --- | --- |")
    rows = sizes()
    for name, raw, packed in rows:
        print(f"| {name} | {raw:,} | {packed:,} |")
    print(f"| in all (budget 256,000 compressed) | {sum(r[1] for r in rows):,} | {sum(r[2] for r in rows):,} |")
    print("\n| measure | runs | p50 ms | p95 ms | max ms | budget ms |\n| --- | --- | --- | --- | --- | --- |")
    print(
        f"| first load to the sign-in form | {len(first)} | {p(first, 50):.0f} | {p(first, 95):.0f} | "
        f"{max(first):.0f} | 1000 |"
    )
    print(
        f"| placeOrder answered to the row in the feed | {len(latencies)} | {p(latencies, 50):.0f} | "
        f"{p(latencies, 95):.0f} | {max(latencies):.0f} | 1000 |"
    )


if __name__ == "__main__":
    main()
