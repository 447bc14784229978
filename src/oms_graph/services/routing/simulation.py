"""What-if routing (ADMIN, ANALYST): a channel's delivery orders of a period replayed, in the order they were
placed, against the stock as it stood (each level's onHand at the start from the ledger, less its safety
stock; the ledger's movements other than sales as they happened; what the replay itself allocated), with the
channel's profile and location groups as they are now, once under the strategy version that routed each
order and once under a candidate strategy; their figures side by side (domain.simulation), and where each
order went. A job: `start` writes it QUEUED, the worker `run`s it with its progress, `csv_of` exports it."""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import insert_rows
from oms_graph.db.engine import Database
from oms_graph.db.models import (
    Channel,
    Location,
    Order,
    OrderLine,
    Product,
    RoutingRecord,
    RoutingSimulation,
    RoutingStrategy,
    SimulatedOrder,
    StockLevel,
    StockMovement,
)
from oms_graph.domain import routing as scoring
from oms_graph.domain import simulation as rules
from oms_graph.domain import strategies
from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.domain.events import EventType
from oms_graph.domain.fulfilment import SALE_REASONS
from oms_graph.domain.orders import FulfilmentMethod
from oms_graph.services import calendars
from oms_graph.services.outbox import append_event
from oms_graph.services.routing import explaining
from oms_graph.services.routing.candidates import candidate
from oms_graph.services.routing.profiles import profile_of_channel
from oms_graph.services.routing.strategies import InForce, _groups, categories_of

MAX_DAYS = 92
PROGRESS_EVERY = 1000  # orders replayed between progress writes
REPLAYS = ("actual", "candidate")


async def start(
    session: AsyncSession,
    *,
    channel_code: str,
    start_at: datetime,
    end_at: datetime,
    candidate_rules: Sequence[strategies.Rule],
    actor: str,
) -> RoutingSimulation:
    """A QUEUED simulation, and SIMULATION_REQUESTED on the outbox for a worker to run it."""
    channel = await session.scalar(select(Channel).where(Channel.code == channel_code))
    errors = ErrorList()
    if channel is None:
        errors.add(ErrorCode.UNKNOWN_CHANNEL, ["input", "channel"], f"no channel with code {channel_code!r}")
    if not start_at < end_at <= start_at + timedelta(days=MAX_DAYS):
        errors.add(ErrorCode.INVALID_INPUT, ["input", "to"], f"after `from`, at most {MAX_DAYS} days")
    strategies.check_rules(candidate_rules, (await _groups(session)).keys(), errors)
    errors.raise_if_any()
    assert channel is not None
    job = RoutingSimulation(
        channel_id=channel.id,
        start=start_at,
        end=end_at,
        candidate={"rules": strategies.stored(candidate_rules)},
        status="QUEUED",
        total=0,
        done=0,
        created_at=utcnow(),
        created_by=actor,
    )
    session.add(job)
    await session.flush()
    await append_event(
        session, order_id=None, type=EventType.SIMULATION_REQUESTED, actor=actor, data={"simulation": str(job.id)}
    )
    return job


async def run(db: Database, *, simulation_id: uuid.UUID) -> None:
    """Replay the simulation's orders under both strategies and keep the figures; a simulation DONE (or
    RUNNING elsewhere) is left alone."""
    async with db.write() as session:
        job = await session.get(RoutingSimulation, simulation_id, with_for_update=True)
        if job is None or job.status not in ("QUEUED", "FAILED"):
            return
        job.status = "RUNNING"
        # a run that failed half-way is run again from the start: what it wrote goes first
        await session.execute(delete(SimulatedOrder).where(SimulatedOrder.simulation_id == simulation_id))
    async with db.read() as session:
        world = await _world(session, job)
    async with db.write() as session:
        (await session.get_one(RoutingSimulation, simulation_id)).total = len(world.orders)
    figures = {name: rules.Figures() for name in REPLAYS}
    stocks = {name: rules.Stock(units=defaultdict(int, world.start)) for name in REPLAYS}
    moves = iter(world.moves)
    upcoming = next(moves, None)
    rows: list[dict[str, Any]] = []
    for n, order in enumerate(world.orders, start=1):
        while upcoming is not None and upcoming[0] <= order.created_at:  # what the ledger moved before it
            for stock in stocks.values():
                stock.move(upcoming[1], upcoming[2], upcoming[3])
            upcoming = next(moves, None)
        went = {name: _replay(world, order, stocks[name], figures[name], world.in_force[name]) for name in REPLAYS}
        rows.append(
            {
                "simulation_id": simulation_id,
                "seq": order.seq,
                "number": order.number,
                "recorded": " ".join(sorted(order.recorded)),
                **went,
            }
        )
        if n % PROGRESS_EVERY == 0 or n == len(world.orders):
            async with db.write() as session:
                await insert_rows(session, SimulatedOrder.__table__, rows)  # type: ignore[arg-type]
                (await session.get_one(RoutingSimulation, simulation_id)).done = n
            rows = []
    async with db.write() as session:
        job = await session.get_one(RoutingSimulation, simulation_id)
        job.results = {name: figures[name].summary() for name in REPLAYS}
        job.status, job.finished_at = "DONE", utcnow()


