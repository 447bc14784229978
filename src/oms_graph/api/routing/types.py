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
from oms_graph.api.orders.geocodes import Geocode
from oms_graph.api.orders.types import SkuQuantity
from oms_graph.db import models
from oms_graph.domain.routing import DecisionKind, Profile


@strawberry.input
class RoutingProfileInput:
    channel: str = strawberry.field(description="Channel code; the profile applies to that channel's orders.")
    distance_weight: float
    cost_weight: float
    priority_weight: float
    split_penalty: float
    max_splits: int
    allow_ship_from_store: bool
    allow_transfer_to_pickup: bool | None = strawberry.field(
        default=None,
        description="A pickup its store cannot hold whole gets the missing units by transfer (ship-to-store), and a "
        "pickup the store rejects is brought from elsewhere; not given: unchanged.",
    )
    split_for_supply: bool | None = strawberry.field(
        default=None,
        description="A delivery order stock can promise only in part, the rest sold against inbound supply, ships "
        "what stock has at once and the rest when the supply arrives (else all of it then); not given: unchanged.",
    )
    exchange_before_return: bool | None = strawberry.field(
        default=None,
        description="An exchange's replacement ships at once, before the returned units arrive (else once they are "
        "received); not given: unchanged.",
    )


@strawberry.type(description="How a channel's orders are routed; the defaults apply until one is set.")
class RoutingProfile:
    channel: Channel
    distance_weight: float
    cost_weight: float
    priority_weight: float
    split_penalty: float
    max_splits: int
    allow_ship_from_store: bool
    allow_transfer_to_pickup: bool = strawberry.field(
        description="Ship-to-store: missing units of a pickup come to its store by transfer (off by default)."
    )
    split_for_supply: bool = strawberry.field(
        description="What stock has ships at once, the rest when its supply arrives (off by default)."
    )
    exchange_before_return: bool = strawberry.field(
        description="An exchange's replacement ships before the returned units arrive (off by default)."
    )

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
            allow_transfer_to_pickup=profile.allow_transfer_to_pickup,
            split_for_supply=profile.split_for_supply,
            exchange_before_return=profile.exchange_before_return,
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
    transfer_to_id: strawberry.Private[uuid.UUID | None] = None

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_model(await loaders.location(info).load(self.location_id))

    @strawberry.field(
        description="Ship-to-store: these units leave the location by transfer to this pickup store (null: the "
        "location fulfils them itself)."
    )
    async def transfer_to(self, info: Info) -> Location | None:
        if self.transfer_to_id is None:
            return None
        return Location.from_model(await loaders.location(info).load(self.transfer_to_id))


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
                    transfer_to_id=uuid.UUID(a["transferToId"]) if a.get("transferToId") else None,
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
    ready_by: datetime | None = strawberry.field(
        default=None, description="Ship-to-store: when the last transfer should be at the pickup store."
    )
    strategy_version: int | None = strawberry.field(
        default=None, description="The channel's routing strategy version it was routed by (none: the profile)."
    )
    strategy_rule: str | None = strawberry.field(
        default=None, description="The strategy's rule that matched the order (none: no rule did)."
    )
    destination: Geocode | None = strawberry.field(
        default=None,
        description="Where the engine measured distances to: the address's coordinates (GIVEN), where the "
        "geocoder placed it (with its precision), or, placed nowhere, the region it ranked by.",
    )

    @classmethod
    def of(cls, stored: dict[str, Any]) -> RoutingDecision:
        return cls(
            ready_by=datetime.fromisoformat(stored["readyBy"]) if stored.get("readyBy") else None,
            destination=Geocode.of(stored["destination"]) if stored.get("destination") else None,
            strategy_version=(stored.get("strategy") or {}).get("version"),
            strategy_rule=(stored.get("strategy") or {}).get("rule"),
            decided_at=datetime.fromisoformat(stored["decidedAt"]),
            profile=stored["profile"],
            chosen=RoutingPlan.of(stored["chosen"]),
            alternatives=[RoutingPlan.of(p) for p in stored["alternatives"]],
        )


strawberry.enum(DecisionKind, name="RoutingDecisionKind")


@strawberry.type(description="Why a location could not serve a backordered order.")
class RoutingRefusal:
    location_code: str
    reasons: list[str]


@strawberry.type(description="One routing decision of an order, as it was made.")
class RoutingHistoryEntry:
    kind: DecisionKind
    at: datetime
    actor: str
    decision: RoutingDecision | None = strawberry.field(
        description="ROUTED, REROUTED, TRANSFERS: the plan chosen then, with its alternatives."
    )
    lines: list[SkuQuantity] = strawberry.field(
        description="BACKORDERED: the units nowhere could serve; a pickup: the units reserved at its store."
    )
    considered: list[RoutingRefusal] = strawberry.field(
        description="BACKORDERED: every location holding any of them, and why it could not serve them."
    )
    nowhere: list[str] = strawberry.field(description="BACKORDERED: the skus no location holds at all.")
    enough_together: bool | None = strawberry.field(
        description="BACKORDERED: whether the locations together held enough (then splits, capacity or "
        "ship-from-store stood in the way)."
    )
    pickup_at: str | None = strawberry.field(description="A pickup: the store its units were reserved at.")
    transfer_to: str | None = strawberry.field(description="TRANSFERS: the store the transfers bring units to.")
    transfers: list[str] = strawberry.field(description="TRANSFERS after a rejection: the transfers' numbers.")

    @classmethod
    def of(cls, row: models.RoutingRecord) -> RoutingHistoryEntry:
        said = row.explanation
        decided = None
        if said.get("chosen"):  # a plan with the ones it beat
            decided = RoutingDecision.of({"profile": "", **said})
        elif said.get("plan"):  # transfers after a rejection: the sources' plan
            decided = RoutingDecision.of(
                {"decidedAt": said["decidedAt"], "profile": "", "chosen": said["plan"], "alternatives": []}
            )
        considered = [
            RoutingRefusal(location_code=c["locationCode"], reasons=c["reasons"]) for c in said.get("considered", [])
        ]
        return cls(
            kind=DecisionKind(row.kind),
            at=row.at,
            actor=row.actor,
            decision=decided,
            lines=[SkuQuantity(sku=line["sku"], quantity=line["quantity"]) for line in said.get("lines", [])],
            considered=considered,
            nowhere=said.get("nowhere", []),
            enough_together=said.get("enoughTogether"),
            pickup_at=said.get("pickupAt"),
            transfer_to=said.get("transferTo"),
            transfers=said.get("transfers", []),
        )
