"""Routing beside channel pools: a pooled channel's orders go only to its pool's locations, and no order of
another channel takes from a pool the units that its channel's waiting orders were promised (the rule:
`domain.pools.Earmark`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.domain.pools import Earmark
from oms_graph.services.stock import figures, ledger, pools


@dataclass(frozen=True)
class Pools:
    feeding: dict[uuid.UUID, frozenset[uuid.UUID]]  # the locations each pooled channel's orders may go to
    earmarks: list[Earmark]


async def claims(session: AsyncSession, *, channels: Iterable[uuid.UUID], skus: list[str]) -> Pools:
    """Lock the promise rows of these skus for the routed orders' channels and every pooled channel (one
    batch, in key order, before any stock level), then read each pool's slack: after the lock, no placement
    or routing of a pooled channel's orders is half seen."""
    pooled = await pools.pooled_channels(session)
    keys = [(channel_id, sku) for channel_id in set(channels) | set(pooled) for sku in skus]
    held = await ledger.lock_channels(session, keys=keys)
    earmarks = []
    for channel_id, (pool, locations) in sorted(pooled.items()):
        free = await figures.pool_free(session, pool=pool, skus=skus)
        waiting = {sku: held[(channel_id, sku)].promised - held[(channel_id, sku)].routed for sku in skus}
        slack = {sku: free.get(sku, 0) - waiting[sku] for sku in skus}
        earmarks.append(Earmark(channel_id, frozenset(locations), slack))
    return Pools({channel_id: locations for channel_id, (_, locations) in pooled.items()}, earmarks)
