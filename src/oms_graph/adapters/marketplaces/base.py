"""What oms-graph asks of a marketplace's seller API, and the adapter a connector names."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from oms_graph.adapters.carriers.base import Carrier
from oms_graph.domain.marketplaces import Posting, Returned


class MarketplaceError(Exception):
    """The marketplace refused or failed; `permanent` ones are not worth trying again as they are."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Marketplace(Protocol):
    name: str

    def postings(self, since: datetime, to: datetime) -> AsyncIterator[Posting]:
        """The postings (orders the seller ships) made in the window, page by page, oldest first."""
        ...

    async def cancelled_among(self, numbers: Sequence[str], since: datetime) -> dict[str, str | None]:
        """Which of these postings (made since `since`) the marketplace has cancelled, with its reason."""
        ...

    async def cancel(self, number: str, *, out_of_stock: bool, message: str) -> None: ...

    async def push_stock(self, figures: Mapping[str, int], barcodes: Mapping[str, str]) -> set[str]:
        """Set the seller's stock at the marketplace's warehouse per sku (`barcodes`: the skus' EANs, for a
        marketplace that counts by barcode); the skus it did not take, to send again."""
        ...


@runtime_checkable
class Returning(Protocol):
    """A marketplace that lists the returns its buyers send back to the seller."""

    def returns(self, since: datetime, to: datetime) -> AsyncIterator[Returned]:
        """The returns whose state changed in the window."""
        ...


def marketplace_of(adapter: str, name: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> Marketplace:
    from oms_graph.adapters.marketplaces.ozon import OzonSeller
    from oms_graph.adapters.marketplaces.wildberries import WildberriesSeller

    if adapter == "ozon":
        return OzonSeller(name, settings, secrets)
    if adapter == "wildberries":
        return WildberriesSeller(name, settings, secrets)
    raise MarketplaceError(f"no marketplace adapter {adapter!r}", permanent=True)


def shipping_of(adapter: str, name: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> Carrier | None:
    """The carrier a marketplace is for its own postings (Ozon's FBS logistics); None when it is not one."""
    from oms_graph.adapters.marketplaces.ozon import OzonSeller, OzonShipping

    return OzonShipping(OzonSeller(name, settings, secrets)) if adapter == "ozon" else None
