"""The schedule sends its sweep every interval until stopped, and a broker hiccup does not end it."""

from __future__ import annotations

import asyncio

from oms_graph.tasks.runtime import every


async def test_the_sweep_is_sent_every_interval_until_stopped_and_survives_a_failing_send():
    sent: list[int] = []
    four = asyncio.Event()

    def send() -> None:
        sent.append(1)
        if len(sent) == 4:
            four.set()
        if len(sent) == 2:
            raise ConnectionError("broker away")

    stop = asyncio.Event()
    task = asyncio.create_task(every(0.02, send, stop))
    await asyncio.wait_for(four.wait(), timeout=5)
    stop.set()
    await asyncio.wait_for(task, timeout=1)
    count = len(sent)
    await asyncio.sleep(0.05)
    assert count >= 4 and len(sent) == count  # nothing after the stop
