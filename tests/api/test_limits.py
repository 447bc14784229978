"""Limits a query meets before it runs: depth, aliases, tokens, cost, introspection, batching, body size.
Each is checked just under (it runs) and just over (it is refused with a clear error, nothing run)."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import httpx
import pytest
import websockets

from oms_graph.api.cost import MAX_COST
from oms_graph.api.limits import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from oms_graph.app import create_app
from oms_graph.config import Settings
from oms_graph.domain.access import Role
from tests.conftest import REDIS_URL, make_key, redis_available, serving
from tests.factories import UPSERT_CHANNELS, channel
from tests.graphql_client import Api
from tests.live import PROTOCOL, ws_url

ORDERS = "orders(first: {n}) {{ edges {{ node {{ id lines {{ sku }} }} }} }}"  # costs 1 + 3 per order


def nested(fields: int) -> str:
    """A query `fields` fields deep: order, then fulfilments and order in turn, then id."""
    names = ['order(number: "none")'] + ["fulfilments" if i % 2 == 0 else "order" for i in range(fields - 2)]
    selection = "id"
    for name in reversed(names):
        selection = f"{name} {{ {selection} }}"
    return "{ " + selection + " }"


def code_of(body: dict) -> str:
    first = body["errors"][0]
    return first["extensions"]["code"] if "extensions" in first else first["message"]


@pytest.fixture
async def admin(api: Api) -> str:
    return await make_key(api.db, Role.ADMIN)


async def test_a_query_as_deep_as_allowed_runs_and_one_level_more_is_refused(api: Api, admin: str) -> None:
    assert (await api.data(admin, nested(MAX_DEPTH + 1))) == {"order": None}  # 12 levels below the root field
    body = await api.run(admin, nested(MAX_DEPTH + 2))
    assert body.get("data") is None and "exceeds maximum operation depth of 12" in body["errors"][0]["message"]


async def test_aliases_up_to_the_limit_run_and_one_more_is_refused(api: Api, admin: str) -> None:
    def aliased(n: int) -> str:
        return "{ " + " ".join(f"c{i}: channels {{ code }}" for i in range(n)) + " }"

    assert len(await api.data(admin, aliased(MAX_ALIASES))) == MAX_ALIASES
    body = await api.run(admin, aliased(MAX_ALIASES + 1))
    assert body.get("data") is None and "aliases found" in body["errors"][0]["message"]


async def test_a_document_of_up_to_2000_tokens_runs_and_a_longer_one_is_not_parsed(api: Api, admin: str) -> None:
    def products(skus: int) -> str:  # 11 tokens around the list
        return "{ products(skus: [" + " ".join(['"none"'] * skus) + "]) { sku } }"

    assert await api.data(admin, products(MAX_TOKENS - 12)) == {"products": []}
    body = await api.run(admin, products(MAX_TOKENS - 11))
    assert body.get("data") is None and "more than 2000 tokens" in body["errors"][0]["message"]


async def test_a_query_costing_the_maximum_runs_and_reports_its_cost_and_one_more_is_refused(
    api: Api, admin: str
) -> None:
    three_pages = " ".join(f"p{i}: " + ORDERS.format(n=100) for i in range(3))  # 3 x 301
    exact = "query($n: Int) { " + three_pages + " rest: " + ORDERS.format(n="$n") + " }"
    body = await api.run(admin, exact, {"n": 32})  # + 97 = 1000
    cost = body["extensions"]["cost"]
    assert not body.get("errors") and (cost["requestedQueryCost"], cost["maximumQueryCost"]) == (MAX_COST, MAX_COST)
    one_more = "query($n: Int) { " + three_pages + " rest: " + ORDERS.format(n="$n") + " channels { code } }"
    over = await api.run(admin, one_more, {"n": 32})
    assert over.get("data") is None and code_of(over) == "QUERY_TOO_COSTLY"
    assert "query cost 1001 is over the maximum of 1000" in over["errors"][0]["message"]
    # The default page (20) counts when `first` is not given; mutations cost 10 each.
    cheap = await api.run(admin, "{ orders { edges { node { id } } } }")
    assert cheap["extensions"]["cost"]["requestedQueryCost"] == 1 + 20 * 2
    placed = await api.run(admin, UPSERT_CHANNELS, {"input": [channel("web")]})
    assert placed["extensions"]["cost"]["requestedQueryCost"] == 10 + 1 + 1 + 1  # payload, channels, errors


async def test_introspection_is_off_unless_enabled_and_typename_still_works(api: Api, admin: str) -> None:
    schema_query = "{ __schema { queryType { name } } }"
    assert (await api.data(admin, schema_query))["__schema"]["queryType"]["name"] == "Query"  # GraphiQL on here
    closed = Settings(
        database_url=api.db.engine.url.render_as_string(hide_password=False),
        background=False,
        graphiql=False,
    )
    async with serving(create_app(closed, db=api.db)) as url, httpx.AsyncClient(base_url=url) as client:
        other = Api(client, api.db)
        for query in (schema_query, '{ __type(name: "Order") { name } }'):
            body = await other.run(admin, query)
            assert body.get("data") is None and code_of(body) == "INTROSPECTION_OFF", body
        assert (await other.data(admin, "{ channels { __typename } }")) == {"channels": []}
        # A misspelt name gets no "Did you mean 'orders'?": suggestions would rebuild the schema piece by piece.
        for query, variables in (
            ("{ ordrs { edges { node { id } } } }", None),
            ("mutation($i: [ChannelInput!]!) { upsertChannels(input: $i) { errors { code } } }", {"i": [{"cod": "x"}]}),
        ):
            message = (await other.run(admin, query, variables))["errors"][0]["message"]
            assert "Did you mean" not in message and ("ordrs" in message or "'cod'" in message), message
        ws = await websockets.connect(ws_url(url), subprotocols=[PROTOCOL])
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {admin}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        misspelt = {"query": "subscription { ordrEvents { id } }"}
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": misspelt}))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
        await ws.close()
        assert answer["type"] == "error" and "ordrEvents" in answer["payload"][0]["message"]
        assert "Did you mean" not in answer["payload"][0]["message"]
    suggested = (await api.run(admin, "{ ordrs { edges { node { id } } } }"))["errors"][0]["message"]
    assert "Did you mean 'orders'" in suggested  # where introspection is on, suggestions help the developer


async def test_batched_requests_are_refused_and_run_nothing(api: Api, admin: str) -> None:
    batch = [{"query": UPSERT_CHANNELS, "variables": {"input": [channel("web")]}}]
    response = await api.client.post("/graphql", json=batch, headers={"authorization": f"Bearer {admin}"})
    assert response.status_code == 400
    assert await api.data(admin, "{ channels { code } }") == {"channels": []}


async def test_a_body_over_the_limit_is_refused_before_it_is_read(api: Api, admin: str) -> None:
    padding = " " * 1_000_001
    headers = {"authorization": f"Bearer {admin}", "content-type": "application/json"}
    too_big = '{"query": "{ channels { code } }"' + padding + "}"
    declared = await api.client.post("/graphql", content=too_big, headers=headers)
    assert declared.status_code == 413 and declared.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"

    async def chunks():  # no content-length: counted as it arrives
        yield b'{"query": "{ channels { code } }"'
        for _ in range(20):
            yield b" " * 100_000
        yield b"}"

    streamed = await api.client.post("/graphql", content=chunks(), headers=headers)
    assert streamed.status_code == 413
    small = await api.client.post("/graphql", content='{"query": "{ channels { code } }"}', headers=headers)
    assert small.status_code == 200


def limited(api: Api, capacity: int, redis_url: str | None = None) -> Settings:
    """A server's settings with ADMIN keys limited to `capacity` points (draining a twentieth a second)."""
    return Settings(
        database_url=api.db.engine.url.render_as_string(hide_password=False),
        background=False,
        rate_limits={"ADMIN": capacity},
        rate_limit_url=redis_url,
    )


