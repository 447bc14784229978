"""What is on its way to the locations that ship, per sku: inbound supply still due, and transfers serving
no order that will land there. Availability by date reads it (domain.supply.available_from)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import InboundSupply, Location, Product, Transfer, TransferLine
from oms_graph.domain.supply import SupplyStatus
from oms_graph.domain.transfers import OPEN


@dataclass
class Arrivals:
    """Per sku: (when, units) of supply due and of free transfers landing, and what orders were promised
    against supply already."""

    supply: dict[str, list[tuple[datetime, int]]] = field(default_factory=lambda: defaultdict(list))
    transfers: dict[str, list[tuple[datetime, int]]] = field(default_factory=lambda: defaultdict(list))
    promised_future: dict[str, int] = field(default_factory=dict)


async def arrivals(session: AsyncSession, *, skus: Sequence[str]) -> Arrivals:
    """Three statements, whatever the number of skus."""
    found = Arrivals()
    ships = (Location.active.is_(True)) & (Location.can_ship.is_(True))
    for sku, at, due in await session.execute(
        select(InboundSupply.sku, InboundSupply.expected_at, InboundSupply.quantity - InboundSupply.quantity_received)
        .join(Location, Location.id == InboundSupply.location_id)
        .where(InboundSupply.sku.in_(skus), InboundSupply.status == SupplyStatus.OPEN, ships)
    ):
        found.supply[sku].append((at, int(due)))
    for sku, lands, units in await session.execute(
        select(
            TransferLine.sku, Transfer.expected_at, func.coalesce(TransferLine.quantity_picked, TransferLine.quantity)
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
    ):
        if lands is not None:  # filtered; for the type checker
            found.transfers[sku].append((lands, int(units)))
    found.promised_future = dict(
        (await session.execute(select(Product.sku, Product.promised_future).where(Product.sku.in_(skus)))).all()
    )
    return found
