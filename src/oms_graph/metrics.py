"""Prometheus metrics: GraphQL operations by root fields, and HTTP requests."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Iterator

from graphql import FieldNode, OperationDefinitionNode
from prometheus_client import Counter, Gauge, Histogram
from strawberry.extensions import SchemaExtension

OPERATIONS = Counter(
    "oms_graphql_operations_total", "GraphQL operations by root fields and outcome", ["operation", "outcome"]
)
OPERATION_SECONDS = Histogram(
    "oms_graphql_operation_seconds",
    "GraphQL operation latency by root fields",
    ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
FEEDS = Gauge("oms_subscription_feeds", "Shared subscription feeds running (one execution per event each)")
FEED_MEMBERS = Gauge("oms_subscription_feed_members", "Subscriptions served by a shared feed")
HTTP_REQUESTS = Counter("oms_http_requests_total", "HTTP requests by path and status", ["path", "status"])


def operation_label(document, operation_name: str | None) -> str:  # type: ignore[no-untyped-def]
    """e.g. `mutation:setStockLevels`: bounded by the schema, unlike client-chosen operation names."""
    if document is None:
        return "invalid"
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None or (definition.name and definition.name.value == operation_name)
        ):
            fields = sorted({s.name.value for s in definition.selection_set.selections if isinstance(s, FieldNode)})
            return f"{definition.operation.value}:{','.join(fields[:5]) or '-'}"
    return "invalid"


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        ctx = self.execution_context
        label = operation_label(ctx.graphql_document, ctx.operation_name)
        result = ctx.result
        outcome = "error" if result is None or getattr(result, "errors", None) else "ok"
        OPERATIONS.labels(label, outcome).inc()
        OPERATION_SECONDS.labels(label).observe(time.perf_counter() - started)


class CountRequests:
    """ASGI middleware counting HTTP responses by path and status."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app

    def __call__(self, scope, receive, send) -> Awaitable[None]:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":  # the app's own awaitable: a WebSocket keeps no frame of this alive
            return self.app(scope, receive, send)  # type: ignore[no-any-return]
        return self._http(scope, receive, send)

    async def _http(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        path = scope["path"] if scope["path"] in KNOWN_PATHS else "other"

        async def counting_send(message) -> None:  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                HTTP_REQUESTS.labels(path, str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, counting_send)


KNOWN_PATHS = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})
