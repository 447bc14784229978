"""What routing tells about a decision: what the engine is asked for an order (where it goes, and what a
strategy's rules look at), what the strategy changed on it, and the decision as order.routing and the
routing history keep it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from oms_graph.db.models import Order
from oms_graph.domain import routing as scoring
from oms_graph.domain.geocoding import Geocode, Precision
from oms_graph.domain.orders import FulfilmentMethod
from oms_graph.domain.strategies import Facts
from oms_graph.services.routing import strategies

Part = tuple[Any, str, dict[str, int]]  # a fulfilment to write: location id, its code, units per sku


def facts_of(
    in_force: strategies.InForce, order: Order, demand: dict[str, int], weights: dict[str, int]
) -> Callable[[], Facts]:
    """What a strategy's rules look at, for the units being routed (asked for only when there is one)."""
    return lambda: in_force.facts(
        address=order.delivery_address,
        lines=demand,
        weights=weights,
        value=order.subtotal,
        method=FulfilmentMethod(order.delivery_method),
        placed=order.created_at,
        customer=order.customer,
    )


def follow(order: Order, applied: strategies.Applied) -> None:
    """The order keeps the strategy version that first routed it, and the carrier its rule prefers when it
    named none."""
    if applied.version is not None and order.strategy_version is None:
        order.strategy_version = applied.version
    preferred = applied.rule.effect.preferred_carrier if applied.rule is not None else None
    if preferred and not order.carrier:
        order.carrier = preferred


def wanted(order: Order, demand: dict[str, int], weights: dict[str, int]) -> scoring.Demand:
    """What the engine is asked: the units, and where they go (the address's coordinates, else where the
    geocoder found it; else its region, else the channel's default region)."""
    where = destination(order)
    point = (
        (where["latitude"], where["longitude"])
        if where.get("latitude") is not None and where.get("longitude") is not None
        else None
    )
    return scoring.Demand(lines=demand, weights=weights, destination=point, region=where.get("region"))


def destination(order: Order) -> dict[str, Any]:
    """Where the order goes, as its routing explanation says: coordinates (GIVEN with the address, else as
    geocoded, with the precision), or a region to rank by."""
    address = order.delivery_address or {}
    if address.get("latitude") is not None and address.get("longitude") is not None:
        located = Geocode(address["latitude"], address["longitude"], Precision.GIVEN, "given")
    elif order.geocode:
        located = Geocode.of(order.geocode)
    else:
        located = Geocode(None, None, Precision.NONE, "none")
    return {**located.stored(), "region": address.get("region") or located.region}


def decided(order: Order, parts: list[Part], now: datetime) -> dict[str, Any]:
    """A routing decision as the history keeps it: a delivery's plan (order.routing), or where a pickup's
    units were reserved when it was placed."""
    if order.delivery_method == FulfilmentMethod.PICKUP:
        return {"decidedAt": now.isoformat(), "pickupAt": parts[0][1], "lines": _lines(parts[0][2])}
    return dict(order.routing or {})


def _lines(units: dict[str, int]) -> list[dict[str, Any]]:
    return [{"sku": sku, "quantity": n} for sku, n in sorted(units.items())]


def explained(
    decision: scoring.Decision,
    *,
    profile_name: str,
    at: datetime,
    destination: dict[str, Any],
    strategy: dict[str, Any] | None,
) -> dict[str, Any]:
    """The decision as stored on the order, for order.routing."""

    def plan(p: scoring.Plan) -> dict[str, Any]:
        return {
            "score": p.score,
            "factors": [{"name": f.name, "value": f.value, "weight": f.weight} for f in p.factors],
            "allocations": [
                {
                    "locationId": str(a.location.id),
                    "locationCode": a.location.code,
                    "lines": [{"sku": s, "quantity": q} for s, q in sorted(a.lines.items())],
                    "distanceKm": a.distance_km,
                    "cost": a.cost,
                }
                for a in p.allocations
            ],
        }

    assert decision.chosen is not None
    return {
        "decidedAt": at.isoformat(),
        "profile": profile_name,
        "destination": destination,
        "strategy": strategy,
        "chosen": plan(decision.chosen),
        "alternatives": [plan(p) for p in decision.alternatives],
    }
