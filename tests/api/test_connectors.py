"""Connectors set up as data (ADMIN): secrets sealed and never answered, logged or audited in clear; a
shipment booked through one, its calls logged with their timing, its health from the last outcome."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from oms_graph.db.models import AuditEntry, Connector
from oms_graph.domain.access import Role
from tests.api.test_carriers import packed, shipment
from tests.conftest import make_key
from tests.factories import snapshot
from tests.fakes.carrier import FakeCarrier
from tests.fulfilment_steps import book, chain_admin

SECRET = "cdek-s3cret-0f-the-chain"
CARRIER = "parcelhub"  # a name no test registers in code (test_carriers registers fastship)
SAVE = """mutation($input: ConnectorInput!) { saveConnector(input: $input) {
  connector { name kind adapter settings secretNames enabled health lastError }
  errors { code field message } } }"""
CONNECTORS = """{ connectors { name health lastOkAt lastError secretNames
  calls(first: 5) { operation ok durationMs error } } }"""


def parcelhub(url: str, **extra: object) -> dict[str, object]:
    return {"name": CARRIER, "kind": "CARRIER", "adapter": "http", "settings": {"baseUrl": url}, **extra}


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    carrier = FakeCarrier().start()
    yield carrier
    carrier.stop()


async def test_a_secret_is_sealed_at_rest_and_answered_only_by_name(api, admin):
    saved = await api.data(admin, SAVE, {"input": parcelhub("http://127.0.0.1:9", secrets={"apiKey": SECRET})})
    assert saved["saveConnector"]["errors"] == []
    assert saved["saveConnector"]["connector"]["secretNames"] == ["apiKey"]
    assert saved["saveConnector"]["connector"]["health"] == "UNKNOWN"
    listed = await api.post(admin, CONNECTORS)
    assert SECRET not in str(saved) and SECRET not in listed.text
    async with api.db.read() as session:
        stored = await session.scalar(select(Connector.secrets))
        audit = [str(e.after) for e in await session.scalars(select(AuditEntry))]
        everything = " ".join(str(row) for row in (await session.execute(text("SELECT * FROM connectors"))).all())
    assert stored.startswith("sealed:") and SECRET not in everything
    assert audit and all(SECRET not in entry for entry in audit) and "apiKey" in audit[-1]
    # saved again without secrets: the stored one is kept
    again = await api.data(admin, SAVE, {"input": parcelhub("http://127.0.0.1:10")})
    assert again["saveConnector"]["connector"]["secretNames"] == ["apiKey"]
    assert again["saveConnector"]["connector"]["settings"] == {"baseUrl": "http://127.0.0.1:10"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"adapter": "carrier-pigeon"}, ["input", "adapter"]),
        ({"kind": "MARKETPLACE"}, ["input", "adapter"]),
        ({"settings": {}}, ["input", "settings", "baseUrl"]),
        ({"settings": {"baseUrl": "http://x", "colour": "red"}}, ["input", "settings", "colour"]),
        ({"secrets": {"password": "p"}}, ["input", "secrets", "password"]),
        ({"secrets": {"apiKey": ""}}, ["input", "secrets", "apiKey"]),
        ({"settings": ["baseUrl"]}, ["input", "settings"]),
        ({"name": "no spaces allowed"}, ["input", "name"]),
        ({"settings": {"baseUrl": "not a url"}}, ["input", "settings", "baseUrl"]),
        ({"settings": {"baseUrl": "http://x", "timeoutSeconds": "ten"}}, ["input", "settings", "timeoutSeconds"]),
    ],
)
async def test_a_bad_connector_is_refused_on_its_field_and_nothing_written(api, admin, change, field):
    before = await snapshot(api.db)
    answer = (await api.data(admin, SAVE, {"input": parcelhub("http://x") | change}))["saveConnector"]
    assert answer["connector"] is None and field in [e["field"] for e in answer["errors"]]
    assert await snapshot(api.db) == before


async def test_only_admin_keys_see_or_save_connectors(api, admin):
    for role in (Role.INTEGRATION, Role.ANALYST, Role.STORE, Role.STOREFRONT):
        key = await make_key(
            api.db,
            role,
            channel="web" if role is Role.STOREFRONT else None,
            location="WH-HAM" if role is Role.STORE else None,
        )
        refused = await api.post(key, CONNECTORS)
        assert refused.json()["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
        refused = await api.post(key, SAVE, {"input": parcelhub("http://x")})
        assert refused.json()["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_a_shipment_is_booked_through_its_connector_and_the_call_logged(api, admin, fake, caplog):
    saved = await api.data(admin, SAVE, {"input": parcelhub(fake.url, secrets={"apiKey": SECRET})})
    assert saved["saveConnector"]["errors"] == []
    _, fid = await packed(api, admin, CARRIER)
    with caplog.at_level(logging.DEBUG):
        await book(api, fid)
    assert (await shipment(api, fid))[:2] == ("BOOKED", "FS00000001")
    assert fake.authorizations == [f"Bearer {SECRET}"]  # the secret reached the carrier, and only there
    assert SECRET not in caplog.text and f"connector {CARRIER} book: ok" in caplog.text
    (found,) = (await api.data(admin, CONNECTORS))["connectors"]
    assert found["health"] == "OK" and found["lastOkAt"] is not None
    (call,) = found["calls"]
    assert call["operation"] == "book" and call["ok"] and call["durationMs"] >= 0 and call["error"] is None


async def test_a_refusal_shows_as_failing_health_with_the_carriers_message(api, admin, fake):
    await api.data(admin, SAVE, {"input": parcelhub(fake.url)})
    _, fid = await packed(api, admin, CARRIER)
    fake.refuse = True
    await book(api, fid)
    assert (await shipment(api, fid))[0] == "FAILED"
    (found,) = (await api.data(admin, CONNECTORS))["connectors"]
    assert found["health"] == "FAILING" and "422" in found["lastError"]
    assert [(c["operation"], c["ok"]) for c in found["calls"]] == [("book", False)]
    assert fake.authorizations == [None]  # no apiKey: no Authorization header


async def test_a_disabled_connector_is_not_used(api, admin, fake):
    await api.data(admin, SAVE, {"input": parcelhub(fake.url, enabled=False)})
    _, fid = await packed(api, admin, CARRIER)
    await book(api, fid)  # no connector and no carrier of that name in the environment: a permanent refusal
    assert (await shipment(api, fid))[0] == "FAILED" and fake.requests == 0