THIRTEEN = UPSERT_CHANNELS  # a mutation costing 13 points


async def test_a_key_over_its_rate_is_throttled_with_a_retry_hint_and_nothing_runs(api: Api, admin: str) -> None:
    async with serving(create_app(limited(api, 30), db=api.db)) as url, httpx.AsyncClient(base_url=url) as client:
        server = Api(client, api.db)
        first = await server.run(admin, THIRTEEN, {"input": [channel("one")]})
        status = first["extensions"]["cost"]["throttleStatus"]
        assert status["maximumAvailable"] == 30 and status["restoreRate"] == 1.5
        assert status["currentlyAvailable"] == pytest.approx(17, abs=0.5)
        assert not (await server.run(admin, THIRTEEN, {"input": [channel("two")]})).get("errors")
        refused = await server.run(admin, THIRTEEN, {"input": [channel("three")]})
        assert refused.get("data") is None and code_of(refused) == "THROTTLED"
        assert 5 < refused["errors"][0]["extensions"]["retryAfter"] <= 6.1  # (26 + 13 - 30) / 1.5 s
    codes = [c["code"] for c in (await api.data(admin, "{ channels { code } }"))["channels"]]
    assert sorted(codes) == ["one", "two"]  # the throttled mutation wrote nothing


async def test_the_rate_limit_is_shared_by_api_processes_through_redis(api: Api, admin: str) -> None:
    if not redis_available():
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    async with (
        serving(create_app(limited(api, 30, REDIS_URL), db=api.db)) as one,
        serving(create_app(limited(api, 30, REDIS_URL), db=api.db)) as two,
        httpx.AsyncClient(base_url=one) as first_client,
        httpx.AsyncClient(base_url=two) as second_client,
    ):
        first, second = Api(first_client, api.db), Api(second_client, api.db)
        assert not (await first.run(admin, THIRTEEN, {"input": [channel("one")]})).get("errors")
        assert not (await second.run(admin, THIRTEEN, {"input": [channel("two")]})).get("errors")
        for server in (first, second):  # each alone would have room; together the bucket is full
            refused = await server.run(admin, THIRTEEN, {"input": [channel("three")]})
            assert code_of(refused) == "THROTTLED"


async def test_an_unreachable_rate_limiter_lets_requests_through(api: Api, admin: str) -> None:
    nowhere = limited(api, 30, "redis://127.0.0.1:1/0")
    async with serving(create_app(nowhere, db=api.db)) as url, httpx.AsyncClient(base_url=url) as client:
        body = await Api(client, api.db).run(admin, "{ channels { code } }")
    assert body["data"] == {"channels": []} and "throttleStatus" not in body["extensions"]["cost"]


async def test_a_rate_limiter_that_never_answers_holds_a_request_about_a_second(api: Api, admin: str) -> None:
    silent = socket.socket()  # accepts connections (the kernel's backlog) and never says a word
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        hanging = limited(api, 30, f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        async with serving(create_app(hanging, db=api.db)) as url, httpx.AsyncClient(base_url=url) as client:
            started = time.monotonic()
            body = await Api(client, api.db).run(admin, "{ channels { code } }")
            waited = time.monotonic() - started
    finally:
        silent.close()
    assert body["data"] == {"channels": []} and "throttleStatus" not in body["extensions"]["cost"]
    assert waited < 5, f"the request waited {waited:.1f} s on the limiter"
