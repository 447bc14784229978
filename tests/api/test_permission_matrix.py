"""Who may call what, over every root field of the schema: generated from the schema itself, so a new
operation without declared roles fails here, and every role outside a field's roles is refused."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
    is_composite_type,
)
from strawberry.permission import PermissionExtension

from oms_graph.api.schema import Mutation, Query, schema
from oms_graph.api.subscriptions import Subscription
from oms_graph.domain.access import Role
from tests.conftest import make_key
from tests.factories import small_chain
from tests.graphql_client import Api

ROLE_REFUSAL = "permission denied: this needs a key with role"
SCALARS = {
    "Int": "1",
    "Float": "1.0",
    "Boolean": "false",
    "DateTime": '"2026-01-01T00:00:00Z"',
    "Date": '"2026-01-01"',
    "Decimal": '"1"',
}


def declared_roles(field) -> set[Role] | None:  # type: ignore[no-untyped-def]
    """The roles a root field lets in besides ADMIN; None when it declares none at all."""
    found = [e for e in field.extensions if isinstance(e, PermissionExtension)]
    if not found:
        return None
    return {role for e in found for permission in e.permissions for role in getattr(permission, "allowed", ())}


def literal(kind) -> str:  # type: ignore[no-untyped-def]
    """A value of the type, as GraphQL source (input objects with their required fields only)."""
    if isinstance(kind, GraphQLNonNull):
        return literal(kind.of_type)
    if isinstance(kind, GraphQLList):
        return f"[{literal(kind.of_type)}]"
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        required = [
            f"{name}: {literal(f.type)}" for name, f in kind.fields.items() if isinstance(f.type, GraphQLNonNull)
        ]
        return "{" + ", ".join(required) + "}"
    assert isinstance(kind, GraphQLScalarType)
    return SCALARS.get(kind.name, '"x"')


def call(operation: str, name: str) -> str:
    """The smallest document calling a root field: its required arguments, `__typename` below it."""
    root = schema._schema.mutation_type if operation == "mutation" else schema._schema.query_type
    assert root is not None
    field = root.fields[name]
    arguments = [f"{arg}: {literal(a.type)}" for arg, a in field.args.items() if isinstance(a.type, GraphQLNonNull)]
    selection = " { __typename }" if is_composite_type(get_named_type(field.type)) else ""
    return f"{operation} {{ {name}{'(' + ', '.join(arguments) + ')' if arguments else ''}{selection} }}"


def root_fields(kind):  # type: ignore[no-untyped-def]
    return kind.__strawberry_definition__.fields


def test_every_root_field_declares_who_may_call_it() -> None:
    undeclared = [
        f"{kind.__name__}.{field.graphql_name or field.python_name}"
        for kind in (Query, Mutation, Subscription)
        for field in root_fields(kind)
        if declared_roles(field) is None
    ]
    assert undeclared == [], "declare roles with api.permissions.roles(...)"


async def test_every_role_outside_a_fields_roles_is_refused_before_it_runs(api: Api) -> None:
    admin = await make_key(api.db, Role.ADMIN)
    await small_chain(api, admin)
    keys = {
        Role.INTEGRATION: await make_key(api.db, Role.INTEGRATION),
        Role.STOREFRONT: await make_key(api.db, Role.STOREFRONT, channel="web"),
        Role.STORE: await make_key(api.db, Role.STORE, location="WH-HAM"),
        Role.ANALYST: await make_key(api.db, Role.ANALYST),
    }
    checked = 0
    for operation, kind in (("query", Query), ("mutation", Mutation)):
        for field in root_fields(kind):
            allowed = declared_roles(field) or set()
            name = schema.config.name_converter.get_graphql_name(field)
            document = call(operation, name)
            for role, key in keys.items():
                body = await api.run(key, document)
                errors = body.get("errors", [])
                refused = [e for e in errors if e["message"].startswith(ROLE_REFUSAL)]
                if role in allowed:  # it may still fail on the made-up arguments or the key's scope
                    assert refused == [], (name, role, body)
                else:
                    assert len(errors) == 1 and refused and refused[0]["extensions"]["code"] == "PERMISSION_DENIED"
                    checked += 1
    assert checked > 60  # the matrix is not empty
