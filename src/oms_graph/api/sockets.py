"""WebSockets to the GraphQL endpoint, straight to the view."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any


class SocketsToView:
    """ASGI middleware, innermost: a WebSocket on `path` goes straight to the GraphQL view.

    A subscriber's connection lives for hours, and every ASGI layer it passes keeps a frame alive for it.
    Starlette's exception middleware and router add five (about 2.4 KB a connection) and do nothing for a
    GraphQL socket: the view answers every error on the socket itself. Other sockets and all HTTP requests
    take the router as before.
    """

    def __init__(self, app: Any, view: Any, path: str) -> None:
        self.app, self.view, self.path = app, view, path

    def __call__(self, scope: Any, receive: Any, send: Any) -> Awaitable[None]:
        if scope["type"] == "websocket" and scope["path"][len(scope.get("root_path", "")) :] == self.path:
            return self.view(scope, receive, send)  # type: ignore[no-any-return]
        return self.app(scope, receive, send)  # type: ignore[no-any-return]
