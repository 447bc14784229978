"""What oms-graph asks of a marketplace's seller API, and the adapter a connector names."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from oms_graph.adapters.carriers.base import Carrier
from oms_graph.adapters.outbound import Answer, Unreachable, send
from oms_graph.domain.marketplaces import Posting, Returned


class MarketplaceError(Exception):
    """The marketplace refused or failed; `permanent` ones are not worth trying again as they are."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


ATTEMPTS = 3
BACKOFF_SECONDS = 0.2


async def call(
    name: str,
    method: str,
    url: str,
    *,
    try_seconds: float,
    headers: dict[str, str],
    told: Callable[[Answer], str],
    json: Any = None,
    allow: tuple[int, ...] = (),
) -> Answer:
    """A call to a marketplace's API: timeouts and 5xx tried again (outbound.send), a 429 (its rate limit)
    waited out with backoff; MarketplaceError when it stays unreachable or limited (transient) or answers
    another 4xx not in `allow` (permanent, with what `told` reads of the answer)."""
    for attempt in range(ATTEMPTS):
        if attempt:
            await asyncio.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        try:
            answer = await send(
                method,
                url,
                attempts=ATTEMPTS,
                backoff=BACKOFF_SECONDS,
                try_seconds=try_seconds,
                json=json,
                headers=headers,
            )
        except Unreachable as error:
            raise MarketplaceError(f"{name} unreachable after {ATTEMPTS} attempts ({error})") from None
        if answer.status_code != 429:
            break
    if answer.status_code == 429:
        raise MarketplaceError(f"{name}: rate limited ({told(answer)})")
    if answer.status_code >= 400 and answer.status_code not in allow:
        raise MarketplaceError(f"{name} refused: HTTP {answer.status_code} {told(answer)}", permanent=True)
    return answer


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
