"""Lists of plain objects completed in one pass (api/lean.py) answer exactly as graphql-core does."""

from __future__ import annotations

import enum
import math

import pytest
import strawberry
from graphql.execution import executor as graphql_executor
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from oms_graph.api.lean import LeanExecutionContext


@strawberry.enum
class Kind(enum.Enum):
    STORE = "STORE"
    WAREHOUSE = "WAREHOUSE"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Place(Named):
    code: str
    kind: Kind
    tags: list[str]

    @strawberry.field
    def shout(self) -> str:
        return self.code.upper()


@strawberry.type
class Depot:
    id: strawberry.ID  # an entity: met again in one answer, completed once
    code: str


@strawberry.type
class Entry:
    place: Place
    depot: Depot
    units: int
    distance: float | None
    note: str | None
    big: int  # a value beyond 32 bits is an error graphql-core reports


@strawberry.type
class Row:
    sku: str
    entries: list[Entry]


HAMBURG = Place(name="Hamburg DC", code="wh-ham", kind=Kind.WAREHOUSE, tags=["north", "dc"])
BERLIN = Place(name="Berlin Mitte", code="st-ber", kind=Kind.STORE, tags=[])
NORTH = Depot(id=strawberry.ID("depot-1"), code="north")


def rows(*, big: int = 1, distance: float | None = 2.5, units: int | None = 3) -> list[Row]:
    entries = [
        Entry(place=HAMBURG, depot=NORTH, units=units, distance=distance, note=None, big=big),  # type: ignore[arg-type]
        Entry(place=BERLIN, depot=NORTH, units=7, distance=None, note="front shelf", big=1),
        Entry(place=HAMBURG, depot=NORTH, units=1, distance=0.0, note="", big=1),  # the same place again
    ]
    return [Row(sku="SKU-1", entries=entries), Row(sku="SKU-2", entries=entries[1:])]


def schema_answering(answer: list[Row], executor: type) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def rows(self) -> list[Row]:
            return answer

    return strawberry.Schema(query=Query, types=[Place], execution_context_class=executor)


QUERIES = [
    "{ rows { sku entries { units distance note place { code kind tags name } } } }",
    "{ rows { ...R } } fragment R on Row { s: sku entries { ... on Entry { u: units __typename } } }",
    "query($x: Boolean!) { rows { sku @include(if: $x) entries { units @skip(if: $x) place { code } } } }",
    "{ rows { entries { place { code shout } } } }",  # a resolver below: graphql-core's path
    "{ rows { entries { place { __typename ... on Named { name } } } } }",
    "{ rows { entries { big } } }",
    "{ rows { entries { depot { id code } d: depot { code } } } }",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize(
    "answer",
    [rows(), rows(big=2**40), rows(distance=math.inf), rows(units=None)],
    ids=["plain", "int beyond 32 bits", "infinite float", "null where not allowed"],
)
def test_the_lean_pass_answers_as_graphql_core_does(query: str, answer: list[Row]) -> None:
    variables = {"x": "$x" in query and False}
    lean = schema_answering(answer, LeanExecutionContext).execute_sync(query, variable_values=variables)
    plain = schema_answering(answer, StrawberryGraphQLCoreExecutionContext).execute_sync(
        query, variable_values=variables
    )
    assert lean.data == plain.data
    assert [(e.message, e.path) for e in lean.errors or []] == [(e.message, e.path) for e in plain.errors or []]


def test_a_list_of_plain_objects_does_not_go_field_by_field(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"fields": 0}
    original = graphql_executor.Executor.execute_field

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["fields"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(graphql_executor.Executor, "execute_field", counted)
    query = "{ rows { sku entries { units distance place { code kind } } } }"
    lean = schema_answering(rows(), LeanExecutionContext).execute_sync(query)
    assert calls["fields"] == 1 and not lean.errors  # the root field only
    calls["fields"] = 0
    schema_answering(rows(), StrawberryGraphQLCoreExecutionContext).execute_sync(query)
    assert calls["fields"] > 20


def test_an_entity_met_again_is_completed_once() -> None:
    query = "{ rows { entries { units depot { id code } } } }"
    lean = schema_answering(rows(), LeanExecutionContext).execute_sync(query)
    entries = [e for row in lean.data["rows"] for e in row["entries"]]  # type: ignore[index]
    assert [e["depot"] for e in entries] == [{"id": "depot-1", "code": "north"}] * 5
    assert all(e["depot"] is entries[0]["depot"] for e in entries)  # one answer, shared
    assert entries[1] == entries[3] and entries[1] is not entries[3]  # one Entry under both rows: not an entity
