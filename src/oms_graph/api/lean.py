"""Large answers without graphql-core's per-field machinery.

graphql-core completes every field of every object on its own: resolve info, resolver, completion, path,
about 10 µs a field, so `availability` for 50 skus at 200 locations (10,000 entries) spends half a second
there. Most of those objects are plain data: each selected field a strawberry field with no resolver, no
arguments and no extension, whose value is the attribute of the same name. A list of such objects is
completed here in one pass instead: its selections are collected once (aliases, fragments, @skip and
@include as graphql-core collects them), then each item becomes a dict by reading attributes and
serialising leaves with their scalar or enum type. The answer is the same as graphql-core's; anything the
lean pass does not handle (a field with a resolver, an abstract type, a null in a non-null position, a
value a scalar refuses) sends the list down graphql-core's path, which answers it, or its errors, as
before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLOutputType,
    Undefined,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

Complete = Callable[[Any], Any]
BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF


class NotPlain(Exception):
    """This value needs graphql-core's path (an error to report, a type the lean pass does not know)."""


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with lists of plain objects completed in one pass."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lean: dict[tuple[GraphQLOutputType, int], tuple[object, Complete | None]] = {}

    def complete_list_value(  # type: ignore[override]
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        if isinstance(result, list | tuple):
            complete = self.lean(return_type, field_details_list)
            if complete is not None:
                try:
                    return complete(result)
                except NotPlain:
                    pass  # graphql-core's path answers it, errors and all
        return super().complete_list_value(return_type, field_details_list, info, path, result, position_context)

    def lean(self, return_type: GraphQLOutputType, field_details_list: Any) -> Complete | None:
        """How to complete values of this type with these selections in one pass; None when some field
        needs graphql-core. Built once per execution (the selections are the same for every item)."""
        key = (return_type, id(field_details_list))
        if key not in self._lean:  # the selections are kept alive with it, so their id is not reused
            self._lean[key] = (field_details_list, self._build(return_type, field_details_list))
        return self._lean[key][1]

    def _build(self, return_type: GraphQLOutputType, field_details_list: Any, nullable: bool = True) -> Complete | None:
        if is_non_null_type(return_type):
            return self._build(return_type.of_type, field_details_list, nullable=False)  # type: ignore[attr-defined]
        if is_list_type(return_type):
            inner = self._build(return_type.of_type, field_details_list)  # type: ignore[attr-defined]
            return None if inner is None else _list_of(inner, nullable)
        if is_leaf_type(return_type):
            return _leaf(return_type.name, return_type.serialize, nullable)  # type: ignore[attr-defined]
        if not is_object_type(return_type):
            return None  # interfaces and unions: graphql-core resolves the concrete type
        grouped, deferred, _ = self.collect_subfields(return_type, field_details_list)  # type: ignore[arg-type]
        if deferred:
            return None
        fields: list[tuple[str, Callable[[Any], Any] | None, Complete | str]] = []
        for response_key, details in grouped.items():
            name = details[0].node.name.value
            if name == "__typename":
                fields.append((response_key, None, return_type.name))  # type: ignore[attr-defined]
                continue
            definition = return_type.fields[name]  # type: ignore[attr-defined]
            field = (definition.extensions or {}).get(BACKREF)
            resolver = getattr(definition.resolve, "__name__", "")
            if field is None or not field.is_basic_field or resolver != "_get_basic_result":
                return None  # a resolver, an extension or a permission check runs per field
            inner = self._build(definition.type, details)
            if inner is None:
                return None
            fields.append((response_key, _getter(field), inner))
        # An entity (a type with an id) met again, one location under many skus, is completed once.
        entity = "id" in return_type.fields  # type: ignore[attr-defined]
        return _object(fields, return_type.is_type_of, nullable, {} if entity else None)  # type: ignore[attr-defined]


def _getter(field: Any) -> Callable[[Any], Any]:
    if field.default_resolver is getattr:
        return attrgetter(field.python_name)
    return lambda source: field.get_result(source, None, [], {})


def _null(nullable: bool) -> None:
    if not nullable:
        raise NotPlain  # graphql-core reports the null where it may not be


def _list_of(inner: Complete, nullable: bool) -> Complete:
    def complete(value: Any) -> Any:
        if value is None:
            return _null(nullable)
        if not isinstance(value, list | tuple):
            raise NotPlain
        return [inner(item) for item in value]

    return complete


INT_MAX = 2**31  # GraphQL's Int is 32-bit


def _leaf(name: str, serialize: Callable[[Any], Any], nullable: bool) -> Complete:
    """A scalar or enum. The built-in scalars' values that are their own serialisation (checked inline, once
    per value) pass as they are; anything else goes through the type's own serialisation."""

    def serialized(value: Any) -> Any:
        if value is None:
            return _null(nullable)
        try:
            done = serialize(value)
        except Exception as error:
            raise NotPlain from error
        if done is None or done is Undefined:
            raise NotPlain
        return done

    def complete_int(value: Any) -> Any:
        return value if type(value) is int and -INT_MAX <= value < INT_MAX else serialized(value)

    def complete_float(value: Any) -> Any:
        # finite only: inf - inf and nan - nan are nan
        return value if type(value) is float and value - value == 0 else serialized(value)

    def complete_str(value: Any) -> Any:
        return value if type(value) is str else serialized(value)

    def complete_bool(value: Any) -> Any:
        return value if type(value) is bool else serialized(value)

    plain = {"Int": complete_int, "Float": complete_float, "String": complete_str, "ID": complete_str}
    return plain.get(name, complete_bool if name == "Boolean" else serialized)


def _object(
    fields: Iterable[tuple[str, Callable[[Any], Any] | None, Complete | str]],
    is_type_of: Callable[[Any, Any], Any] | None,
    nullable: bool,
    completed: dict[int, tuple[object, Any]] | None,
) -> Complete:
    """An object, field by field; with `completed`, each object once (by its id, kept with its answer so the
    id is not reused while the execution runs)."""
    fields = tuple(fields)

    def complete(value: Any) -> Any:
        if value is None:
            return _null(nullable)
        if completed is not None:
            seen = completed.get(id(value))
            if seen is not None:
                return seen[1]
        if is_type_of is not None and is_type_of(value, None) is not True:
            raise NotPlain
        done = {key: inner if get is None else inner(get(value)) for key, get, inner in fields}  # type: ignore[operator]
        if completed is not None:
            completed[id(value)] = (value, done)
        return done

    return complete
