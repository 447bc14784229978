"""Marketplaces' seller APIs: orders in, cancellations and stock out."""

from oms_graph.adapters.marketplaces.ozon import MarketplaceError, OzonSeller

__all__ = ["MarketplaceError", "OzonSeller"]
