"""Rate limiting per API key: a leaky bucket of query cost points.

Each key's bucket holds up to its role's capacity (OMS_RATE_LIMITS) and drains at a twentieth of it per
second. A query adds its estimated cost (api/cost.py); one that would overflow the bucket is refused with
THROTTLED and how long to wait, and nothing runs. Buckets live in Redis when OMS_RATE_LIMIT_URL is set
(one Lua script per request, so every API process shares them), else in the process.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

DRAIN_SHARE_PER_SECOND = 1 / 20


@dataclass(frozen=True)
class Taken:
    allowed: bool
    available: float
    retry_after: float  # seconds until the cost would fit; 0 when allowed


def take(level: float, elapsed: float, *, cost: int, capacity: int, rate: float) -> tuple[float, Taken]:
    """The bucket after `elapsed` seconds of draining and, if it fits, this cost: (new level, answer)."""
    level = max(0.0, level - elapsed * rate)
    if level + cost > capacity:
        wait = (level + cost - capacity) / rate if rate > 0 else math.inf
        return level, Taken(False, capacity - level, wait)
    return level + cost, Taken(True, capacity - level - cost, 0.0)


class Buckets(Protocol):
    async def take(self, key_id: uuid.UUID, *, cost: int, capacity: int, rate: float) -> Taken: ...


class ProcessBuckets:
    """Buckets in this process (embedded: the one process there is)."""

    def __init__(self) -> None:
        self.levels: dict[uuid.UUID, tuple[float, float]] = {}

    async def take(self, key_id: uuid.UUID, *, cost: int, capacity: int, rate: float) -> Taken:
        now = time.monotonic()
        level, at = self.levels.get(key_id, (0.0, now))
        level, taken = take(level, now - at, cost=cost, capacity=capacity, rate=rate)
        self.levels[key_id] = (level, now)
        return taken


# The same arithmetic as take(), atomic in Redis, on Redis's clock.
TAKE_SCRIPT = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local cost, capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local found = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = math.max(0, (tonumber(found[1]) or 0) - (now - (tonumber(found[2]) or now)) * rate)
local allowed = 0
if level + cost <= capacity then
  level = level + cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return {allowed, tostring(level)}
"""


class RedisBuckets:
    """Buckets every API process shares, in Redis."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        # A limiter that stops answering must not hold requests: past a second, cost.py lets them through.
        self.redis = Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.script = self.redis.register_script(TAKE_SCRIPT)

    async def take(self, key_id: uuid.UUID, *, cost: int, capacity: int, rate: float) -> Taken:
        allowed, level_text = await self.script(keys=[f"oms:bucket:{key_id}"], args=[cost, capacity, rate])
        level = float(level_text)
        if allowed:
            return Taken(True, capacity - level, 0.0)
        return Taken(False, capacity - level, (level + cost - capacity) / rate)

    async def close(self) -> None:
        await self.redis.aclose()


def buckets_for(url: str | None) -> ProcessBuckets | RedisBuckets:
    return RedisBuckets(url) if url else ProcessBuckets()
