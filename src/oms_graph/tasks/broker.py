"""The Dramatiq broker: Redis or RabbitMQ from OMS_BROKER_URL, in-process when embedded."""

from __future__ import annotations

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.broker import MessageProxy
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware
from dramatiq.middleware.asyncio import AsyncIO

from oms_graph.adapters import outbound
from oms_graph.logs import WORK


class MessageIds(Middleware):
    """Log lines written while a worker runs a message carry the message's id."""

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        WORK.set(("message_id", message.message_id))

    def after_process_message(
        self, broker: dramatiq.Broker, message: MessageProxy, *, result: object = None, exception: object = None
    ) -> None:
        WORK.set(None)

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        WORK.set(None)


class ClosesConnections(Middleware):
    """A stopping worker closes its outbound connections while its event loop still runs (added after
    AsyncIO, it hears worker_shutdown's "after" first)."""

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is not None:
            loop_thread.run_coroutine(outbound.close())


def build_broker(url: str | None, *, heartbeat_ms: int = 60_000, maintenance_chance: int = 10_000) -> dramatiq.Broker:
    """Retries with backoff, time and age limits come with every broker; async actors need AsyncIO."""
    broker: dramatiq.Broker
    if url is None:
        # Embedded: the serve process runs a worker on this broker itself.
        broker = StubBroker()
    elif url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        # A killed worker's unfinished messages are handed on once its heartbeat is older than heartbeat_ms.
        broker = RedisBroker(url=url, heartbeat_timeout=heartbeat_ms, maintenance_chance=maintenance_chance)
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url)
    else:
        raise ValueError(f"OMS_BROKER_URL must start with redis:// or amqp:// (got {url!r})")
    broker.add_middleware(AsyncIO())
    broker.add_middleware(MessageIds())
    broker.add_middleware(ClosesConnections())
    return broker


async def broker_reachable(url: str, wait_seconds: float = 1.0) -> bool:
    """Whether the broker's host accepts a connection (what /readyz asks)."""
    import asyncio
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    port = parts.port or (6379 if parts.scheme.startswith("redis") else 5672)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname or "127.0.0.1", port), wait_seconds)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True
