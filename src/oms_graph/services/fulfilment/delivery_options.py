"""Delivery options for a cart and an address, before the order is placed.

Delivery: only when the network can promise every line (the same availableToPromise placement checks);
the routing engine then plans the cart with the channel's profile, as routing will after placement, and
the farthest location of that plan sets the estimated date. Pickup: the nearest active PICKUP stores, each
ready soon when it holds every line; where the channel's profile allows transfers to pickups and the
network can promise the cart, also those that do not, ready once the best sources' transfers land (the
plan ship-to-store routing will make).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import Channel, Location, Product, StockLevel
from oms_graph.domain import delivery as rules
from oms_graph.domain import routing as scoring
from oms_graph.domain.access import Principal
from oms_graph.domain.calendars import Calendar
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.geo import distance_km
from oms_graph.domain.geocoding import Geocode
from oms_graph.domain.orders import MAX_LINES, FulfilmentMethod
from oms_graph.domain.placement import AddressFields, check_address
from oms_graph.domain.strategies import Facts
from oms_graph.services import calendars, future_promises, geocoding
from oms_graph.services.routing import strategies
from oms_graph.services.routing.candidates import candidates
from oms_graph.services.routing.profiles import profile_of_channel
from oms_graph.services.stock import figures, pools
from oms_graph.services.stock.availability import availability
from oms_graph.services.transfers.requesting import sources
from oms_graph.services.transfers.transit import transit_time

PLANS_TRIED = 2 * rules.PICKUP_OPTIONS  # stores planned for a transfer at most, per question


class CartLine(Protocol):
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class Planned:
    """The plan routing would make of a demand, and its locations' calendars."""

    plan: scoring.Plan
    days: Mapping[Any, Calendar]

    def ask(self, now: datetime, wanted: scoring.Demand, address: AddressFields) -> rules.RateAsk:
        """What a carrier that quotes is asked for this plan: each location's part, by weight and day."""
        parts = tuple(
            rules.RatePart(
                origin=(a.location.latitude, a.location.longitude),
                weight_grams=sum(wanted.weights.get(sku, 0) * n for sku, n in a.lines.items()),
                leaves_on=self.days[a.location.id].work_starts(now),
            )
            for a in self.plan.allocations
        )
        recipient = {
            "line1": address.line1,
            "city": address.city,
            "postalCode": address.postal_code,
            "country": address.country,
        }
        return rules.RateAsk(parts, recipient)

    def arrives(self, now: datetime, service: rules.Service) -> date:
        """When the last part reaches the customer: each from its location's next open day, by the road."""
        return max(
            rules.estimated_delivery(self.days[a.location.id].work_starts(now), _km(a), service)
            for a in self.plan.allocations
        )


Planner = Callable[[scoring.Demand], Awaitable[Planned | None]]


@dataclass(frozen=True)
class Part:
    """One shipment of a split delivery: its units per sku and the day they arrive."""

    estimated_date: date
    lines: dict[str, int]
    awaiting_supply: bool


@dataclass(frozen=True)
class DeliveryOption:
    method: FulfilmentMethod
    carrier: str | None
    service: str | None
    price: Decimal
    currency: str
    estimated_date: date
    pickup_location: Location | None = None
    by_transfer: bool = False  # a pickup whose units come to the store first
    awaiting_supply: bool = False  # a delivery that waits for inbound supply (all of it, or its last part)
    parts: tuple[Part, ...] = ()  # a split delivery's shipments: what stock has now, the rest with its supply
    quoted: bool = False  # priced by the carrier itself (services/carrier_rates.py), not the table
    ask: rules.RateAsk | None = None  # what a carrier that quotes would be asked for it


