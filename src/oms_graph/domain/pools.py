"""Channel availability pools: which locations feed a channel's figure, what is held back, and the figure
itself. Pure: the same rules serve the figure shown, the promise taken at placement and the feed sent out.

A channel's figure for a sku is the smaller of the network's availableToPromise and its pool's room: the
pool's free units (positive available at its active SHIP locations) less what is held back (`buffer` units
or `bufferPercent` of the free units, the larger) less what the channel's orders were promised and wait to
be routed; never above `cap`. Under `lowStockThreshold` the figure sent out is 0.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, replace

from oms_graph.domain.catalog import check_non_negative
from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.domain.routing import Candidate

MAX_POOL_CODES = 1000


@dataclass(frozen=True)
class Pool:
    location_kinds: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    location_codes: frozenset[str] | None = None
    buffer: int | None = None
    buffer_percent: int | None = None
    cap: int | None = None
    low_stock_threshold: int | None = None

    def feeds(self, *, code: str, kind: str, region: str) -> bool:
        """Whether a location feeds the pool: it matches every part that is set."""
        return (
            (self.location_kinds is None or kind in self.location_kinds)
            and (self.regions is None or region in self.regions)
            and (self.location_codes is None or code in self.location_codes)
        )

    def held_back(self, free: int) -> int:
        """Units of a sku held back from the channel when its pool has `free` units."""
        percent = -(-free * (self.buffer_percent or 0) // 100)  # rounded up: a hold never rounds to nothing
        return max(self.buffer or 0, percent)

    def room(self, *, free: int, waiting: int) -> int:
        """What the channel can still be promised of a sku from its pool: `waiting` units are promised to
        its orders and not yet reserved at a location."""
        room = max(0, free - self.held_back(free) - waiting)
        return room if self.cap is None else min(room, self.cap)

    def sent(self, figure: int) -> int:
        """The figure sent out: 0 under the low-stock threshold."""
        return 0 if self.low_stock_threshold is not None and figure < self.low_stock_threshold else figure


def figure(pool: Pool | None, *, network: int, free: int, waiting: int) -> int:
    """A channel's availableToPromise of a sku: the network's, within its pool when it has one."""
    if pool is None:
        return max(0, network)
    return max(0, min(network, pool.room(free=free, waiting=waiting)))


@dataclass
class Earmark:
    """A pooled channel's claim on its pool while routing: per sku, the pool's free units that its waiting
    orders do not need (`slack`). An order of any other channel takes no more than that from the pool's
    locations, so the channel's promise stays covered by its pool."""

    channel_id: Hashable
    locations: frozenset[Hashable]
    slack: dict[str, int]


def within_earmarks(candidates: list[Candidate], earmarks: Iterable[Earmark], channel_id: Hashable) -> list[Candidate]:
    """The candidates an order of `channel_id` may take from: at most each other pooled channel's slack
    from that channel's pool (the locations first by code keep their units, the rest are cut)."""
    stock = {c.id: dict(c.stock) for c in candidates}
    for mark in earmarks:
        if mark.channel_id == channel_id:
            continue
        for sku, slack in mark.slack.items():
            left = max(0, slack)
            for c in sorted(candidates, key=lambda c: c.code):
                if c.id in mark.locations and sku in stock[c.id]:
                    stock[c.id][sku] = min(stock[c.id][sku], left)
                    left -= stock[c.id][sku]
    return [replace(c, stock={sku: n for sku, n in stock[c.id].items() if n > 0}) for c in candidates]


def spend(earmarks: Iterable[Earmark], channel_id: Hashable, taken: Mapping[Hashable, Mapping[str, int]]) -> None:
    """An order of `channel_id` took `taken` (units per sku by location): the other pools' slack shrinks by
    what it took from their locations (a pooled channel's own orders leave its slack as it was: its free
    units and what its orders wait for go down together)."""
    for mark in earmarks:
        if mark.channel_id == channel_id:
            continue
        for location, lines in taken.items():
            if location in mark.locations:
                for sku, n in lines.items():
                    if sku in mark.slack:
                        mark.slack[sku] -= n


def check_pool(
    errors: ErrorList,
    pool: Pool,
    *,
    known_kinds: Iterable[str],
    known_codes: Iterable[str],
) -> None:
    """A pool definition's parts: known kinds and codes, non-negative numbers, a percent up to 100."""
    kinds, codes = set(known_kinds), set(known_codes)
    for kind in sorted(pool.location_kinds or ()):
        if kind not in kinds:
            errors.add(ErrorCode.INVALID_INPUT, ["input", "locationKinds"], f"no location kind {kind!r}")
    for code in sorted(pool.location_codes or ()):
        if code not in codes:
            errors.add(ErrorCode.UNKNOWN_LOCATION, ["input", "locationCodes"], f"no location with code {code!r}")
    if len(pool.location_codes or ()) > MAX_POOL_CODES:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "locationCodes"], f"at most {MAX_POOL_CODES} locations")
    for region in sorted(pool.regions or ()):
        if not region.strip() or len(region) > 100:
            errors.add(ErrorCode.INVALID_INPUT, ["input", "regions"], "a region is 1 to 100 characters")
    for name, value in (
        ("buffer", pool.buffer),
        ("bufferPercent", pool.buffer_percent),
        ("cap", pool.cap),
        ("lowStockThreshold", pool.low_stock_threshold),
    ):
        check_non_negative(errors, value, ["input", name])
    if pool.buffer_percent is not None and pool.buffer_percent > 100:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "bufferPercent"], "at most 100")
