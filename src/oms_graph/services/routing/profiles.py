"""Routing profiles: a channel's routing preferences, with the engine's defaults where none is set."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import insert_for
from oms_graph.db.models import Channel, RoutingProfile
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.routing import Profile
from oms_graph.services import audit

MAX_SPLITS_LIMIT = 20
WEIGHTS = {
    "distance_weight": "distanceWeight",
    "cost_weight": "costWeight",
    "priority_weight": "priorityWeight",
    "split_penalty": "splitPenalty",
}


class ProfileFields(Protocol):
    @property
    def channel(self) -> str: ...
    @property
    def distance_weight(self) -> float: ...
    @property
    def cost_weight(self) -> float: ...
    @property
    def priority_weight(self) -> float: ...
    @property
    def split_penalty(self) -> float: ...
    @property
    def max_splits(self) -> int: ...
    @property
    def allow_ship_from_store(self) -> bool: ...
    @property
    def allow_transfer_to_pickup(self) -> bool | None: ...
    @property
    def split_for_supply(self) -> bool | None: ...
    @property
    def exchange_before_return(self) -> bool | None: ...


async def update_routing_profile(session: AsyncSession, *, profile: ProfileFields) -> tuple[Channel, Profile]:
    """Set a channel's routing profile (all fields at once)."""
    errors = ErrorList()
    for attribute, name in WEIGHTS.items():
        value = getattr(profile, attribute)
        if not math.isfinite(value) or value < 0:
            errors.add(ErrorCode.INVALID_INPUT, ["input", name], f"must be a number of at least 0 (got {value})")
    if not 1 <= profile.max_splits <= MAX_SPLITS_LIMIT:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "maxSplits"], f"must be between 1 and {MAX_SPLITS_LIMIT}")
    errors.raise_if_any()
    channel = await _channel(session, profile.channel, ["input", "channel"])
    stored = await session.scalar(
        select(RoutingProfile).where(RoutingProfile.channel_id == channel.id).with_for_update()
    )
    transfers, split, exchange = (
        profile.allow_transfer_to_pickup,
        profile.split_for_supply,
        profile.exchange_before_return,
    )
    values = Profile(
        distance_weight=profile.distance_weight,
        cost_weight=profile.cost_weight,
        priority_weight=profile.priority_weight,
        split_penalty=profile.split_penalty,
        max_splits=profile.max_splits,
        allow_ship_from_store=profile.allow_ship_from_store,
        # Not given: as it was (clients that predate the switch do not turn it off).
        allow_transfer_to_pickup=_profile(stored).allow_transfer_to_pickup if transfers is None else transfers,
        split_for_supply=_profile(stored).split_for_supply if split is None else split,
        exchange_before_return=_profile(stored).exchange_before_return if exchange is None else exchange,
    )
    before = asdict(_profile(stored)) if stored is not None else None
    row = {**asdict(values), "updated_at": utcnow()}
    stmt = insert_for(session, RoutingProfile).values(channel_id=channel.id, **row)
    await session.execute(stmt.on_conflict_do_update(index_elements=["channel_id"], set_=row))
    await audit.record(session, [audit.changed("RoutingProfile", channel.code, before, asdict(values))])
    return channel, values


async def routing_profile(session: AsyncSession, *, channel_code: str) -> tuple[Channel, Profile]:
    """The channel's profile, or the defaults when none has been set."""
    channel = await _channel(session, channel_code, ["channel"])
    return channel, _profile(await session.get(RoutingProfile, channel.id))


def _profile(stored: RoutingProfile | None) -> Profile:
    if stored is None:
        return Profile()
    return Profile(
        distance_weight=stored.distance_weight,
        cost_weight=stored.cost_weight,
        priority_weight=stored.priority_weight,
        split_penalty=stored.split_penalty,
        max_splits=stored.max_splits,
        allow_ship_from_store=stored.allow_ship_from_store,
        allow_transfer_to_pickup=stored.allow_transfer_to_pickup,
        split_for_supply=stored.split_for_supply,
        exchange_before_return=stored.exchange_before_return,
    )


async def _channel(session: AsyncSession, code: str, field: list[str]) -> Channel:
    channel = await session.scalar(select(Channel).where(Channel.code == code))
    if channel is None:
        raise DomainError.one(ErrorCode.UNKNOWN_CHANNEL, field, f"no channel with code {code!r}")
    return channel


async def profile_of_channel(session: AsyncSession, *, channel_id: object) -> tuple[str, Profile]:
    """(channel code, its profile or the defaults) in one statement, for routing."""
    row = (
        await session.execute(
            select(Channel.code, RoutingProfile)
            .outerjoin(RoutingProfile, RoutingProfile.channel_id == Channel.id)
            .where(Channel.id == channel_id)
        )
    ).one()
    code, stored = row
    return code, _profile(stored)
