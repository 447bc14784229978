"""Calls through connectors from the actors: the carrier a name stands for (a connector set up as data first,
then one configured in the environment), and each call logged with its timing and outcome."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from oms_graph.adapters.carriers import Carrier, carrier_named, connected_carrier
from oms_graph.adapters.marketplaces import shipping_of
from oms_graph.adapters.payments import PaymentProvider, connected_provider, provider_named
from oms_graph.domain.connectors import ConnectorKind
from oms_graph.services import connectors
from oms_graph.services.connectors import Configured
from oms_graph.tasks.context import database, runtime


async def carrier(name: str) -> tuple[Carrier, Configured | None]:
    """The carrier of that name, and its connector when one is set up: a carrier connector, else a
    marketplace that carries its own postings (Ozon), else one configured in the environment."""
    async with database().read() as session:
        connector = await connectors.configured(session, name=name, kind=ConnectorKind.CARRIER)
        market = await connectors.configured(session, name=name, kind=ConnectorKind.MARKETPLACE)
    if connector is not None:
        return connected_carrier(connector.adapter, connector.name, connector.settings, connector.secrets), connector
    if market is not None and (ships := shipping_of(market.adapter, market.name, market.settings, market.secrets)):
        return ships, market
    return carrier_named(name, http_carriers=runtime().settings.http_carriers), None


async def payment_provider(name: str) -> tuple[PaymentProvider, Configured | None]:
    """The payment provider of that name, and its connector when one is set up (first), else one registered
    in code or configured in the environment."""
    async with database().read() as session:
        connector = await connectors.configured(session, name=name, kind=ConnectorKind.PAYMENT)
    if connector is None:
        return provider_named(name, http_providers=runtime().settings.http_payment_providers), None
    return connected_provider(connector.adapter, connector.name, connector.settings, connector.secrets), connector


def logged(connector: Configured | None, operation: str) -> AbstractAsyncContextManager[None]:
    """Time the block's call and record it on the connector (services.connectors.called)."""
    return connectors.called(database(), connector, operation)
