"""GraphQL over a real WebSocket with the graphql-transport-ws protocol; the key comes with connection_init."""

from __future__ import annotations

import json

import pytest
import websockets

from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import UPSERT_CHANNELS, channel

PROTOCOL = "graphql-transport-ws"


def ws_url(api) -> str:  # type: ignore[no-untyped-def]
    return str(api.client.base_url).replace("http://", "ws://").rstrip("/") + "/graphql"


async def test_an_operation_over_websocket_with_the_key_in_connection_init(api):
    key = await make_key(api.db, Role.ADMIN)
    await api.data(key, UPSERT_CHANNELS, {"input": [channel("web")]})
    async with websockets.connect(ws_url(api), subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": "{ channels { code } }"}}))
        message = json.loads(await ws.recv())
        assert (message["type"], message["id"]) == ("next", "1")
        assert message["payload"]["data"] == {"channels": [{"code": "web"}]}
        assert json.loads(await ws.recv()) == {"type": "complete", "id": "1"}


async def test_the_key_may_come_as_a_header_on_the_upgrade(api):
    key = await make_key(api.db, Role.ANALYST)
    async with websockets.connect(
        ws_url(api), subprotocols=[PROTOCOL], additional_headers={"authorization": f"Bearer {key}"}
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"


@pytest.mark.parametrize("payload", [{}, {"authorization": "Bearer oms_wrong"}], ids=["no key", "wrong key"])
async def test_a_websocket_without_a_valid_key_is_closed(api, payload):
    async with websockets.connect(ws_url(api), subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code in (4401, 4403)


async def test_role_rules_hold_over_websocket(api):
    key = await make_key(api.db, Role.ANALYST)
    async with websockets.connect(ws_url(api), subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}}))
        await ws.recv()
        mutation = "mutation { upsertChannels(input: []) { errors { code } } }"
        await ws.send(json.dumps({"type": "subscribe", "id": "m", "payload": {"query": mutation}}))
        message = json.loads(await ws.recv())
    assert message["payload"]["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
