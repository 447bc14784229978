"""Calls to services outside the machine (carriers, payment gateways, webhook receivers): retried on
timeouts and 5xx.

aiohttp carries them: a POST on a kept-alive connection costs it about a quarter of what httpx spends
(measured: 0.23-0.27 against 1.08-1.20 ms of CPU), and webhook POSTs are the workers' largest cost."""

from __future__ import annotations

import asyncio
import json as jsonlib
from dataclasses import dataclass
from typing import Any

import aiohttp

_sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


def _session() -> aiohttp.ClientSession:
    """This event loop's session, with its connections kept alive between calls: each loop (a worker
    process's, or the tests') keeps its own. `close()` ends it; sessions of loops closed since are dropped
    when a new one is made."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        for ended in [other for other in _sessions if other.is_closed()]:
            del _sessions[ended]
        session = _sessions[loop] = aiohttp.ClientSession()
    return session


async def close() -> None:
    """Close this event loop's session and its connections (a worker that stops, the end of the tests): a
    session left open is reported as unclosed when it is collected."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()


@dataclass(frozen=True)
class Answer:
    """A service's answer, read whole."""

    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return jsonlib.loads(self.content)


class Unreachable(Exception):
    """Every attempt timed out, could not connect, or got a 5xx; the message says what the last did,
    `status` is the last 5xx (None when no answer came)."""

    def __init__(self, problem: str, status: int | None = None) -> None:
        super().__init__(problem)
        self.status = status


async def send(
    method: str,
    url: str,
    *,
    attempts: int,
    backoff: float,
    try_seconds: float,
    json: Any = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """The service's answer, after up to `attempts` tries of `try_seconds` each, with exponential backoff
    between them. Answers below 500 are returned as they are (the caller judges a 4xx); Unreachable when no
    try got one."""
    problem, status = "", None
    timeout = aiohttp.ClientTimeout(total=try_seconds)
    for attempt in range(attempts):
        if attempt:
            await asyncio.sleep(backoff * 2 ** (attempt - 1))
        try:
            async with _session().request(
                method, url, json=json, data=content, headers=headers, timeout=timeout
            ) as response:
                answer = Answer(response.status, await response.read())
        except TimeoutError:
            problem, status = f"timed out after {try_seconds:g} s", None
            continue
        except aiohttp.ClientError as error:  # refused or broken connections, a malformed answer
            problem, status = f"{type(error).__name__}: {error}", None
            continue
        if answer.status_code >= 500:
            problem, status = f"HTTP {answer.status_code}", answer.status_code
            continue
        return answer
    raise Unreachable(problem, status)
