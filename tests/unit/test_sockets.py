"""GraphQL WebSockets skip the router (api/sockets.py); everything else takes it."""

from __future__ import annotations

from typing import Any

import pytest

from oms_graph.api.sockets import SocketsToView


def recorder(name: str, seen: list[str]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(name)

    return app


@pytest.mark.parametrize(
    ("scope", "goes_to"),
    [
        ({"type": "websocket", "path": "/graphql"}, "view"),
        ({"type": "websocket", "path": "/api/graphql", "root_path": "/api"}, "view"),
        ({"type": "websocket", "path": "/graphql/other"}, "router"),
        ({"type": "websocket", "path": "/elsewhere"}, "router"),
        ({"type": "http", "path": "/graphql"}, "router"),
        ({"type": "lifespan"}, "router"),
    ],
)
async def test_a_graphql_socket_goes_straight_to_the_view(scope: dict[str, Any], goes_to: str) -> None:
    seen: list[str] = []
    app = SocketsToView(recorder("router", seen), view=recorder("view", seen), path="/graphql")
    await app(scope, None, None)
    assert seen == [goes_to]
