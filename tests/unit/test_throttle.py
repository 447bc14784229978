"""The leaky bucket's arithmetic, and the buckets kept in a process."""

from __future__ import annotations

import uuid

import pytest

from oms_graph.api.throttle import ProcessBuckets, take


def test_a_cost_that_fits_fills_the_bucket_and_one_that_does_not_says_how_long_to_wait() -> None:
    level, taken = take(0.0, 0.0, cost=20, capacity=30, rate=1.5)
    assert (level, taken.allowed, taken.available) == (20.0, True, 10.0)
    level, taken = take(level, 0.0, cost=20, capacity=30, rate=1.5)
    assert (level, taken.allowed, taken.available) == (20.0, False, 10.0)
    assert taken.retry_after == pytest.approx(10 / 1.5)  # until 10 more points drained


def test_the_bucket_drains_with_time_but_never_below_empty() -> None:
    level, taken = take(20.0, 4.0, cost=10, capacity=30, rate=1.5)  # 20 - 6 + 10
    assert level == pytest.approx(24.0) and taken.allowed
    level, _ = take(5.0, 100.0, cost=1, capacity=30, rate=1.5)
    assert level == 1.0


async def test_process_buckets_are_one_per_key() -> None:
    buckets, a, b = ProcessBuckets(), uuid.uuid4(), uuid.uuid4()
    assert (await buckets.take(a, cost=30, capacity=30, rate=0.001)).allowed
    assert not (await buckets.take(a, cost=1, capacity=30, rate=0.001)).allowed
    assert (await buckets.take(b, cost=30, capacity=30, rate=0.001)).allowed
