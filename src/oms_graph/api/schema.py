"""The schema: one Query and one Mutation composed from the areas."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.tools import merge_types

from oms_graph.api.catalog.mutations import CatalogMutation
from oms_graph.api.catalog.query import CatalogQuery
from oms_graph.api.catalog.types import Channel, Location, Product
from oms_graph.api.node_query import NodeQuery
from oms_graph.api.stock.mutations import StockMutation
from oms_graph.api.stock.query import StockQuery
from oms_graph.metrics import OperationMetrics

Query = merge_types("Query", (NodeQuery, CatalogQuery, StockQuery))
Mutation = merge_types("Mutation", (CatalogMutation, StockMutation))

MAX_QUERY_DEPTH = 12
MAX_ALIASES = 30


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None):  # type: ignore[no-untyped-def]
        # Errors with a code are answers to the caller (denied, bad input), not faults worth a traceback.
        faults = [e for e in errors if not (e.extensions or {}).get("code")]
        if faults:
            super().process_errors(faults, execution_context)


def build_schema() -> strawberry.Schema:
    # The limiters build their validation rule classes once; reusing the same instances keeps
    # the rule list identical between requests, which is what lets ValidationCache hit.
    limits = [QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH), MaxAliasesLimiter(max_alias_count=MAX_ALIASES)]
    return Schema(
        query=Query,
        mutation=Mutation,
        types=[Channel, Location, Product],
        extensions=[
            lambda: ParserCache(maxsize=512),
            *[lambda limit=limit: limit for limit in limits],
            lambda: ValidationCache(maxsize=512),
            OperationMetrics,
        ],
    )


schema = build_schema()


def export_sdl() -> str:
    return schema.as_str() + "\n"
