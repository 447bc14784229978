"""What a query costs, estimated before it runs, and the extension that refuses costly ones.

As Shopify counts: every object a query asks for costs 1 (scalars are free), a connection multiplies what
its items cost by `first` (the argument, its variable, or the schema's default; at most a page), a
mutation's root field costs 10. The estimate of the operation being run is reported in
`extensions.cost`; one above the maximum is refused (`QUERY_TOO_COSTLY`) before anything runs.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    value_from_ast,
)
from strawberry.extensions import SchemaExtension

from oms_graph.api.pagination import MAX_PAGE_SIZE
from oms_graph.api.throttle import DRAIN_SHARE_PER_SECOND

log = logging.getLogger(__name__)
MUTATION_COST = 10
OBJECTS = (GraphQLObjectType, GraphQLInterfaceType)
MAX_COST = 1000


class Estimate:
    """Walks one operation with the schema, the fragments and the variables it was sent with."""

    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        base = MUTATION_COST if operation.operation is OperationType.MUTATION else 0
        return sum(base + cost for cost in self._fields(operation.selection_set, root))

    def _fields(self, selections: SelectionSetNode, parent: Any) -> Iterator[int]:
        """The cost of each field selected on `parent` (fragments unfolded)."""
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                yield self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                on = self.schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                yield from self._fields(selection.selection_set, on)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    on = self.schema.get_type(fragment.type_condition.name.value)
                    yield from self._fields(fragment.selection_set, on)

    def _field(self, node: FieldNode, parent: Any) -> int:
        if not isinstance(parent, OBJECTS) or node.name.value not in parent.fields or node.selection_set is None:
            return 0  # a scalar, or a meta field (__typename; introspection has its own gate)
        definition = parent.fields[node.name.value]
        named = get_named_type(definition.type)
        if not isinstance(named, (*OBJECTS, GraphQLUnionType)):
            return 0
        items = sum(self._fields(node.selection_set, named))
        first = self._argument(node, definition, "first")
        # A page holds at most MAX_PAGE_SIZE rows; a larger `first` is refused by the page check itself.
        return 1 + (min(max(first, 0), MAX_PAGE_SIZE) * items if isinstance(first, int) else items)

    def _argument(self, node: FieldNode, definition: Any, name: str) -> Any:
        argument = definition.args.get(name)
        if argument is None:
            return None
        given = next((a for a in node.arguments or () if a.name.value == name), None)
        if given is None:
            return argument.default_value
        return value_from_ast(given.value, argument.type, self.variables)


def estimate(schema: GraphQLSchema, document: Any, operation_name: str | None, variables: dict[str, Any] | None) -> int:
    """The cost of the operation a request runs (the named one, or the only one)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if not chosen:
        return 0
    return Estimate(schema, fragments, variables or {}).operation(chosen[0])


class QueryCost(SchemaExtension):
    """Estimates each operation before it runs, refuses it above `maximum`, charges the caller's bucket
    (api/throttle.py) and refuses it when that is full, and reports the cost and the bucket."""

    def __init__(self, maximum: int = MAX_COST) -> None:
        self.maximum = maximum
        self.cost: int | None = None
        self.bucket: dict[str, float] | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            self.cost = estimate(
                context.schema._schema, context.graphql_document, context.operation_name, context.variables
            )
            if self.cost > self.maximum:
                message = f"query cost {self.cost} is over the maximum of {self.maximum}: ask for fewer objects"
                refuse(context, GraphQLError(message, extensions={"code": "QUERY_TOO_COSTLY"}))
            else:
                await self._charge(context)
        yield

    async def _charge(self, context: Any) -> None:
        buckets = getattr(context.context, "buckets", None)
        principal = getattr(context.context, "principal", None)
        if buckets is None or principal is None or self.cost is None:
            return
        capacity = context.context.settings.rate_limits.get(principal.role.value, 0)
        if capacity <= 0:  # no limit for the role
            return
        rate = capacity * DRAIN_SHARE_PER_SECOND
        try:
            taken = await buckets.take(principal.key_id, cost=self.cost, capacity=capacity, rate=rate)
        except Exception:  # the limiter's Redis is away: serve rather than refuse everyone
            log.warning("rate limiter unavailable; request let through", exc_info=True)
            return
        available = round(taken.available, 1)
        self.bucket = {"maximumAvailable": capacity, "currentlyAvailable": available, "restoreRate": rate}
        if not taken.allowed:
            wait = math.ceil(taken.retry_after * 10) / 10
            message = f"throttled: this key has {available:.0f} of the {self.cost} points asked; retry in {wait} s"
            refuse(context, GraphQLError(message, extensions={"code": "THROTTLED", "retryAfter": wait}))

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        cost: dict[str, Any] = {"requestedQueryCost": self.cost, "maximumQueryCost": self.maximum}
        if self.bucket is not None:
            cost["throttleStatus"] = self.bucket
        return {"cost": cost}


def refuse(context: Any, error: GraphQLError) -> None:
    """Answer with the error instead of running the operation."""
    context.result = GraphQLExecutionResult(data=None, errors=[error])