async def failed(db: Database, *, simulation_id: uuid.UUID, error: str) -> None:
    async with db.write() as session:
        job = await session.get(RoutingSimulation, simulation_id)
        if job is not None and job.status != "DONE":
            job.status, job.error = "FAILED", error[:1000]


def _replay(
    world: Any, order: Any, stock: rules.Stock, figures: rules.Figures, in_force: Callable[[Any], InForce]
) -> str:
    """Route one order against the replay's stock under a strategy; where it went (codes, space-separated)."""
    skus = list(order.lines)
    offered, capacity, days = [], {}, {}
    for location in world.locations:
        held = stock.held(skus, location.id)
        if not held:
            continue
        calendar = world.calendars[location.id]  # its day in its own zone: closed, or its capacity then
        days[location.id] = day = calendar.today(order.created_at)
        capacity[location.id] = limit = calendar.capacity_on(day)
        left = None if limit is None else limit - stock.taken.get((location.id, day), 0)
        offered.append(candidate(location.row, held, is_store=location.kind == "STORE", capacity_left=left))
    wanted = explaining.wanted(order, order.lines, world.weights)
    force = in_force(order)
    facts = lambda: force.facts(  # noqa: E731
        address=order.delivery_address,
        lines=order.lines,
        weights=world.weights,
        value=order.subtotal,
        method=FulfilmentMethod.DELIVERY,
        placed=order.created_at,
        customer=order.customer,
    )
    applied = force.apply(world.channel_id, facts, world.profile, offered)
    plan = scoring.route(wanted, applied.candidates, applied.profile, alternatives=0).chosen
    beyond = 0 if plan is None else rules.overrun(plan, stock.taken, capacity, days)
    figures.add(plan, actual=frozenset(order.recorded), overrun=beyond)
    if plan is None:
        return ""
    stock.allocate(plan, days)
    return " ".join(sorted(a.location.code for a in plan.allocations))


