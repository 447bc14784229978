"""What is on its way to the locations that ship, per sku: inbound supply still due, and transfers serving
no order that will land there; and from it, when a quantity can be promised (domain.supply.available_from)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import InboundSupply, Location, Product, Transfer, TransferLine
from oms_graph.domain import supply as rules
from oms_graph.domain.pools import Pool
from oms_graph.domain.supply import SupplyStatus
from oms_graph.domain.transfers import OPEN


@dataclass(frozen=True)
class Arrival:
    """Units of a sku landing at a location: inbound supply due, or a transfer."""

    at: datetime
    units: int
    location_code: str
    supply: bool


@dataclass
class Arrivals:
    """Per sku: what lands (supply due and free transfers), and what orders were promised against supply."""

    coming: dict[str, list[Arrival]] = field(default_factory=lambda: defaultdict(list))
    promised_future: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Dated:
    """A sku's earliest time a quantity can be promised (None: what is known to come is not enough), and what
    is on its way, by time."""

    available_from: datetime | None
    incoming: list[Arrival]


async def arrivals(session: AsyncSession, *, skus: Sequence[str], pool: Pool | None = None) -> Arrivals:
    """Three statements, whatever the number of skus; with a channel's `pool`, only what lands in it."""
    found = Arrivals()
    ships = (Location.active.is_(True)) & (Location.can_ship.is_(True))
    place = (Location.code, Location.kind, Location.region)
    supply = await session.execute(
        select(
            InboundSupply.sku,
            InboundSupply.expected_at,
            InboundSupply.quantity - InboundSupply.quantity_received,
            *place,
        )
        .join(Location, Location.id == InboundSupply.location_id)
        .where(InboundSupply.sku.in_(skus), InboundSupply.status == SupplyStatus.OPEN, ships)
    )
    transfers = await session.execute(
        select(
            TransferLine.sku,
            Transfer.expected_at,
            func.coalesce(TransferLine.quantity_picked, TransferLine.quantity),
            *place,
        )
        .join(Transfer, Transfer.id == TransferLine.transfer_id)
        .join(Location, Location.id == Transfer.to_location_id)
        .where(
            TransferLine.sku.in_(skus),
            Transfer.status.in_(sorted(OPEN)),
            Transfer.order_id.is_(None),  # a pickup's units are its customer's when they land
            Transfer.expected_at.is_not(None),
            ships,
        )
    )
    for rows, is_supply in ((supply, True), (transfers, False)):
        for sku, at, units, code, kind, region in rows:
            if at is not None and (pool is None or pool.feeds(code=code, kind=kind, region=region)):
                found.coming[sku].append(Arrival(at, int(units), code, is_supply))
    found.promised_future = dict(
        (await session.execute(select(Product.sku, Product.promised_future).where(Product.sku.in_(skus)))).all()
    )
    return found


async def dated(
    session: AsyncSession, *, available: Mapping[str, int], quantity: int, pool: Pool | None, now: datetime
) -> dict[str, Dated]:
    """Per sku of `available` (what can be promised now, on the channel when it has a pool): when `quantity`
    units can be promised, and what is on its way (into the pool, when there is one)."""
    found = await arrivals(session, skus=list(available), pool=pool)
    answer = {}
    for sku, now_there in available.items():
        coming = sorted(found.coming[sku], key=lambda a: (a.at, not a.supply, a.location_code))
        when = rules.available_from(
            now=now,
            available=now_there,
            supply=[(a.at, a.units) for a in coming if a.supply],
            transfers=[(a.at, a.units) for a in coming if not a.supply],
            promised_future=found.promised_future.get(sku, 0),
            quantity=quantity,
        )
        answer[sku] = Dated(when, coming)
    return answer
