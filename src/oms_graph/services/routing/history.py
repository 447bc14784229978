"""An order's routing history: every decision (routed, re-routed, transfers planned, backordered) kept in
order with its explanation as it was then, written in the transaction that made it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.dialect import insert_rows
from oms_graph.db.models import RoutingRecord
from oms_graph.domain import routing as scoring
from oms_graph.domain.routing import DecisionKind

history_table = cast(Table, RoutingRecord.__table__)
Entry = dict[str, Any]  # a row of routing_history to write


def entry(order_id: uuid.UUID, kind: DecisionKind, explanation: dict[str, Any], *, at: datetime, actor: str) -> Entry:
    return {"order_id": order_id, "kind": kind.value, "at": at, "actor": actor, "explanation": explanation}


def backorder(
    demand: scoring.Demand,
    considered: Iterable[scoring.Candidate],
    profile: scoring.Profile,
    *,
    profile_name: str,
    at: datetime,
    destination: dict[str, Any],
    excluded: frozenset[Any] = frozenset(),
    outside_pool: frozenset[Any] = frozenset(),
    strategy: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Why nowhere could serve the order: its lines; each location holding any of them, with its reasons;
    the skus no location holds at all; and whether all of them together hold enough (then the profile's
    splits, capacity or ship-from-store stood in the way)."""
    candidates = list(considered)
    refused = scoring.refusals(demand, candidates, profile, excluded=excluded, outside_pool=outside_pool)
    held = {sku: sum(c.stock.get(sku, 0) for c in candidates) for sku in demand.lines}
    return {
        "decidedAt": at.isoformat(),
        "profile": profile_name,
        "destination": destination,
        "strategy": strategy,
        "lines": [{"sku": sku, "quantity": n} for sku, n in sorted(demand.lines.items())],
        "considered": [{"locationCode": r.code, "reasons": list(r.reasons)} for r in refused],
        "nowhere": sorted(sku for sku, n in held.items() if n == 0),
        "enoughTogether": all(held[sku] >= n for sku, n in demand.lines.items()),
    }


async def keep(session: AsyncSession, entries: Iterable[Entry]) -> None:
    await insert_rows(session, history_table, list(entries))
