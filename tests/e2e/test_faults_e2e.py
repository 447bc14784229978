"""The load and fault harness (bench/faults.py), short: under a mixed load on two API processes and two
workers (PostgreSQL, Redis), one worker and one API process are killed (-9) and PostgreSQL is restarted;
afterwards nothing accepted is lost or doubled, no unit is oversold, every event reached the webhook sink
and every subscriber, and the logs are JSON without keys. The full run is `bench/faults.py`."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.faults import Plan, run, table

from tests.conftest import REDIS_URL, redis_available


async def test_a_minute_of_load_with_a_kill_of_each_kind_and_a_postgres_restart_loses_nothing(tmp_path: Path):
    if not redis_available():
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    plan = Plan(seconds=45, kills=1, restart_postgres=True, shoppers=6, subscribers=2, drain_seconds=120)
    report = await run(plan, tmp_path)
    print(table(report))
    assert [line.split()[2] for line in report.faults] == ["worker", "postgres", "api"]
    assert report.accepted >= 30, "the load placed next to no orders"
    assert report.stats.latencies["shipFulfilment"], "no parcel left: the tablets did not work their queues"
    assert len(report.checks) == 6
    assert {name: problems for name, problems in report.checks.items() if problems} == {}
