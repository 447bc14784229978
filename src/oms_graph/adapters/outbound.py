"""Calls to services outside the machine (carriers, payment gateways): retried on timeouts and 5xx."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import httpx

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()


def _client() -> httpx.AsyncClient:
    """This event loop's client: making one costs ~50 ms of CPU (its TLS context), so each loop (a worker
    process's, or a test's) keeps its own, with its connections kept alive between calls."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = _clients[loop] = httpx.AsyncClient()
    return client


class Unreachable(Exception):
    """Every attempt timed out, could not connect, or got a 5xx; the message says what the last did,
    `status` is the last 5xx (None when no answer came)."""

    def __init__(self, problem: str, status: int | None = None) -> None:
        super().__init__(problem)
        self.status = status


async def send(
    method: str, url: str, *, attempts: int, backoff: float, try_seconds: float, **arguments: Any
) -> httpx.Response:
    """The service's answer, after up to `attempts` tries of `try_seconds` each, with exponential backoff
    between them. Answers below 500 are returned as they are (the caller judges a 4xx); Unreachable when no
    try got one."""
    problem, status = "", None
    for attempt in range(attempts):
        if attempt:
            await asyncio.sleep(backoff * 2 ** (attempt - 1))
        try:
            answer = await _client().request(method, url, timeout=try_seconds, **arguments)
        except httpx.TransportError as error:  # timeouts, refused connections
            problem, status = f"{type(error).__name__}: {error}", None
            continue
        if answer.status_code >= 500:
            problem, status = f"HTTP {answer.status_code}", answer.status_code
            continue
        return answer
    raise Unreachable(problem, status)
