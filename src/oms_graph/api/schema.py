"""The schema: one Query and one Mutation composed from the areas."""

from __future__ import annotations

import decimal
import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from oms_graph.api.analytics.query import AnalyticsQuery
from oms_graph.api.audit import AuditQuery
from oms_graph.api.catalog.calendars import CalendarMutation, CalendarQuery
from oms_graph.api.catalog.mutations import CatalogMutation
from oms_graph.api.catalog.query import CatalogQuery
from oms_graph.api.catalog.types import Channel, Location, Product
from oms_graph.api.connectors import ConnectorMutation, ConnectorQuery
from oms_graph.api.cost import MAX_COST, QueryCost
from oms_graph.api.fulfilment.options import DeliveryOptionsQuery
from oms_graph.api.fulfilment.schema import FulfilmentMutation, FulfilmentQuery
from oms_graph.api.input_text import InputText
from oms_graph.api.keys import KeyMutation, KeyQuery
from oms_graph.api.lean import LeanExecutionContext
from oms_graph.api.limits import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, IntrospectionGate
from oms_graph.api.message_templates import MessageTemplateMutation, MessageTemplateQuery
from oms_graph.api.node_query import NodeQuery
from oms_graph.api.orders.appeasements import AppeasementMutation
from oms_graph.api.orders.edits import EditMutation
from oms_graph.api.orders.mutations import OrderMutation
from oms_graph.api.orders.query import OrderQuery
from oms_graph.api.orders.types import Order
from oms_graph.api.returns.schema import ReturnMutation
from oms_graph.api.routing.schema import RoutingMutation, RoutingQuery
from oms_graph.api.routing.simulations import SimulationMutation, SimulationQuery
from oms_graph.api.routing.strategies import StrategyMutation, StrategyQuery
from oms_graph.api.scalars import DECIMAL
from oms_graph.api.stock.imports import ImportQuery
from oms_graph.api.stock.mutations import StockMutation
from oms_graph.api.stock.query import StockQuery
from oms_graph.api.subscriptions import Subscription
from oms_graph.api.supply.schema import SupplyMutation, SupplyQuery
from oms_graph.api.transfers.schema import TransferMutation, TransferQuery
from oms_graph.api.webhooks import WebhookMutation, WebhookQuery
from oms_graph.db.engine import UNAVAILABLE, database_lost
from oms_graph.metrics import OperationMetrics

Query = merge_types(
    "Query",
    (
        NodeQuery,
        CatalogQuery,
        StockQuery,
        ImportQuery,
        OrderQuery,
        FulfilmentQuery,
        TransferQuery,
        SupplyQuery,
        DeliveryOptionsQuery,
        RoutingQuery,
        StrategyQuery,
        CalendarQuery,
        SimulationQuery,
        WebhookQuery,
        KeyQuery,
        ConnectorQuery,
        MessageTemplateQuery,
        AuditQuery,
        AnalyticsQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        CatalogMutation,
        StockMutation,
        OrderMutation,
        RoutingMutation,
        StrategyMutation,
        CalendarMutation,
        SimulationMutation,
        AppeasementMutation,
        EditMutation,
        FulfilmentMutation,
        TransferMutation,
        SupplyMutation,
        ReturnMutation,
        WebhookMutation,
        KeyMutation,
        ConnectorMutation,
        MessageTemplateMutation,
    ),
)


log = logging.getLogger(__name__)


def is_fault(error: GraphQLError) -> bool:
    """An exception the code did not mean to answer with (a bug, a lost database), not a GraphQL error."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None):  # type: ignore[no-untyped-def]
        # Errors with a code are answers to the caller (denied, bad input), not faults worth a traceback;
        # nor is a database that is away for a moment (one line says so).
        faults = [e for e in errors if is_fault(e)]
        for error in faults:
            if database_lost(error.original_error):
                log.warning("database unavailable: %s", str(error.original_error).splitlines()[0])
        if bugs := [e for e in faults if not database_lost(e.original_error)]:
            super().process_errors(bugs, execution_context)


class MaskFaults(MaskErrors):
    """Faults are answered without internals (no SQL in responses): `internal error`, or `UNAVAILABLE`
    with a try-again message when the database could not be reached."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if not database_lost(error.original_error):
            return super().anonymise_error(error)
        return GraphQLError(
            UNAVAILABLE,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "UNAVAILABLE"},
        )


def build_schema() -> strawberry.Schema:
    # The limiters build their validation rule classes once; reusing the same instances keeps
    # the rule list identical between requests, which is what lets ValidationCache hit.
    limits = [QueryDepthLimiter(max_depth=MAX_DEPTH), MaxAliasesLimiter(max_alias_count=MAX_ALIASES)]
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Channel, Location, Product, Order],
        config=StrawberryConfig(scalar_map={decimal.Decimal: DECIMAL}),
        execution_context_class=LeanExecutionContext,  # large lists of plain objects in one pass
        extensions=[
            # Tokens are counted while parsing, so a huge document is refused before it is all parsed.
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: ParserCache(maxsize=512),
            *[lambda limit=limit: limit for limit in limits],
            lambda: ValidationCache(maxsize=512),
            IntrospectionGate,
            InputText,
            lambda: QueryCost(MAX_COST),
            OperationMetrics,
            lambda: MaskFaults(should_mask_error=is_fault, error_message="internal error"),
        ],
    )


schema = build_schema()


def export_sdl() -> str:
    return schema.as_str() + "\n"
