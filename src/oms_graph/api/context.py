"""What every resolver gets: the database, the caller, the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from oms_graph.config import Settings
from oms_graph.db.engine import Database
from oms_graph.domain.access import Principal


@dataclass
class Context:
    request: Request | WebSocket
    db: Database
    settings: Settings
    principal: Principal | None = None
    # The read replica (OMS_READ_DATABASE_URL) for heavy reads, when there is one.
    read_db: Database | None = None
    # Set by strawberry from the graphql-transport-ws connection_init payload.
    connection_params: dict[str, Any] | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    # Called after a command commits: wakes the outbox relay and the event sequencer.
    after_commit: Callable[[], None] | None = None
    # The process's event hub and stock watch (events/stream.py), for subscriptions.
    hub: Any = None
    stock_watch: Any = None
    availability_feed: Any = None  # events/availability_feed.py
    # The rate limiter's buckets (api/throttle.py).
    buckets: Any = None
    # The id of the last event a subscription's stream handed on (a shared feed tells its members).
    followed: int | None = None
    # A WebSocket connection's: stop watching its key (`KeyRing.hold`), when it ends.
    let_go: Callable[[], None] | None = None

    @property
    def actor(self) -> str | None:
        return self.principal.name if self.principal else None

    @property
    def caller(self) -> Principal:
        """The authenticated principal; the view rejects requests without one."""
        assert self.principal is not None
        return self.principal


Info = StrawberryInfo[Context, None]