async def delivery_options(
    session: AsyncSession,
    *,
    principal: Principal,
    channel: str,
    lines: Sequence[CartLine],
    address: AddressFields,
    now: datetime,
    carriers: Sequence[str],
    where: Geocode | None = None,
) -> list[DeliveryOption]:
    """Carrier services (the built-in courier's, and each of `carriers`' standard service; cheapest first,
    priced by the table) and pickup stores (nearest first) for the cart. `where`: the address located as
    placement will locate it (`services.geocoding.locate`); not given, by its coordinates or the packaged city
    list. A quoting carrier's option carries its `ask` (services/carrier_rates.py prices it)."""
    errors = ErrorList()
    found = (
        await session.execute(
            select(Channel.id, Channel.currency, Channel.default_region).where(Channel.code == channel)
        )
    ).first()
    if found is None:
        errors.add(ErrorCode.UNKNOWN_CHANNEL, ["input", "channel"], f"no channel with code {channel!r}")
    elif not principal.may_use_channel(channel):
        raise DomainError.one(
            ErrorCode.PERMISSION_DENIED, ["input", "channel"], "a STOREFRONT key asks for its channel"
        )
    if not 0 < len(lines) <= MAX_LINES:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "lines"], f"give 1 to {MAX_LINES} lines")
    demand: dict[str, int] = {}
    for i, line in enumerate(lines):
        if line.quantity <= 0:
            errors.add(ErrorCode.INVALID_INPUT, ["input", "lines", i, "quantity"], "must be positive")
        demand[line.sku] = demand.get(line.sku, 0) + line.quantity
    check_address(address, errors, ("input", "address"))
    weights = dict(
        (await session.execute(select(Product.sku, Product.weight_grams).where(Product.sku.in_(demand)))).all()
    )
    for i, line in enumerate(lines):
        if line.sku not in weights:
            errors.add(ErrorCode.UNKNOWN_SKU, ["input", "lines", i, "sku"], f"no product with sku {line.sku!r}")
    errors.raise_if_any()
    assert found is not None
    channel_id, currency, default_region = found
    grams = {sku: weight or 0 for sku, weight in weights.items()}
    located = where or geocoding.offline(address)
    lat, lon = located.latitude, located.longitude
    here = (lat, lon) if lat is not None and lon is not None else None
    region = address.region or (default_region if here is None else None)
    wanted = scoring.Demand(lines=demand, weights=grams, destination=here, region=region)
    figures_now = (await availability(session, skus=list(demand), near=None, max_locations=0)).skus
    short = {a.sku: demand[a.sku] for a in figures_now if a.available_to_promise < demand[a.sku]}
    promisable = not short
    _, profile = await profile_of_channel(session, channel_id=channel_id)
    value = sum((line.unit_price * line.quantity for line in lines), Decimal(0))
    plan_of = await _planner(session, channel_id, profile, address, value, list(demand), now)
    if promisable:
        options = await _deliveries(plan_of, currency, wanted, now, carriers, address)
    elif not profile.split_for_supply or await pools.pool_of(session, channel_id) is not None:
        # sold against inbound supply where the skus' policy allows it: one shipment once it is in
        due = await future_promises.supply_date(session, channel_id=channel_id, units=short)
        options = [] if due is None else _awaiting_supply(currency, wanted, due, carriers)
    else:  # split: what stock has ships now, the rest once its supply is in (as placement will promise)
        atp = {a.sku: max(0, a.available_to_promise) for a in figures_now}
        later = {sku: n - min(n, atp[sku]) for sku, n in short.items()}
        due = await future_promises.supply_date(session, channel_id=channel_id, units=later)
        options = [] if due is None else await _split(plan_of, currency, wanted, later, due, now, carriers)
    by_transfer = profile if promisable and profile.allow_transfer_to_pickup else None
    return options + await _pickups(session, currency, wanted, now, by_transfer)


async def _planner(
    session: AsyncSession,
    channel_id: uuid.UUID,
    profile: scoring.Profile,
    address: AddressFields,
    value: Decimal,
    skus: list[str],
    now: datetime,
) -> Planner:
    """How routing would plan a demand of this cart: from the candidates it would get, by the channel's
    profile, and by the rule of its strategy that matches the cart when one is in force."""
    in_force = await strategies.in_force(session, channel_ids=[channel_id], skus=skus, at=now)
    where = {"country": address.country, "region": address.region, "postalCode": address.postal_code}

    async def plan(demand: scoring.Demand) -> Planned | None:
        offered = await candidates(session, list(demand.lines), now)

        def facts() -> Facts:
            return in_force.facts(
                address=where,
                lines=demand.lines,
                weights=demand.weights,
                value=value,
                method=FulfilmentMethod.DELIVERY,
                placed=now,
            )

        applied = in_force.apply(channel_id, facts, profile, offered)
        chosen = scoring.route(demand, applied.candidates, applied.profile, alternatives=0).chosen
        if chosen is None:
            return None
        ids = [cast(uuid.UUID, a.location.id) for a in chosen.allocations]
        return Planned(chosen, await calendars.of_locations(session, ids=ids, at=now))

    return plan


async def _deliveries(
    plan_of: Planner,
    currency: str,
    wanted: scoring.Demand,
    now: datetime,
    carriers: Sequence[str],
    address: AddressFields,
) -> list[DeliveryOption]:
    planned = await plan_of(wanted)
    if planned is None:
        return []

    def dated(service: rules.Service) -> date:
        return planned.arrives(now, service)

    return _services(currency, wanted, carriers, dated, ask=planned.ask(now, wanted, address))


