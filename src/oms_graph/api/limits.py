"""What a request may be before anything runs: its body size, the shape of its query, introspection.

Depth, aliases, tokens and cost are checked by strawberry extensions (api/schema.py, api/cost.py), page
sizes by the connections (api/pagination.py). Introspection (and so GraphiQL) is off unless enabled:
on by default only when embedded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Iterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule, validate
from strawberry.extensions import SchemaExtension

MAX_DEPTH = 12
MAX_ALIASES = 15
MAX_TOKENS = 2000


class IntrospectionGate(SchemaExtension):
    """Refuses `__schema` and `__type` where the process's settings turn introspection off (where it also
    answers without suggestions: `unsuggested`, in the view)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        settings = getattr(context.context, "settings", None)
        query = context.query or ""
        asks = "__schema" in query or ("__type" in query and "__type" in query.replace("__typename", ""))
        if asks and settings is not None and not settings.introspection_enabled and context.graphql_document:
            errors = validate(context.schema._schema, context.graphql_document, [NoSchemaIntrospectionCustomRule])
            if errors:
                refused = [
                    GraphQLError(e.message + " (introspection is off here)", extensions={"code": "INTROSPECTION_OFF"})
                    for e in errors
                ]
                context.result = GraphQLExecutionResult(data=None, errors=refused)
        yield


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def unsuggested(answer: dict[str, Any]) -> None:
    """Take the "Did you mean …?" out of the answer's error messages: where introspection is off, a misspelt
    name must not be told the names near it (they would rebuild the schema piece by piece)."""
    for error in answer.get("errors") or []:
        error["message"] = _SUGGESTION.sub("", error["message"])


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a request body over `limit` bytes (or the limit of its path's prefix, in `paths`) is
    answered 413 before it is all read."""

    def __init__(self, app: Any, limit: int, paths: dict[str, int] | None = None) -> None:
        self.app, self.default, self.paths = app, limit, paths or {}

    def __call__(self, scope: Any, receive: Any, send: Any) -> Awaitable[None]:
        if scope["type"] != "http":  # the app's own awaitable: a WebSocket keeps no frame of this alive
            return self.app(scope, receive, send)  # type: ignore[no-any-return]
        return self._http(scope, receive, send)

    async def _http(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        limit = next((n for prefix, n in self.paths.items() if path.startswith(prefix)), self.default)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        seen, started = 0, False

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
            return message

        async def sending(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, limit)

    async def _refuse(self, send: Any, limit: int) -> None:
        body = json.dumps(
            {"errors": [{"message": f"request body over {limit} bytes", "extensions": {"code": "BODY_TOO_LARGE"}}]}
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
