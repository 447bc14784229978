"""The Dramatiq broker: Redis or RabbitMQ from OMS_BROKER_URL, in-process when embedded."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware.asyncio import AsyncIO


def build_broker(url: str | None) -> dramatiq.Broker:
    """Retries with backoff, time and age limits come with every broker; async actors need AsyncIO."""
    broker: dramatiq.Broker
    if url is None:
        # Embedded: the serve process runs a worker on this broker itself.
        broker = StubBroker()
    elif url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=url)
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url)
    else:
        raise ValueError(f"OMS_BROKER_URL must start with redis:// or amqp:// (got {url!r})")
    broker.add_middleware(AsyncIO())
    return broker
