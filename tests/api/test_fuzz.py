"""Hostile input as a test: generated operations for every root field, with every role's key, never reach a
fault, and a refused mutation writes nothing (tests/fuzzing.py; bench/fuzz.py runs it longer)."""

from __future__ import annotations

import asyncio
import os

from oms_graph.domain.access import Role
from tests import fuzzing
from tests.conftest import make_key
from tests.factories import small_chain

EXAMPLES = int(os.environ.get("OMS_FUZZ_EXAMPLES", "3"))  # per root field and role


async def keys_of_every_role(api) -> dict[str, str]:  # type: ignore[no-untyped-def]
    admin = await make_key(api.db, Role.ADMIN)
    await small_chain(api, admin)
    return {
        "ADMIN": admin,
        "INTEGRATION": await make_key(api.db, Role.INTEGRATION),
        "STOREFRONT": await make_key(api.db, Role.STOREFRONT, channel="web"),
        "STORE": await make_key(api.db, Role.STORE, location="ST-BER"),
        "ANALYST": await make_key(api.db, Role.ANALYST),
    }


async def test_generated_operations_of_every_role_never_reach_a_fault(api):
    keys = await keys_of_every_role(api)
    loop = asyncio.get_running_loop()
    tally = await asyncio.to_thread(fuzzing.run, loop, api.client, api.db, keys, examples=EXAMPLES)
    assert not tally.faults, "\n\n".join(tally.faults[:5])
    assert set(tally.cases) == set(keys) and min(tally.cases.values()) >= len(fuzzing.root_fields())
    assert sum(tally.checked_writes.values()) > 0  # refused mutations were met, and found to write nothing
