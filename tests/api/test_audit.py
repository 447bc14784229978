"""The audit trail: every change to master data, stock, routing profiles, keys and webhook endpoints with who,
when, and the values before and after, written in the change's own transaction; ADMIN reads it newest first."""

from __future__ import annotations

from datetime import timedelta

from oms_graph.db.base import pinned_time, utcnow
from oms_graph.domain.access import Role
from oms_graph.services import audit
from tests.api.test_routing_profiles import UPDATE, profile
from tests.conftest import make_key
from tests.factories import ADJUST_STOCK, SET_STOCK, UPSERT_CHANNELS, channel, level, small_chain, snapshot

LOG = """query($first: Int!, $after: String, $filter: AuditFilter) {
  auditLog(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id at actor action entity key before after } }
    pageInfo { hasNextPage endCursor } } }"""


async def log(api, caller, first=50, **filter):  # type: ignore[no-untyped-def]
    found = await api.data(caller, LOG, {"first": first, "filter": filter or None})
    return [e["node"] for e in found["auditLog"]["edges"]]


async def test_a_routing_profile_change_shows_who_and_its_values_before_and_after(api):
    admin = await make_key(api.db, Role.ADMIN)
    await small_chain(api, admin)
    assert (await api.data(admin, UPDATE, {"input": profile()}))["updateRoutingProfile"]["errors"] == []
    assert (await api.data(admin, UPDATE, {"input": profile(maxSplits=4)}))["updateRoutingProfile"]["errors"] == []
    changed, created = await log(api, admin, entity="RoutingProfile")
    assert (changed["action"], changed["key"], changed["actor"]) == ("UPDATED", "web", "test-admin")
    assert (created["action"], created["before"]) == ("CREATED", None)
    assert changed["before"] == created["after"]
    assert (changed["before"]["max_splits"], changed["after"]["max_splits"]) == (profile()["maxSplits"], 4)
    assert changed["at"] >= created["at"]


async def test_a_refused_change_writes_no_entry(api):
    admin = await make_key(api.db, Role.ADMIN)
    await small_chain(api, admin)
    before = await snapshot(api.db)
    refused = (await api.data(admin, UPDATE, {"input": profile(maxSplits=0)}))["updateRoutingProfile"]
    assert refused["errors"][0]["code"] == "INVALID_INPUT"
    adjustment = {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": -5, "reason": "lost"}  # below zero
    assert (await api.data(admin, ADJUST_STOCK, {"input": adjustment}))["adjustStock"]["errors"]
    assert await snapshot(api.db) == before
    assert await log(api, admin, entity="RoutingProfile") == []


async def test_master_data_and_stock_changes_are_recorded_and_a_change_to_nothing_is_not(api):
    admin = await make_key(api.db, Role.ADMIN)
    integration = await make_key(api.db, Role.INTEGRATION)
    await api.data(admin, UPSERT_CHANNELS, {"input": [channel("app", "APP")]})
    await api.data(admin, UPSERT_CHANNELS, {"input": [channel("app", "APP")]})  # the same again: no change
    await api.data(admin, UPSERT_CHANNELS, {"input": [channel("app", "APP", name="The app")]})
    entries = await log(api, admin, entity="Channel")
    assert [(e["action"], e["key"]) for e in entries] == [("UPDATED", "app"), ("CREATED", "app")]
    assert (entries[0]["before"]["name"], entries[0]["after"]["name"]) == ("Channel app", "The app")

    await small_chain(api, admin)
    await api.data(integration, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 7)]})
    adjustment = {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": -2, "reason": "damaged"}
    assert (await api.data(integration, ADJUST_STOCK, {"input": adjustment}))["adjustStock"]["errors"] == []
    adjusted, counted = await log(api, admin, entity="StockLevel", key="SKU-1@WH-HAM")
    assert counted["actor"] == "test-integration" and counted["after"]["onHand"] == 7
    assert (adjusted["before"], adjusted["after"]) == ({"onHand": 7}, {"onHand": 5, "reason": "damaged"})


async def test_keys_and_webhook_endpoints_are_recorded_without_their_secrets(api):
    admin = await make_key(api.db, Role.ADMIN)
    made = await api.data(admin, 'mutation { createApiKey(input: {name: "wms", role: "INTEGRATION"}) { secret } }')
    secret = made["createApiKey"]["secret"]
    saved = await api.data(
        admin,
        """mutation { saveWebhookEndpoint(input: {url: "http://127.0.0.1:9/hook", secret: "whsec-0123456789abcdef"}) {
        endpoint { id } } }""",
    )
    assert saved["saveWebhookEndpoint"]["endpoint"]["id"]
    entries = await log(api, admin)
    assert {e["entity"] for e in entries} >= {"ApiKey", "WebhookEndpoint"}
    shown = repr(entries)
    assert secret not in shown and "whsec-0123456789abcdef" not in shown and secret[12:] not in shown


async def test_only_an_admin_reads_the_trail_newest_first_a_page_at_a_time(api):
    admin = await make_key(api.db, Role.ADMIN)
    for name in ("a1", "a2", "a3"):
        await api.data(admin, UPSERT_CHANNELS, {"input": [channel(name, "APP")]})
    only = {"entity": "Channel"}
    page = (await api.data(admin, LOG, {"first": 2, "filter": only}))["auditLog"]
    assert [e["node"]["key"] for e in page["edges"]] == ["a3", "a2"] and page["pageInfo"]["hasNextPage"]
    rest = (await api.data(admin, LOG, {"first": 2, "after": page["pageInfo"]["endCursor"], "filter": only}))[
        "auditLog"
    ]
    assert [e["node"]["key"] for e in rest["edges"]] == ["a1"] and not rest["pageInfo"]["hasNextPage"]
    analyst = await make_key(api.db, Role.ANALYST)
    assert (await api.run(analyst, LOG, {"first": 2}))["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    forged = await api.run(admin, LOG, {"first": 2, "after": "WyJ4Il0="})  # ["x"]
    assert forged["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_entries_past_their_retention_go(api):
    admin = await make_key(api.db, Role.ADMIN)
    async with api.db.write() as session:
        with pinned_time(utcnow() - timedelta(days=40)):
            await audit.record(session, [audit.changed("Channel", "old", None, {"name": "Old"})])
    await api.data(admin, UPSERT_CHANNELS, {"input": [channel("new", "APP")]})
    async with api.db.write() as session:
        assert await audit.forget_older_than(session, days=0) == 0  # 0 keeps everything
        assert await audit.forget_older_than(session, days=30) == 1
    assert [e["key"] for e in await log(api, admin, entity="Channel")] == ["new"]


async def test_an_inventory_file_is_one_entry_per_job_and_its_rows_stay_in_the_ledger(api):
    from tests.api.test_stock_imports import csv_file, imported

    admin = await make_key(api.db, Role.ADMIN)
    await small_chain(api, admin)
    integration = await make_key(api.db, Role.INTEGRATION)
    await imported(api, integration, csv_file(["SKU-1,WH-HAM,4", "SKU-2,WH-HAM,6"]))
    done, queued = await log(api, admin, entity="StockImport")
    assert (queued["action"], queued["actor"], queued["after"]["status"]) == ("CREATED", "test-integration", "QUEUED")
    assert (done["actor"], done["before"]["status"], done["after"]["status"]) == ("test-integration", "RUNNING", "DONE")
    assert done["after"]["rows"] == 2 and done["key"] == queued["key"]
    assert await log(api, admin, entity="StockLevel") == []
