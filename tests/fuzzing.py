"""Generated GraphQL operations against a real server: every root query and mutation field, with every role's key.

hypothesis-graphql draws operations that match the schema (arguments of the right types, strings anything
Hypothesis makes, custom scalars from the strategies below, some of them malformed on purpose). An answer
must never be a fault: no 5xx, no `internal error`, no answer slower than `HANG` seconds; and a mutation the
server refused must have written nothing (every row of every table as before). Used by tests/api/test_fuzz.py
(a short run in the suite) and bench/fuzz.py (a long one).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import httpx
import hypothesis
from graphql import IntValueNode, OperationDefinitionNode, OperationType, StringValueNode, parse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema

from oms_graph.db.engine import Database
from tests.factories import snapshot

SDL = (Path(__file__).resolve().parents[1] / "schema.graphql").read_text()
HANG = 15.0  # seconds: an answer slower than this is a hang


def _string(values: st.SearchStrategy[Any]) -> st.SearchStrategy[StringValueNode]:
    return values.map(lambda v: StringValueNode(value=str(v)))


# Each custom scalar: mostly well-formed values, sometimes any text (the server must refuse it cleanly).
# Codes the seeded chain knows (tests/factories.small_chain), so that operations get past "unknown" and deep
# into the services; and any text.
KNOWN = ["web", "pos", "WH-HAM", "ST-BER", "ST-MUC", "SKU-1", "SKU-2", "SKU-3", "EUR", "DE", "Berlin"]
_MONEY = st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**6), max_value=10**6)
_MOMENT = st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())
SCALARS = {
    "String": _string(st.one_of(st.sampled_from(KNOWN), st.text(max_size=30))),
    "Int": st.one_of(st.integers(1, 5), st.integers(-(2**31), 2**31 - 1)).map(lambda n: IntValueNode(value=str(n))),
    "Date": _string(st.one_of(st.dates(), st.text(max_size=12))),
    "DateTime": _string(st.one_of(_MOMENT, st.text(max_size=12))),
    "Decimal": _string(st.one_of(_MONEY, st.text(max_size=8))),
    "JSON": _string(st.text(max_size=20)),
}


@dataclass
class Tally:
    """What the run saw, per role: cases, answers with errors, refused mutations checked for writes."""

    cases: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    checked_writes: Counter[str] = field(default_factory=Counter)
    faults: list[str] = field(default_factory=list)


def is_mutation(query: str) -> bool:
    document = parse(query)
    return any(
        isinstance(d, OperationDefinitionNode) and d.operation is OperationType.MUTATION for d in document.definitions
    )


def was_refused(body: dict[str, Any]) -> bool:
    """Nothing of the operation went through: no data, or every root field null or with payload errors."""
    data = body.get("data")
    if not data:
        return bool(body.get("errors"))
    return all(value is None or (isinstance(value, dict) and value.get("errors")) for value in data.values())


async def attempt(client: httpx.AsyncClient, db: Database, role: str, key: str, query: str, tally: Tally) -> None:
    """Send one operation; record a fault (with the operation) instead of raising, so the run says all."""
    mutation = is_mutation(query)
    before = await snapshot(db) if mutation else None
    tally.cases[role] += 1
    try:
        response = await asyncio.wait_for(
            client.post("/graphql", json={"query": query}, headers={"authorization": f"Bearer {key}"}), HANG
        )
    except TimeoutError:
        tally.faults.append(f"{role}: no answer within {HANG} s to\n{query}")
        return
    if response.status_code >= 500:
        tally.faults.append(f"{role}: HTTP {response.status_code} to\n{query}\n{response.text[:500]}")
        return
    body = response.json()
    internal = [e for e in body.get("errors") or [] if e.get("message") == "internal error"]
    if internal:
        tally.faults.append(f"{role}: internal error at {internal[0].get('path')} to\n{query}")
        return
    if body.get("errors") or was_refused(body):
        tally.refused[role] += 1
    if mutation and was_refused(body):
        tally.checked_writes[role] += 1
        if await snapshot(db) != before:
            tally.faults.append(f"{role}: a refused mutation wrote something:\n{query}\n{str(body)[:500]}")


def root_fields() -> list[str]:
    """The names of every root query and mutation field."""
    document = parse(SDL)
    return sorted(
        f.name.value
        for d in document.definitions
        if getattr(d, "name", None) is not None and d.name.value in ("Query", "Mutation")  # type: ignore[attr-defined]
        for f in d.fields  # type: ignore[attr-defined]
    )


def run(
    loop: asyncio.AbstractEventLoop,
    client: httpx.AsyncClient,
    db: Database,
    keys: dict[str, str],
    *,
    examples: int,
    seed: int | None = None,
) -> Tally:
    """For every root field and every role, `examples` operations on that field, each sent on `loop` (where
    the server and the database's engine live) from this thread; the tally of the run. Without a seed the
    run is the same every time."""
    tally = Tally()

    def drawn(role: str, key: str, operations: Any) -> Any:
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=seed is None,
            suppress_health_check=list(HealthCheck),
        )
        @given(query=operations)
        def one(query: str) -> None:
            future = asyncio.run_coroutine_threadsafe(attempt(client, db, role, key, query, tally), loop)
            future.result(HANG * 4)

        return one if seed is None else hypothesis.seed(seed)(one)

    for name in root_fields():
        operations = from_schema(SDL, fields=[name], custom_scalars=SCALARS)
        for role, key in sorted(keys.items()):
            drawn(role, key, operations)()
    return tally
