"""Every string a request sends passes one rule (`domain.text`) before anything runs."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    StringValueNode,
    VariableDefinitionNode,
    parse,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from oms_graph.api.errors import graphql_error
from oms_graph.api.limits import MAX_TOKENS
from oms_graph.domain.errors import DomainError, ErrorCode, user_error
from oms_graph.domain.text import text_problem

Problem = tuple[tuple[str | int, ...], str]


class InputText(SchemaExtension):
    """A string in the variables (or their keys) or written in the document that `domain.text` refuses is
    answered INVALID_INPUT with its path (the variable's name first, or the argument's), and nothing runs."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        problems = [*_in_value(context.variables or {}, ())]
        if context.query:
            problems.extend(_in_document(context.query))
        if problems:
            errors = [user_error(ErrorCode.INVALID_INPUT, path, message) for path, message in problems]
            context.result = GraphQLExecutionResult(data=None, errors=[graphql_error(DomainError(errors))])
        yield


def _in_value(value: Any, path: tuple[str | int, ...]) -> Iterator[Problem]:
    if isinstance(value, str):
        if (problem := text_problem(value)) is not None:
            yield path, problem
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (problem := text_problem(key)) is not None:
                yield path, f"a key {problem}"
            else:
                yield from _in_value(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _in_value(item, (*path, i))


@lru_cache(maxsize=512)
def _in_document(query: str) -> tuple[Problem, ...]:
    """The strings written in the document (arguments, variables' defaults) that the rule refuses; a
    document that does not parse has none here (the parser answers it)."""
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except Exception:  # noqa: BLE001 - a syntax error is the parser's to answer, before this runs
        return ()
    return tuple(_in_node(document))


def _in_node(node: Node) -> Iterator[Problem]:
    if isinstance(node, ArgumentNode):
        yield from _in_literal(node.value, (node.name.value,))
        return
    if isinstance(node, VariableDefinitionNode) and node.default_value is not None:
        yield from _in_literal(node.default_value, (node.variable.name.value,))
    for key in node.keys:
        child = getattr(node, key, None)
        children = child if isinstance(child, tuple | list) else (child,)
        for item in children:
            if isinstance(item, Node) and not isinstance(item, DocumentNode | StringValueNode):
                yield from _in_node(item)


def _in_literal(node: Node, path: tuple[str | int, ...]) -> Iterator[Problem]:
    if isinstance(node, StringValueNode):
        if (problem := text_problem(node.value)) is not None:
            yield path, problem
    elif isinstance(node, ObjectValueNode):
        for field in node.fields:
            yield from _in_literal(field.value, (*path, field.name.value))
    elif isinstance(node, ListValueNode):
        for i, item in enumerate(node.values):
            yield from _in_literal(item, (*path, i))
