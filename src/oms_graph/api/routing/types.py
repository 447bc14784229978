"""Routing profiles in the schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from oms_graph.api.catalog.types import Channel, Location
from oms_graph.api.context import Info
from oms_graph.api.errors import UserError
from oms_graph.api.fulfilment.types import FulfilmentLine
from oms_graph.api.orders import loaders
from oms_graph.db import models
from oms_graph.domain.routing import Profile


@strawberry.input
class RoutingProfileInput:
    channel: str = strawberry.field(description="Channel code; the profile applies to that channel's orders.")
    distance_weight: float
    cost_weight: float
    priority_weight: float
    split_penalty: float
    max_splits: int
    allow_ship_from_store: bool


@strawberry.type(description="How a channel's orders are routed; the defaults apply until one is set.")
class RoutingProfile:
    channel: Channel
    distance_weight: float
    cost_weight: float
    priority_weight: float
    split_penalty: float
    max_splits: int
    allow_ship_from_store: bool

    @classmethod
    def of(cls, channel: models.Channel, profile: Profile) -> RoutingProfile:
        return cls(
            channel=Channel.from_model(channel),
            distance_weight=profile.distance_weight,
            cost_weight=profile.cost_weight,
            priority_weight=profile.priority_weight,
            split_penalty=profile.split_penalty,
            max_splits=profile.max_splits,
            allow_ship_from_store=profile.allow_ship_from_store,
        )


@strawberry.type
class RoutingProfilePayload:
    routing_profile: RoutingProfile | None
    errors: list[UserError]


@strawberry.type
class RoutingFactor:
    name: str
    value: float
    weight: float


@strawberry.type
class RoutingAllocation:
    lines: list[FulfilmentLine]
    distance_km: float | None
    cost: Decimal | None
    location_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_model(await loaders.location(info).load(self.location_id))


@strawberry.type(description="Lower is better: the sum of each factor's value times its weight.")
class RoutingPlan:
    score: float
    allocations: list[RoutingAllocation]
    factors: list[RoutingFactor]

    @classmethod
    def of(cls, stored: dict[str, Any]) -> RoutingPlan:
        return cls(
            score=stored["score"],
            factors=[RoutingFactor(**f) for f in stored["factors"]],
            allocations=[
                RoutingAllocation(
                    location_id=uuid.UUID(a["locationId"]),
                    lines=[FulfilmentLine(sku=line["sku"], quantity=line["quantity"]) for line in a["lines"]],
                    distance_km=a["distanceKm"],
                    cost=None if a["cost"] is None else Decimal(str(a["cost"])),
                )
                for a in stored["allocations"]
            ],
        )


@strawberry.type(description="Why the order went where it went: the chosen plan and the best ones it beat.")
class RoutingDecision:
    decided_at: datetime
    profile: str
    chosen: RoutingPlan
    alternatives: list[RoutingPlan]

    @classmethod
    def of(cls, stored: dict[str, Any]) -> RoutingDecision:
        return cls(
            decided_at=datetime.fromisoformat(stored["decidedAt"]),
            profile=stored["profile"],
            chosen=RoutingPlan.of(stored["chosen"]),
            alternatives=[RoutingPlan.of(p) for p in stored["alternatives"]],
        )
