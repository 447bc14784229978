"""Outbound calls from a worker: its session is closed while its event loop still runs when it stops."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import dramatiq

from oms_graph.adapters import outbound
from oms_graph.tasks.broker import build_broker
from tests.fakes.receiver import FakeReceiver


def test_a_stopping_worker_closes_the_session_its_actors_posted_through() -> None:
    receiver = FakeReceiver().start()
    broker = build_broker(None)
    seen: dict[str, Any] = {}
    posted = threading.Event()

    @dramatiq.actor(broker=broker, actor_name="test.outbound_post", max_retries=0)
    async def post(url: str) -> None:
        answer = await outbound.send("POST", url, attempts=1, backoff=0, try_seconds=5, content=b"{}")
        seen["status"], seen["session"] = answer.status_code, outbound._sessions[asyncio.get_running_loop()]
        posted.set()

    worker = dramatiq.Worker(broker, worker_threads=1)
    worker.start()
    try:
        post.send(receiver.url)
        assert posted.wait(10)
        assert not seen["session"].closed  # kept for the next call while the worker runs
    finally:
        worker.stop()
        receiver.stop()
    assert seen["status"] == 200 and seen["session"].closed
    assert seen["session"] not in outbound._sessions.values()