async def _world(session: AsyncSession, job: RoutingSimulation) -> Any:
    """Everything a replay reads, in a few statements: the orders with their lines and where they were first
    routed, the shipping locations, the stock at the start and the ledger's moves after it, the channel's
    profile, its strategy versions and the candidate."""
    orders = []
    rows = await session.execute(
        select(
            Order.customer,
            Order.id,
            Order.seq,
            Order.number,
            Order.created_at,
            Order.delivery_address,
            Order.geocode,
            Order.subtotal,
            Order.strategy_version,
            Order.routing,
        )
        .where(
            Order.channel_id == job.channel_id,
            Order.created_at >= job.start,
            Order.created_at < job.end,
            Order.delivery_method == FulfilmentMethod.DELIVERY,
            Order.routing.is_not(None),
        )
        .order_by(Order.created_at, Order.seq)
    )
    for row in rows:
        orders.append(SimpleNamespace(**row._mapping, lines={}, recorded=frozenset()))
    by_id = {o.id: o for o in orders}
    ids = list(by_id)
    for offset in range(0, len(ids), 1000):
        chunk = ids[offset : offset + 1000]
        for order_id, sku, quantity in await session.execute(
            select(OrderLine.order_id, OrderLine.sku, OrderLine.quantity).where(OrderLine.order_id.in_(chunk))
        ):
            by_id[order_id].lines[sku] = by_id[order_id].lines.get(sku, 0) + quantity
        first: dict[uuid.UUID, Any] = {}
        for order_id, explanation in await session.execute(
            select(RoutingRecord.order_id, RoutingRecord.explanation)
            .where(RoutingRecord.order_id.in_(chunk), RoutingRecord.kind == "ROUTED")
            .order_by(RoutingRecord.id)
        ):
            first.setdefault(order_id, explanation)
        for order_id in chunk:
            decided = first.get(order_id) or by_id[order_id].routing or {}
            codes = [a["locationCode"] for a in (decided.get("chosen") or {}).get("allocations", [])]
            by_id[order_id].recorded = frozenset(codes)
    skus = sorted({sku for o in orders for sku in o.lines})
    shipping = list(
        await session.scalars(select(Location).where(Location.active.is_(True), Location.can_ship.is_(True)))
    )
    days = await calendars.calendars(session, locations=shipping, at=job.start)
    locations = [SimpleNamespace(id=loc.id, row=_candidate_row(loc), kind=loc.kind) for loc in shipping]
    opening: dict[tuple[str, Any], int] = defaultdict(int)
    for sku, location_id, on_hand, safety in await session.execute(
        select(StockLevel.sku, StockLevel.location_id, StockLevel.on_hand, StockLevel.safety_stock).where(
            StockLevel.sku.in_(skus)
        )
    ):
        opening[(sku, location_id)] += on_hand - safety
    moves = []
    for sku, location_id, delta, at, reason in await session.execute(
        select(
            StockMovement.sku, StockMovement.location_id, StockMovement.delta, StockMovement.at, StockMovement.reason
        )
        .where(StockMovement.sku.in_(skus), StockMovement.at >= job.start)
        .order_by(StockMovement.at, StockMovement.id)
    ):
        opening[(sku, location_id)] -= delta  # onHand at the start: now, less what moved since
        if reason not in SALE_REASONS and at < job.end:
            moves.append((at, sku, location_id, delta))
    weights = {
        sku: grams or 0
        for sku, grams in await session.execute(select(Product.sku, Product.weight_grams).where(Product.sku.in_(skus)))
    }
    _, profile = await profile_of_channel(session, channel_id=job.channel_id)
    groups = await _groups(session)
    categories = await categories_of(session, skus=skus)
    versions = {
        row.version: strategies.loaded(row.rules["rules"])
        for row in await session.scalars(select(RoutingStrategy).where(RoutingStrategy.channel_id == job.channel_id))
    }
    candidate_force = InForce({job.channel_id: (0, strategies.loaded(job.candidate["rules"]))}, groups, categories)
    by_version = {v: InForce({job.channel_id: (v, r)}, groups, categories) for v, r in versions.items()}
    nothing = InForce({}, groups, categories)
    in_force = {
        "actual": lambda order: by_version.get(order.strategy_version, nothing),
        "candidate": lambda order: candidate_force,
    }
    return SimpleNamespace(
        orders=orders,
        locations=locations,
        calendars=days,
        start=dict(opening),
        moves=moves,
        weights=weights,
        profile=profile,
        in_force=in_force,
        channel_id=job.channel_id,
    )


def _candidate_row(location: Location) -> tuple[Any, ...]:
    """A location as `candidate` reads it (CANDIDATE_FIELDS)."""
    return (
        location.id,
        location.code,
        location.latitude,
        location.longitude,
        location.region,
        location.priority,
        location.handling_cost,
    )


async def get(session: AsyncSession, *, simulation_id: uuid.UUID) -> RoutingSimulation | None:
    return await session.get(RoutingSimulation, simulation_id)


async def csv_of(session: AsyncSession, *, simulation_id: uuid.UUID) -> str | None:
    """The figures side by side, then where each order went: as recorded, and in each replay."""
    job = await session.get(RoutingSimulation, simulation_id)
    if job is None:
        return None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    results = job.results or {}
    names = list((results.get("actual") or {}).keys())
    writer.writerow(["figure", *REPLAYS])
    for name in names:
        writer.writerow([name, *(results[r].get(name) for r in REPLAYS)])
    writer.writerow([])
    writer.writerow(["order", "recorded", "actual", "candidate"])
    for row in await session.scalars(
        select(SimulatedOrder).where(SimulatedOrder.simulation_id == simulation_id).order_by(SimulatedOrder.seq)
    ):
        writer.writerow([row.number, row.recorded, row.actual, row.candidate])
    return out.getvalue()
