"""Reading and setting a channel's routing profile."""

from __future__ import annotations

import strawberry

from oms_graph.api.context import Info
from oms_graph.api.errors import check, command, denied, reading
from oms_graph.api.permissions import roles
from oms_graph.api.routing.types import RoutingProfile, RoutingProfileInput, RoutingProfilePayload
from oms_graph.domain.access import Role
from oms_graph.services.routing import profiles as routing_profiles


@strawberry.type
class RoutingQuery:
    @strawberry.field(extensions=roles(Role.INTEGRATION, Role.ANALYST, Role.STOREFRONT))
    async def routing_profile(self, info: Info, channel: str) -> RoutingProfile | None:
        caller = info.context.caller
        check(caller.may_use_channel(channel), lambda: denied("a STOREFRONT key sees its own channel only"))
        async with reading(info) as session:
            found, profile = await routing_profiles.routing_profile(session, channel_code=channel)
        return RoutingProfile.of(found, profile)


@strawberry.type
class RoutingMutation:
    @strawberry.mutation(extensions=roles())
    async def update_routing_profile(self, info: Info, input: RoutingProfileInput) -> RoutingProfilePayload:
        done, errors = await command(info, lambda s: routing_profiles.update_routing_profile(s, profile=input))
        return RoutingProfilePayload(routing_profile=RoutingProfile.of(*done) if done else None, errors=errors)
