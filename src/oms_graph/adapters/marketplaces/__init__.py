"""Marketplaces' seller APIs: orders in, cancellations both ways, stock out."""

from oms_graph.adapters.marketplaces.base import (
    Marketplace,
    MarketplaceError,
    Returning,
    marketplace_of,
    shipping_of,
)

__all__ = ["Marketplace", "MarketplaceError", "Returning", "marketplace_of", "shipping_of"]
