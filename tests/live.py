"""A graphql-transport-ws client over a real WebSocket, for the subscription tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets

PROTOCOL = "graphql-transport-ws"


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://").rstrip("/") + "/graphql"


def text_frame(frame: str | bytes) -> str:
    """graphql-transport-ws sends each message as JSON in a text frame (a browser client reads no other)."""
    assert isinstance(frame, str), f"a binary frame: {frame[:80]!r}"
    return frame


class Live:
    """One connection, initialised with a key; subscriptions by id; messages read with a timeout."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.count = 0

    @classmethod
    async def connect(cls, base: str, key: str) -> Live:
        ws = await websockets.connect(ws_url(base), subprotocols=[PROTOCOL])
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}}))
        ack = json.loads(text_frame(await asyncio.wait_for(ws.recv(), 10)))
        assert ack["type"] == "connection_ack", ack
        return cls(ws)

    async def subscribe(self, query: str, **variables: Any) -> str:
        self.count += 1
        sid = str(self.count)
        payload = {"query": query, "variables": variables}
        await self.ws.send(json.dumps({"type": "subscribe", "id": sid, "payload": payload}))
        return sid

    async def next(self, wait: float = 10) -> dict[str, Any]:
        """The next message (skipping pings)."""
        while True:
            message = json.loads(text_frame(await asyncio.wait_for(self.ws.recv(), wait)))
            if message["type"] == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            return message

    async def data(self, wait: float = 10) -> dict[str, Any]:
        """The data of the next result (past the `complete` of subscriptions that ended)."""
        message = await self.next(wait)
        while message["type"] == "complete":
            message = await self.next(wait)
        assert message["type"] == "next" and not message["payload"].get("errors"), message
        return message["payload"]["data"]

    async def close(self) -> None:
        await self.ws.close()


def errors_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A subscription's errors: an `error` message (refused before it started) or a `next` carrying them."""
    if message["type"] == "error":
        return list(message["payload"])
    assert message["type"] == "next", message
    return list(message["payload"].get("errors") or [])