async def _split(
    plan_of: Planner,
    currency: str,
    wanted: scoring.Demand,
    later: dict[str, int],
    due: datetime,
    now: datetime,
    carriers: Sequence[str],
) -> list[DeliveryOption]:
    """A cart stock has in part: each service with two shipments, the part stock has (dated by the plan
    routing will make of it) and the rest (dated from its supply's day); the option's date is the later."""
    present = {sku: n - later.get(sku, 0) for sku, n in wanted.lines.items() if n > later.get(sku, 0)}
    if not present:
        return _awaiting_supply(currency, wanted, due, carriers)
    shelf = replace(wanted, lines=present)
    planned = await plan_of(shelf)
    if planned is None:
        return []

    def parts(service: rules.Service) -> tuple[Part, ...]:
        first = Part(planned.arrives(now, service), present, awaiting_supply=False)
        return first, Part(rules.after_supply(due.date(), service), later, awaiting_supply=True)

    return _services(
        currency,
        wanted,
        carriers,
        lambda service: parts(service)[-1].estimated_date,
        awaiting_supply=True,
        parts=parts,
    )


def _awaiting_supply(
    currency: str, wanted: scoring.Demand, due: datetime, carriers: Sequence[str]
) -> list[DeliveryOption]:
    """Delivery of a cart that waits for supply: each service dated as placement will promise it."""
    return _services(
        currency, wanted, carriers, lambda service: rules.after_supply(due.date(), service), awaiting_supply=True
    )


def _services(
    currency: str,
    wanted: scoring.Demand,
    carriers: Sequence[str],
    dated: Callable[[rules.Service], date],
    *,
    awaiting_supply: bool = False,
    parts: Callable[[rules.Service], tuple[Part, ...]] | None = None,
    ask: rules.RateAsk | None = None,
) -> list[DeliveryOption]:
    """The courier's services and each other carrier's, priced by the cart's weight and dated by `dated`
    (a split delivery's shipments by `parts`); cheapest first. The other carriers' carry `ask`."""
    weight = sum(wanted.weights.get(sku, 0) * qty for sku, qty in wanted.lines.items())
    offered = [("courier", s) for s in rules.SERVICES_OF_COURIER]
    offered += [(name, s) for name in sorted(set(carriers)) for s in rules.SERVICES_OF_HTTP_CARRIER]
    options = [
        DeliveryOption(
            method=FulfilmentMethod.DELIVERY,
            carrier=carrier,
            service=service.name,
            price=rules.price(service, weight),
            currency=currency,
            estimated_date=dated(service),
            awaiting_supply=awaiting_supply,
            parts=parts(service) if parts is not None else (),
            ask=ask if carrier != "courier" else None,
        )
        for carrier, service in offered
    ]
    return sorted(options, key=lambda o: (o.price, o.estimated_date, o.carrier or ""))


def _km(allocation: scoring.Allocation) -> float:
    return allocation.distance_km if allocation.distance_km is not None else scoring.OTHER_REGION_KM


async def _pickups(
    session: AsyncSession, currency: str, wanted: scoring.Demand, now: datetime, by_transfer: scoring.Profile | None
) -> list[DeliveryOption]:
    """The nearest PICKUP stores that can hand out the whole cart: from their shelves soon; with `by_transfer`
    (the channel's profile, when it allows transfers to pickups) also once the missing units are brought."""
    rows = await session.execute(
        select(Location, StockLevel.sku, figures.AVAILABLE)
        .outerjoin(StockLevel, (StockLevel.location_id == Location.id) & StockLevel.sku.in_(list(wanted.lines)))
        .where(Location.active.is_(True), Location.can_pickup.is_(True))
    )
    stores: dict[object, Location] = {}
    held: dict[object, dict[str, int]] = defaultdict(dict)
    for store, sku, n in rows:
        stores[store.id] = store
        if sku is not None:
            held[store.id][sku] = max(0, int(n))
    ordered = list(stores.values())
    if wanted.destination is not None:
        lat, lon = wanted.destination
        ordered.sort(key=lambda s: (distance_km(s.latitude, s.longitude, lat, lon), s.code))
    else:
        ordered.sort(key=lambda s: (s.region != wanted.region, s.code))
    options: list[DeliveryOption] = []
    planned = 0
    days = await calendars.calendars(session, locations=ordered, at=now)
    for store in ordered:
        if len(options) == rules.PICKUP_OPTIONS:
            break
        short = {sku: n - held[store.id].get(sku, 0) for sku, n in wanted.lines.items()}
        short = {sku: n for sku, n in short.items() if n > 0}
        if not short:
            ready = days[store.id].ready_by(now)
        elif by_transfer is None or planned == PLANS_TRIED:
            continue
        else:
            planned += 1
            plan = await sources(session, destination=store, units=short, exclude=set(), profile=by_transfer)
            if plan.missing or not plan.parts:
                continue
            transit = [await transit_time(session, source=source, destination=store) for source, _ in plan.parts]
            ready = days[store.id].ready_by(now + max(transit))
        price = Decimal("0.00")
        options.append(DeliveryOption(FulfilmentMethod.PICKUP, None, None, price, currency, ready, store, bool(short)))
    return options
