"""Routing strategies and location groups as data (ADMIN): saving a channel's strategy makes its next version
and activates it (now, or at a time given); an earlier version can be activated again. Routing asks which
version is active for its channels (`in_force`) and applies the first matching rule of it to each order.
Every change is audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import insert_for
from oms_graph.db.models import Channel, Location, LocationGroup, Product, RoutingStrategy, StrategyActivation
from oms_graph.domain import routing as scoring
from oms_graph.domain import strategies as rules
from oms_graph.domain.catalog import check_code, check_text
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.orders import FulfilmentMethod
from oms_graph.services import audit

MAX_GROUPS = 200


class GroupFields(Protocol):
    code: str
    name: str
    location_codes: list[str]


@dataclass(frozen=True)
class Applied:
    """What a strategy did to one order: the profile and candidates it is routed with, and for its
    explanation the version and the rule that matched (None: no rule did)."""

    profile: scoring.Profile
    candidates: list[scoring.Candidate]
    version: int | None
    rule: rules.Rule | None

    def explained(self) -> dict[str, Any] | None:
        if self.version is None:
            return None
        return {"version": self.version, "rule": None if self.rule is None else self.rule.name}


@dataclass(frozen=True)
class InForce:
    """The strategies active for some channels at a time, with the location groups and the skus' categories
    their rules need: applied to each order without another query."""

    versions: Mapping[uuid.UUID, tuple[int, list[rules.Rule]]]
    groups: Mapping[str, frozenset[str]]
    categories: Mapping[str, str]

    def apply(
        self,
        channel_id: uuid.UUID,
        facts: Callable[[], rules.Facts],
        profile: scoring.Profile,
        candidates: list[scoring.Candidate],
    ) -> Applied:
        """The channel's strategy applied to an order (its `facts`, asked for only when there is one)."""
        found = self.versions.get(channel_id)
        if found is None:
            return Applied(profile, candidates, None, None)
        version, ordered = found
        rule = rules.first_match(ordered, facts())
        if rule is None:
            return Applied(profile, candidates, version, None)
        admitted = [c for c in candidates if rule.effect.admits(c.code, self.groups)]
        return Applied(rule.effect.profile(profile), admitted, version, rule)

    def facts(
        self,
        *,
        address: Mapping[str, Any] | None,
        lines: Mapping[str, int],
        weights: Mapping[str, int],
        value: Decimal,
        method: FulfilmentMethod,
        placed: datetime,
        customer: Mapping[str, Any] | None = None,
    ) -> rules.Facts:
        where = address or {}
        return rules.Facts(
            country=where.get("country"),
            region=where.get("region"),
            postal_code=where.get("postalCode"),
            categories=frozenset(self.categories[sku] for sku in lines if sku in self.categories),
            value=value,
            weight_grams=sum(weights.get(sku, 0) * n for sku, n in lines.items()),
            method=method,
            placed_on=placed.date(),
            customer_tags=frozenset((customer or {}).get("tags") or ()),
        )


NOTHING = InForce({}, {}, {})


async def in_force(
    session: AsyncSession, *, channel_ids: Iterable[uuid.UUID], skus: Iterable[str], at: datetime
) -> InForce:
    """The versions active at `at` for the channels (one statement; none active: NOTHING, and no more
    statements), with the groups and the skus' categories."""
    wanted = sorted(set(channel_ids))
    if not wanted:
        return NOTHING
    latest = (
        select(StrategyActivation.channel_id, StrategyActivation.version)
        .where(StrategyActivation.channel_id.in_(wanted), StrategyActivation.activates_at <= at)
        .order_by(StrategyActivation.channel_id, StrategyActivation.activates_at.desc(), StrategyActivation.id.desc())
    )
    active: dict[uuid.UUID, int] = {}
    for channel_id, version in await session.execute(latest):
        active.setdefault(channel_id, version)
    if not active:
        return NOTHING
    versions = {}
    for row in await session.scalars(
        select(RoutingStrategy).where(
            RoutingStrategy.channel_id.in_(list(active)), RoutingStrategy.version.in_(set(active.values()))
        )
    ):
        if active.get(row.channel_id) == row.version:
            versions[row.channel_id] = (row.version, rules.loaded(row.rules["rules"]))
    return InForce(versions, await _groups(session), await categories_of(session, skus=skus))


async def categories_of(session: AsyncSession, *, skus: Iterable[str]) -> dict[str, str]:
    """The skus' categories (what rules' conditions on categories look at)."""
    found = await session.execute(select(Product.sku, Product.category).where(Product.sku.in_(sorted(set(skus)))))
    return dict(found.all())


async def _groups(session: AsyncSession) -> dict[str, frozenset[str]]:
    return {g.code: frozenset(g.location_codes["codes"]) for g in await session.scalars(select(LocationGroup))}


