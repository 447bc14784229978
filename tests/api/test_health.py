"""The HTTP surface around GraphQL: health, readiness, metrics, GraphiQL, API keys."""

from __future__ import annotations

from sqlalchemy import select

from oms_graph.db.models import ApiKey
from oms_graph.domain.access import Role
from oms_graph.services.auth import hash_key
from tests.conftest import make_key


async def test_healthz_and_readyz_answer_without_a_key(api):
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


async def test_graphql_without_a_key_is_401(api):
    response = await api.post(None, "{ channels { code } }")
    assert response.status_code == 401


async def test_graphql_with_a_wrong_key_is_401(api):
    await make_key(api.db, Role.ADMIN)
    response = await api.post("oms_not-a-key-we-issued", "{ channels { code } }")
    assert response.status_code == 401


async def test_graphql_with_a_malformed_authorization_header_is_401(api):
    response = await api.client.post(
        "/graphql", json={"query": "{ channels { code } }"}, headers={"authorization": "Basic abc"}
    )
    assert response.status_code == 401


async def test_only_a_hash_of_the_key_is_stored(api):
    key = await make_key(api.db, Role.ADMIN)
    async with api.db.read() as session:
        stored = (await session.scalars(select(ApiKey))).one()
    assert stored.key_hash == hash_key(key) and key not in (stored.key_hash, stored.prefix)


async def test_graphiql_page_is_served_to_a_browser_without_a_key(api):
    response = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()


async def test_metrics_count_operations_by_root_field(api):
    admin = await make_key(api.db, Role.ADMIN)
    await api.data(admin, "{ locations { code } }")
    body = (await api.client.get("/metrics")).text
    assert 'oms_graphql_operations_total{operation="query:locations",outcome="ok"}' in body
    assert "oms_graphql_operation_seconds_bucket" in body


async def test_malformed_graphql_is_rejected_with_an_error(api):
    admin = await make_key(api.db, Role.ADMIN)
    response = await api.post(admin, "{ channels { code ")
    body = response.json()
    assert body["errors"] and "Syntax Error" in body["errors"][0]["message"]
    assert body.get("data") is None


async def test_a_query_with_too_many_aliases_is_rejected_before_it_runs(api):
    admin = await make_key(api.db, Role.ADMIN)
    costly = "{ " + " ".join(f"a{i}: locations {{ code }}" for i in range(31)) + " }"
    body = (await api.post(admin, costly)).json()
    assert body.get("data") is None and "aliases found" in body["errors"][0]["message"]


async def test_readyz_says_unavailable_when_the_broker_cannot_be_reached(database):
    import httpx

    from oms_graph.app import create_app
    from oms_graph.config import Settings

    settings = Settings(database_url=str(database.engine.url), broker_url="redis://127.0.0.1:1/0", background=False)
    transport = httpx.ASGITransport(app=create_app(settings, db=database))
    async with httpx.AsyncClient(transport=transport, base_url="http://oms") as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unreachable"}
