"""Routing profiles in the schema."""

from __future__ import annotations

import strawberry

from oms_graph.api.catalog.types import Channel
from oms_graph.api.errors import UserError
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