async def upsert_location_groups(
    session: AsyncSession, *, inputs: Sequence[GroupFields], actor: str
) -> list[LocationGroup]:
    """Create or replace groups by code, all or none; every location code must be known."""
    errors = ErrorList()
    if not 0 < len(inputs) <= MAX_GROUPS:
        errors.add(ErrorCode.INVALID_INPUT, ["input"], f"1 to {MAX_GROUPS} groups")
    known = set(await session.scalars(select(Location.code)))
    seen: set[str] = set()
    for i, group in enumerate(inputs):
        check_code(errors, group.code, ["input", i, "code"])
        check_text(errors, group.name, ["input", i, "name"])
        if group.code in seen:
            errors.add(ErrorCode.INVALID_INPUT, ["input", i, "code"], f"{group.code} twice in the batch")
        seen.add(group.code)
        unknown = sorted(set(group.location_codes) - known)
        if unknown:
            errors.add(ErrorCode.UNKNOWN_LOCATION, ["input", i, "locationCodes"], f"no location {', '.join(unknown)}")
    errors.raise_if_any()
    before = {g.code: g for g in await session.scalars(select(LocationGroup).where(LocationGroup.code.in_(seen)))}
    changes = []
    for group in inputs:
        codes = {"codes": sorted(set(group.location_codes))}
        row = {"name": group.name.strip(), "location_codes": codes, "updated_at": utcnow()}
        statement = insert_for(session, LocationGroup).values(code=group.code, **row)
        await session.execute(statement.on_conflict_do_update(index_elements=["code"], set_=row))
        was = before.get(group.code)
        was_seen = None if was is None else {"name": was.name, "locationCodes": was.location_codes["codes"]}
        changes.append(
            audit.changed("LocationGroup", group.code, was_seen, {"name": row["name"], "locationCodes": codes["codes"]})
        )
    await audit.record(session, changes)
    return list(
        await session.scalars(
            select(LocationGroup)
            .where(LocationGroup.code.in_(seen))
            .order_by(LocationGroup.code)
            .execution_options(populate_existing=True)
        )
    )


async def location_groups(session: AsyncSession) -> list[LocationGroup]:
    return list(await session.scalars(select(LocationGroup).order_by(LocationGroup.code)))


async def save_strategy(
    session: AsyncSession,
    *,
    channel_code: str,
    strategy: Sequence[rules.Rule],
    activates_at: datetime | None,
    note: str | None,
    actor: str,
) -> RoutingStrategy:
    """The channel's next version, activated at `activates_at` (default now)."""
    channel = await _channel(session, channel_code)
    errors = ErrorList()
    rules.check_rules(strategy, (await _groups(session)).keys(), errors)
    if note is not None and len(note) > 500:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "note"], "at most 500 characters")
    errors.raise_if_any()
    await session.execute(select(Channel.id).where(Channel.id == channel.id).with_for_update())  # one save at a time
    last = await session.scalar(
        select(func.max(RoutingStrategy.version)).where(RoutingStrategy.channel_id == channel.id)
    )
    now = utcnow()
    saved = RoutingStrategy(
        channel_id=channel.id,
        version=(last or 0) + 1,
        rules={"rules": rules.stored(strategy)},
        note=note,
        created_at=now,
        created_by=actor,
    )
    session.add(saved)
    await session.flush()
    await _activate(session, channel, saved.version, activates_at or now, actor)
    return saved


async def activate_strategy(
    session: AsyncSession, *, channel_code: str, version: int, activates_at: datetime | None, actor: str
) -> RoutingStrategy:
    """Route the channel's orders by an existing version again, from `activates_at` (default now)."""
    channel = await _channel(session, channel_code)
    found = await session.get(RoutingStrategy, (channel.id, version))
    if found is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["version"], f"{channel_code} has no strategy version {version}")
    await _activate(session, channel, version, activates_at or utcnow(), actor)
    return found


async def _activate(session: AsyncSession, channel: Channel, version: int, at: datetime, actor: str) -> None:
    session.add(
        StrategyActivation(
            channel_id=channel.id, version=version, activates_at=at, created_at=utcnow(), created_by=actor
        )
    )
    await session.flush()
    after = {"version": version, "activatesAt": at.isoformat()}
    await audit.record(session, [audit.changed("RoutingStrategy", channel.code, None, after)])


async def strategies_of(
    session: AsyncSession, *, channel_code: str
) -> tuple[list[RoutingStrategy], list[StrategyActivation], int | None]:
    """The channel's versions (newest first), their activations (newest first) and the version active now."""
    channel = await _channel(session, channel_code)
    versions = list(
        await session.scalars(
            select(RoutingStrategy)
            .where(RoutingStrategy.channel_id == channel.id)
            .order_by(RoutingStrategy.version.desc())
        )
    )
    activations = list(
        await session.scalars(
            select(StrategyActivation)
            .where(StrategyActivation.channel_id == channel.id)
            .order_by(StrategyActivation.activates_at.desc(), StrategyActivation.id.desc())
        )
    )
    now = utcnow()
    active = next((a.version for a in activations if a.activates_at <= now), None)
    return versions, activations, active


async def _channel(session: AsyncSession, code: str) -> Channel:
    channel = await session.scalar(select(Channel).where(Channel.code == code))
    if channel is None:
        raise DomainError.one(ErrorCode.UNKNOWN_CHANNEL, ["input", "channel"], f"no channel with code {code!r}")
    return channel
