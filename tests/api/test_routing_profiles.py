"""Routing profiles per channel: defaults until set, ADMIN sets them, bad values write nothing."""

from __future__ import annotations

import pytest

from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import small_chain, snapshot

UPDATE = """mutation($input: RoutingProfileInput!) { updateRoutingProfile(input: $input) {
  routingProfile { channel { code } distanceWeight costWeight priorityWeight splitPenalty maxSplits allowShipFromStore }
  errors { code field message } } }"""
READ = """query($channel: String!) { routingProfile(channel: $channel) {
  channel { code } distanceWeight costWeight priorityWeight splitPenalty maxSplits allowShipFromStore } }"""


def profile(**changes):  # type: ignore[no-untyped-def]
    return {
        "channel": "web",
        "distanceWeight": 2.0,
        "costWeight": 0.5,
        "priorityWeight": 1.0,
        "splitPenalty": 8.0,
        "maxSplits": 2,
        "allowShipFromStore": False,
        **changes,
    }


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await make_key(api.db, Role.ADMIN)
    await small_chain(api, key)
    return key


async def test_a_channel_routes_with_the_defaults_until_a_profile_is_set(api, admin):
    default = (await api.data(admin, READ, {"channel": "web"}))["routingProfile"]
    assert (default["maxSplits"], default["splitPenalty"], default["allowShipFromStore"]) == (3, 5.0, True)
    updated = (await api.data(admin, UPDATE, {"input": profile()}))["updateRoutingProfile"]
    assert updated["errors"] == [] and updated["routingProfile"]["maxSplits"] == 2
    again = (await api.data(admin, UPDATE, {"input": profile(maxSplits=4)}))["updateRoutingProfile"]
    assert again["routingProfile"]["maxSplits"] == 4
    stored = (await api.data(admin, READ, {"channel": "web"}))["routingProfile"]
    assert stored == {**profile(maxSplits=4), "channel": {"code": "web"}}
    other = (await api.data(admin, READ, {"channel": "pos"}))["routingProfile"]
    assert other["maxSplits"] == 3


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"distanceWeight": -1.0}, "INVALID_INPUT", ["input", "distanceWeight"]),
        ({"splitPenalty": -0.5}, "INVALID_INPUT", ["input", "splitPenalty"]),
        ({"maxSplits": 0}, "INVALID_INPUT", ["input", "maxSplits"]),
        ({"channel": "nope"}, "UNKNOWN_CHANNEL", ["input", "channel"]),
    ],
    ids=["negative weight", "negative split penalty", "max splits below 1", "unknown channel"],
)
async def test_an_invalid_profile_is_a_typed_error_and_writes_nothing(api, admin, changes, code, field):
    before = await snapshot(api.db)
    result = (await api.data(admin, UPDATE, {"input": profile(**changes)}))["updateRoutingProfile"]
    assert result["routingProfile"] is None
    assert (result["errors"][0]["code"], result["errors"][0]["field"]) == (code, field)
    assert await snapshot(api.db) == before


@pytest.mark.parametrize("role", [Role.INTEGRATION, Role.STOREFRONT, Role.STORE, Role.ANALYST], ids=lambda r: r.value)
async def test_only_admin_sets_profiles(api, admin, role):
    key = await make_key(
        api.db,
        role,
        channel="web" if role is Role.STOREFRONT else None,
        location="ST-BER" if role is Role.STORE else None,
    )
    before = await snapshot(api.db)
    body = await api.run(key, UPDATE, {"input": profile()})
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert await snapshot(api.db) == before


async def test_a_storefront_reads_its_own_channels_profile_only(api, admin):
    web = await make_key(api.db, Role.STOREFRONT, channel="web")
    assert (await api.data(web, READ, {"channel": "web"}))["routingProfile"]["channel"]["code"] == "web"
    denied = await api.run(web, READ, {"channel": "pos"})
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
