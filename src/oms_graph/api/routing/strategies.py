"""Routing strategies and location groups in the schema (ADMIN writes, INTEGRATION and ANALYST read)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from oms_graph.api.context import Info
from oms_graph.api.errors import UserError, command, reading
from oms_graph.api.permissions import roles
from oms_graph.db import models
from oms_graph.domain import strategies as rules
from oms_graph.domain.access import Role
from oms_graph.domain.orders import FulfilmentMethod
from oms_graph.services.routing import strategies as service


@strawberry.input(description="Every part given must hold (a list: any of its values); none given: every order.")
class RoutingConditionInput:
    countries: list[str] | None = None
    regions: list[str] | None = None
    postal_prefixes: list[str] | None = None
    categories: list[str] | None = strawberry.field(default=None, description="Any line of one of them.")
    min_value: Decimal | None = strawberry.field(default=None, description="The lines' total, at least.")
    max_value: Decimal | None = None
    min_weight_grams: int | None = strawberry.field(default=None, description="The units routed, at least.")
    max_weight_grams: int | None = None
    method: FulfilmentMethod | None = None
    placed_from: date | None = strawberry.field(default=None, description="A date window, both ends included.")
    placed_to: date | None = None
    customer_tags: list[str] | None = strawberry.field(default=None, description="The customer has any of them.")


@strawberry.input(description="What a matching rule changes; unset parts keep the channel's routing profile.")
class RoutingEffectInput:
    allow_groups: list[str] | None = strawberry.field(default=None, description="Only locations of these groups.")
    exclude_groups: list[str] | None = strawberry.field(default=None, description="Never locations of these.")
    distance_weight: float | None = None
    cost_weight: float | None = None
    priority_weight: float | None = None
    split_penalty: float | None = None
    max_splits: int | None = None
    ship_from_store: bool | None = None
    preferred_carrier: str | None = strawberry.field(default=None, description="For orders that name none.")


@strawberry.input
class RoutingRuleInput:
    name: str
    condition: RoutingConditionInput | None = None
    effect: RoutingEffectInput | None = None

    def rule(self) -> rules.Rule:
        c, e = self.condition or RoutingConditionInput(), self.effect or RoutingEffectInput()

        def some(values: list[str] | None) -> frozenset[str] | None:
            return None if values is None else frozenset(values)

        return rules.Rule(
            name=self.name,
            condition=rules.Condition(
                countries=None if c.countries is None else frozenset(v.upper() for v in c.countries),
                regions=some(c.regions),
                postal_prefixes=None if c.postal_prefixes is None else tuple(c.postal_prefixes),
                categories=some(c.categories),
                min_value=c.min_value,
                max_value=c.max_value,
                min_weight_grams=c.min_weight_grams,
                max_weight_grams=c.max_weight_grams,
                method=c.method,
                placed_from=c.placed_from,
                placed_to=c.placed_to,
                customer_tags=some(c.customer_tags),
            ),
            effect=rules.Effect(
                allow_groups=None if e.allow_groups is None else tuple(e.allow_groups),
                exclude_groups=tuple(e.exclude_groups or ()),
                distance_weight=e.distance_weight,
                cost_weight=e.cost_weight,
                priority_weight=e.priority_weight,
                split_penalty=e.split_penalty,
                max_splits=e.max_splits,
                ship_from_store=e.ship_from_store,
                preferred_carrier=e.preferred_carrier,
            ),
        )


@strawberry.input
class RoutingStrategyInput:
    channel: str
    rules: list[RoutingRuleInput] = strawberry.field(description="In order: the first whose condition holds applies.")
    activates_at: datetime | None = strawberry.field(default=None, description="Default: now.")
    note: str | None = None


@strawberry.input
class LocationGroupInput:
    code: str
    name: str
    location_codes: list[str]


@strawberry.type
class LocationGroup:
    code: str
    name: str
    location_codes: list[str]

    @classmethod
    def of(cls, row: models.LocationGroup) -> LocationGroup:
        return cls(code=row.code, name=row.name, location_codes=list(row.location_codes["codes"]))


@strawberry.type(description="A version of a channel's routing strategy: its rules, as saved.")
class RoutingStrategy:
    version: int
    rules: strawberry.scalars.JSON = strawberry.field(description="The rules in order, as stored.")
    note: str | None
    created_at: datetime
    created_by: str
    active: bool = strawberry.field(description="The version routing uses now.")
    activations: list[datetime] = strawberry.field(description="When it was (or will be) made active, newest first.")


@strawberry.type
class RoutingStrategyPayload:
    strategy: RoutingStrategy | None
    errors: list[UserError]


@strawberry.type
class LocationGroupsPayload:
    groups: list[LocationGroup]
    errors: list[UserError]


def _shown(
    row: models.RoutingStrategy, active: int | None, activations: list[models.StrategyActivation]
) -> RoutingStrategy:
    return RoutingStrategy(
        version=row.version,
        rules=row.rules["rules"],
        note=row.note,
        created_at=row.created_at,
        created_by=row.created_by,
        active=row.version == active,
        activations=[a.activates_at for a in activations if a.version == row.version],
    )


async def _answer(info: Info, channel: str, version: int) -> RoutingStrategy:
    async with reading(info) as session:
        versions, activations, active = await service.strategies_of(session, channel_code=channel)
    return next(_shown(v, active, activations) for v in versions if v.version == version)


@strawberry.type
class StrategyQuery:
    @strawberry.field(
        extensions=roles(Role.INTEGRATION, Role.ANALYST),
        description="A channel's routing strategy versions, newest first, with the one in force now.",
    )
    async def routing_strategies(self, info: Info, channel: str) -> list[RoutingStrategy]:
        async with reading(info) as session:
            versions, activations, active = await service.strategies_of(session, channel_code=channel)
        return [_shown(v, active, activations) for v in versions]

    @strawberry.field(extensions=roles(Role.INTEGRATION, Role.ANALYST))
    async def location_groups(self, info: Info) -> list[LocationGroup]:
        async with reading(info) as session:
            return [LocationGroup.of(g) for g in await service.location_groups(session)]


@strawberry.type
class StrategyMutation:
    @strawberry.mutation(extensions=roles(), description="Create or replace location groups by code, all or none.")
    async def upsert_location_groups(self, info: Info, input: list[LocationGroupInput]) -> LocationGroupsPayload:
        actor = info.context.caller.name
        done, errors = await command(info, lambda s: service.upsert_location_groups(s, inputs=input, actor=actor))
        return LocationGroupsPayload(groups=[LocationGroup.of(g) for g in done or []], errors=errors)

    @strawberry.mutation(
        extensions=roles(), description="Save the channel's strategy as its next version, active from `activatesAt`."
    )
    async def save_routing_strategy(self, info: Info, input: RoutingStrategyInput) -> RoutingStrategyPayload:
        actor = info.context.caller.name
        done, errors = await command(
            info,
            lambda s: service.save_strategy(
                s,
                channel_code=input.channel,
                strategy=[r.rule() for r in input.rules],
                activates_at=input.activates_at,
                note=input.note,
                actor=actor,
            ),
        )
        if done is None:
            return RoutingStrategyPayload(strategy=None, errors=errors)
        return RoutingStrategyPayload(strategy=await _answer(info, input.channel, done.version), errors=[])

    @strawberry.mutation(extensions=roles(), description="Route the channel's orders by an earlier version again.")
    async def activate_routing_strategy(
        self, info: Info, channel: str, version: int, activates_at: datetime | None = None
    ) -> RoutingStrategyPayload:
        actor = info.context.caller.name
        done, errors = await command(
            info,
            lambda s: service.activate_strategy(
                s, channel_code=channel, version=version, activates_at=activates_at, actor=actor
            ),
        )
        if done is None:
            return RoutingStrategyPayload(strategy=None, errors=errors)
        return RoutingStrategyPayload(strategy=await _answer(info, channel, version), errors=[])
