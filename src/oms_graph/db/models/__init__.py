"""Every model, imported so that Base.metadata knows them all."""

from oms_graph.db.models.analytics import FulfilmentTimeDay, SalesDay, SummaryWatermark
from oms_graph.db.models.audit import AuditEntry
from oms_graph.db.models.auth import ApiKey
from oms_graph.db.models.catalog import (
    AvailabilityPool,
    Channel,
    ChannelPromise,
    ChannelSupplyPolicy,
    Location,
    LocationDay,
    Product,
)
from oms_graph.db.models.connectors import Connector, ConnectorCall
from oms_graph.db.models.fulfilment import Fulfilment, FulfilmentLine, Shipment
from oms_graph.db.models.imports import StockImport, StockImportChunk, StockImportDifference, StockImportRow
from oms_graph.db.models.notifications import MessageTemplate, Notification
from oms_graph.db.models.orders import Order, OrderEvent, OrderLine
from oms_graph.db.models.payments import Appeasement, PaymentTransaction
from oms_graph.db.models.returns import Return, ReturnLine
from oms_graph.db.models.routing import (
    LocationGroup,
    RoutingProfile,
    RoutingRecord,
    RoutingSimulation,
    RoutingStrategy,
    SimulatedOrder,
    StrategyActivation,
)
from oms_graph.db.models.stock import StockLevel, StockMovement
from oms_graph.db.models.supply import InboundSupply
from oms_graph.db.models.transfers import Transfer, TransferLine, TransitTime
from oms_graph.db.models.webhooks import AvailabilityCursor, AvailabilitySent, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Connector",
    "ConnectorCall",
    "ApiKey",
    "AuditEntry",
    "AvailabilityCursor",
    "AvailabilityPool",
    "AvailabilitySent",
    "Channel",
    "ChannelPromise",
    "ChannelSupplyPolicy",
    "Fulfilment",
    "FulfilmentTimeDay",
    "FulfilmentLine",
    "InboundSupply",
    "Location",
    "LocationDay",
    "MessageTemplate",
    "Notification",
    "Order",
    "OrderEvent",
    "OrderLine",
    "PaymentTransaction",
    "Appeasement",
    "Product",
    "Return",
    "ReturnLine",
    "RoutingProfile",
    "RoutingRecord",
    "RoutingStrategy",
    "StrategyActivation",
    "LocationGroup",
    "RoutingSimulation",
    "SimulatedOrder",
    "SalesDay",
    "Shipment",
    "StockImport",
    "StockImportChunk",
    "StockImportDifference",
    "StockImportRow",
    "StockLevel",
    "StockMovement",
    "SummaryWatermark",
    "Transfer",
    "TransferLine",
    "TransitTime",
    "WebhookDelivery",
    "WebhookEndpoint",
]
