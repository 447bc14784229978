"""A channel's availability pool in the schema: read on the channel, set by ADMIN."""

from __future__ import annotations

import strawberry

from oms_graph.api.errors import UserError
from oms_graph.domain.catalog import LocationKind
from oms_graph.domain.pools import Pool


@strawberry.type(description="Which locations feed a channel's availability and what is held back from it.")
class AvailabilityPool:
    location_kinds: list[LocationKind] | None = strawberry.field(description="Only locations of these kinds.")
    regions: list[str] | None = strawberry.field(description="Only locations in these regions.")
    location_codes: list[str] | None = strawberry.field(description="Only these locations.")
    buffer: int | None = strawberry.field(description="Units held back per sku.")
    buffer_percent: int | None = strawberry.field(
        description="Percent of the pool's free units held back per sku (the larger of this and `buffer`)."
    )
    cap: int | None = strawberry.field(description="The most the channel is shown or promised per sku.")
    low_stock_threshold: int | None = strawberry.field(
        description="Under this figure the channel is sent 0 (availabilityChanged, webhooks, snapshots)."
    )

    @classmethod
    def from_pool(cls, pool: Pool) -> AvailabilityPool:
        return cls(
            location_kinds=None
            if pool.location_kinds is None
            else [LocationKind(k) for k in sorted(pool.location_kinds)],
            regions=None if pool.regions is None else sorted(pool.regions),
            location_codes=None if pool.location_codes is None else sorted(pool.location_codes),
            buffer=pool.buffer,
            buffer_percent=pool.buffer_percent,
            cap=pool.cap,
            low_stock_threshold=pool.low_stock_threshold,
        )


@strawberry.input(description="A channel's pool; an unset part restricts nothing, all unset: the whole network.")
class AvailabilityPoolInput:
    channel: str
    location_kinds: list[LocationKind] | None = None
    regions: list[str] | None = None
    location_codes: list[str] | None = None
    buffer: int | None = None
    buffer_percent: int | None = None
    cap: int | None = None
    low_stock_threshold: int | None = None


@strawberry.type
class AvailabilityPoolPayload:
    pool: AvailabilityPool | None = strawberry.field(description="The pool now; null: the whole network.")
    errors: list[UserError]
