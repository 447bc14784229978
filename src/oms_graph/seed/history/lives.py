"""Orders' lives as steps in time order, each a real command (service or actor) at its own time."""

from __future__ import annotations

import heapq
import itertools
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from types import SimpleNamespace as Fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.config import Settings
from oms_graph.db.base import pinned_time
from oms_graph.db.engine import Database
from oms_graph.db.models import (
    Fulfilment,
    FulfilmentLine,
    Location,
    Order,
    PaymentTransaction,
    Product,
    Shipment,
    StockLevel,
)
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.errors import DomainError
from oms_graph.domain.fulfilment import FulfilmentStatus, RejectionReason
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus
from oms_graph.domain.returns import ItemCondition
from oms_graph.seed.history.baskets import basket, order_fields
from oms_graph.seed.history.chain import Chain
from oms_graph.seed.history.trade import (
    CANCEL_REASONS,
    CHANNEL_MIX,
    RETURN_CHANCE,
    RETURN_REASONS,
)
from oms_graph.services.fulfilment import transitions as fulfilment_work
from oms_graph.services.orders import cancellation, placement
from oms_graph.services.orders import lifecycle as orders
from oms_graph.services.orders import till_sales as store_sales
from oms_graph.services.returns import lifecycle as returns
from oms_graph.services.routing import plan as routing
from oms_graph.services.stock import figures
from oms_graph.services.stock import levels as stock
from oms_graph.tasks import actors

OPERATOR = Principal(key_id=uuid.UUID(int=0), name="history", role=Role.ADMIN)
HOUR = timedelta(hours=1)


@dataclass(order=True)
class Step:
    at: datetime
    n: int
    run: Callable[[], Awaitable[None]] = field(compare=False)


@dataclass
class History:
    """Orders' lives as steps in time order (a queue), each a real command at its time."""

    db: Database
    settings: Settings
    chain: Chain
    rng: random.Random
    now: datetime
    queue: list[Step] = field(default_factory=list)
    counter: itertools.count = field(default_factory=itertools.count)
    worked: set[uuid.UUID] = field(default_factory=set)
    skipped: int = 0

    def later(self, at: datetime, run: Callable[[], Awaitable[None]]) -> None:
        if at <= self.now:  # what would happen after now has not happened yet
            heapq.heappush(self.queue, Step(at, next(self.counter), run))

    async def until(self, moment: datetime) -> None:
        """Take every step due before `moment`."""
        while self.queue and self.queue[0].at < moment:
            await heapq.heappop(self.queue).run()

    async def command(self, at: datetime, change: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        """One transaction at time `at`; a command the state no longer allows is skipped (a history has
        its races too: a cancellation after the parcel left)."""
        with pinned_time(at):
            try:
                async with self.db.write() as session:
                    return await change(session)
            except DomainError:
                self.skipped += 1
                return None

    # ------------------------------------------------------------------ an order's life

    async def place(self, at: datetime) -> None:
        channel = self.rng.choices([c for c, _ in CHANNEL_MIX], [w for _, w in CHANNEL_MIX])[0]
        if channel == "pos":
            await self.sell_in_store(at)
            return
        lines = basket(self.rng, self.chain)
        pickup = self.rng.random() < (0.2 if channel in ("web", "app") else 0.0)
        fields = order_fields(self.rng, self.chain, at, channel, lines, pickup)
        placed = await self.command(
            at, lambda s: placement.place_order(s, order=fields, principal=OPERATOR, settings=self.settings)
        )
        if placed is None and pickup:  # the store does not have it: delivered instead
            fields = order_fields(self.rng, self.chain, at, channel, lines, False)
            placed = await self.command(
                at, lambda s: placement.place_order(s, order=fields, principal=OPERATOR, settings=self.settings)
            )
        if placed is None:
            return
        order_id, rng = placed.id, self.rng
        if placed.status == OrderStatus.ON_HOLD:  # a call-back confirms it
            confirmed = at + timedelta(minutes=rng.uniform(20, 240))
            self.later(confirmed, lambda: self.release(confirmed, order_id))
        else:
            routed = at + timedelta(minutes=rng.uniform(0.2, 3))
            self.later(routed, lambda: self.route(routed, order_id))
        chance = rng.random()
        if chance < 0.03:
            when = at + timedelta(minutes=rng.uniform(1, 90))
            reason = rng.choice(CANCEL_REASONS)
            self.later(when, lambda: self.cancel(when, order_id, reason))
        elif chance < 0.05 and any(q > 1 for _, q, _ in lines):
            sku = next(s for s, q, _ in lines if q > 1)
            when = at + timedelta(minutes=rng.uniform(1, 20))
            self.later(when, lambda: self.cancel_units(when, order_id, sku))

    async def sell_in_store(self, at: datetime) -> None:
        store = self.rng.choice(self.chain.stores)
        async with self.db.read() as session:
            shelf = list(
                await session.scalars(
                    select(StockLevel.sku).where(StockLevel.location_id == store.id, StockLevel.on_hand > 2)
                )
            )
        if not shelf:
            return
        prices = {sku: price for sku, _, price in self.chain.products}
        skus = self.rng.sample(shelf, min(len(shelf), self.rng.choice([1, 1, 2])))
        sale = Fields(
            location_code=store.code,
            channel="pos",
            receipt_number=f"{store.code}-{at:%Y%m%d%H%M%S}-{self.rng.randint(0, 10**6)}",
            sold_at=at,
            customer=None,
            lines=[Fields(sku=sku, quantity=1, unit_price=prices[sku]) for sku in skus],
        )
        await self.command(at, lambda s: store_sales.record_store_sale(s, sale=sale, principal=OPERATOR))

    async def release(self, at: datetime, order_id: uuid.UUID) -> None:
        await self.command(at, lambda s: orders.release_order(s, order_id=order_id, principal=OPERATOR))
        routed = at + timedelta(minutes=self.rng.uniform(0.2, 3))
        self.later(routed, lambda: self.route(routed, order_id))

    async def route(self, at: datetime, order_id: uuid.UUID) -> None:
        """Routing, then the work of each new assignment."""
        await self.command(at, lambda s: routing.route_order(s, order_id=order_id))
        async with self.db.read() as session:
            assigned = list(
                await session.execute(
                    select(Fulfilment.id, Fulfilment.method, Location.kind)
                    .join(Location, Location.id == Fulfilment.location_id)
                    .where(Fulfilment.order_id == order_id, Fulfilment.status == FulfilmentStatus.ASSIGNED)
                )
            )
        for fulfilment_id, method, kind in assigned:
            if fulfilment_id not in self.worked:
                self.worked.add(fulfilment_id)
                self.work(at, order_id, fulfilment_id, method == FulfilmentMethod.PICKUP, kind == "STORE")

    def work(self, at: datetime, order_id: uuid.UUID, fulfilment_id: uuid.UUID, pickup: bool, store: bool) -> None:
        rng, fid = self.rng, fulfilment_id
        accepted = at + timedelta(hours=rng.uniform(0.1, 3 if store else 1.5))
        if store and rng.random() < 0.04:
            self.later(accepted, lambda: self.reject(accepted, order_id, fid))
            return
        picked = accepted + timedelta(hours=rng.uniform(0.3, 6))
        done = picked + timedelta(hours=rng.uniform(0.2, 4))
        handed = done + timedelta(hours=rng.uniform(1, 12) if not pickup else rng.uniform(3, 96))
        self.later(accepted, lambda: self.step(accepted, fulfilment_work.accept, fid))
        self.later(picked, lambda: self.pick(picked, fid))
        if pickup:
            self.later(done, lambda: self.ready(done, fid))
            self.later(handed, lambda: self.collect(handed, order_id, fid))
            return
        delivered = handed + timedelta(hours=rng.uniform(16, 72))
        self.later(done, lambda: self.pack(done, fid))
        self.later(handed, lambda: self.ship(handed, fid))
        self.later(delivered, lambda: self.deliver(delivered, order_id, fid))

    async def step(self, at: datetime, change: Callable[..., Awaitable[Any]], fulfilment_id: uuid.UUID) -> None:
        await self.command(at, lambda s: change(s, fulfilment_id=fulfilment_id, principal=OPERATOR))

    async def ready(self, at: datetime, fulfilment_id: uuid.UUID) -> None:
        days = self.settings.pickup_days
        await self.command(
            at,
            lambda s: fulfilment_work.mark_ready_for_pickup(
                s, fulfilment_id=fulfilment_id, principal=OPERATOR, pickup_days=days
            ),
        )

    async def reject(self, at: datetime, order_id: uuid.UUID, fulfilment_id: uuid.UUID) -> None:
        await self.command(
            at,
            lambda s: fulfilment_work.reject(
                s, fulfilment_id=fulfilment_id, reason=RejectionReason.NO_CAPACITY, note=None, principal=OPERATOR
            ),
        )
        routed = at + timedelta(minutes=self.rng.uniform(0.2, 3))
        self.later(routed, lambda: self.route(routed, order_id))

    async def pick(self, at: datetime, fulfilment_id: uuid.UUID) -> None:
        async with self.db.read() as session:
            lines = list(
                await session.execute(
                    select(FulfilmentLine.sku, FulfilmentLine.quantity).where(
                        FulfilmentLine.fulfilment_id == fulfilment_id
                    )
                )
            )
        picked = [Fields(sku=sku, quantity=n) for sku, n in lines]
        await self.command(
            at, lambda s: fulfilment_work.pick(s, fulfilment_id=fulfilment_id, lines=picked, principal=OPERATOR)
        )

    async def pack(self, at: datetime, fulfilment_id: uuid.UUID) -> None:
        packed = await self.command(
            at,
            lambda s: fulfilment_work.pack(
                s,
                fulfilment_id=fulfilment_id,
                weights_grams=[1200],
                principal=OPERATOR,
                default_carrier=self.settings.default_carrier,
            ),
        )
        if packed is not None:
            with pinned_time(at + timedelta(minutes=2)):
                await actors.book_shipment(str(await self._shipment_of(fulfilment_id)))

    async def _shipment_of(self, fulfilment_id: uuid.UUID) -> uuid.UUID:
        async with self.db.read() as session:
            found = await session.scalar(select(Shipment.id).where(Shipment.fulfilment_id == fulfilment_id))
        assert found is not None
        return found

    async def ship(self, at: datetime, fulfilment_id: uuid.UUID) -> None:
        await self.step(at, fulfilment_work.ship, fulfilment_id)
        await self.pay(at, fulfilment_id)

    async def pay(self, at: datetime, fulfilment_id: uuid.UUID) -> None:
        """The payment calls the handover asked for, made as the actor makes them."""
        async with self.db.read() as session:
            order_id = await session.scalar(select(Fulfilment.order_id).where(Fulfilment.id == fulfilment_id))
            pending = list(
                await session.scalars(
                    select(PaymentTransaction.id).where(
                        PaymentTransaction.order_id == order_id, PaymentTransaction.status == "PENDING"
                    )
                )
            )
        with pinned_time(at + timedelta(minutes=1)):
            for transaction_id in pending:
                await actors.execute_payment(str(transaction_id))

    async def deliver(self, at: datetime, order_id: uuid.UUID, fulfilment_id: uuid.UUID) -> None:
        await self.step(at, fulfilment_work.deliver, fulfilment_id)
        await self.maybe_return(at, order_id)

    async def collect(self, at: datetime, order_id: uuid.UUID, fulfilment_id: uuid.UUID) -> None:
        async with self.db.read() as session:
            code = await session.scalar(select(Fulfilment.pickup_code).where(Fulfilment.id == fulfilment_id))
        await self.command(
            at,
            lambda s: fulfilment_work.collect(
                s, fulfilment_id=fulfilment_id, pickup_code=code or "", principal=OPERATOR
            ),
        )
        await self.pay(at, fulfilment_id)
        await self.maybe_return(at, order_id)

    async def maybe_return(self, at: datetime, order_id: uuid.UUID) -> None:
        async with self.db.read() as session:
            lines = list(
                await session.execute(
                    select(Product.sku, Product.category)
                    .join(FulfilmentLine, FulfilmentLine.sku == Product.sku)
                    .join(Fulfilment, Fulfilment.id == FulfilmentLine.fulfilment_id)
                    .where(Fulfilment.order_id == order_id)
                )
            )
        returned = [sku for sku, category in lines if self.rng.random() < RETURN_CHANCE.get(category, 0.06)]
        if returned:  # one unit of one line comes back
            requested = at + timedelta(days=self.rng.uniform(1, 14))
            received = requested + timedelta(days=self.rng.uniform(1, 6))
            reason = self.rng.choice(RETURN_REASONS)
            self.later(requested, lambda: self.give_back(requested, received, order_id, returned[0], reason))

    async def give_back(self, at: datetime, received: datetime, order_id: uuid.UUID, sku: str, reason: str) -> None:
        asked = [Fields(sku=sku, quantity=1, reason=reason)]
        started = await self.command(
            at,
            lambda s: returns.request_return(s, order_id=order_id, channel_code=None, lines=asked, principal=OPERATOR),
        )
        if started is None:
            return
        condition = ItemCondition.DAMAGED if reason == "arrived damaged" else ItemCondition.SELLABLE
        back = [Fields(sku=sku, quantity=1, condition=condition)]
        where = self.rng.choice(self.chain.returns_at)
        self.later(
            received,
            lambda: self.command(
                received,
                lambda s: returns.receive_return(
                    s, return_id=started.id, location_code=where, lines=back, principal=OPERATOR
                ),
            ),
        )

    async def cancel(self, at: datetime, order_id: uuid.UUID, reason: str) -> None:
        await self.command(at, lambda s: orders.cancel_order(s, order_id=order_id, reason=reason, principal=OPERATOR))

    async def cancel_units(self, at: datetime, order_id: uuid.UUID, sku: str) -> None:
        lines = [Fields(sku=sku, quantity=1)]
        await self.command(
            at,
            lambda s: cancellation.cancel_lines(
                s, order_id=order_id, lines=lines, reason="customer wants one fewer", principal=OPERATOR
            ),
        )

    # ------------------------------------------------------------------ stock

    async def replenish(self, at: datetime) -> None:
        """Goods come in each morning: levels running low are counted up again, and backorders the stock
        sync put back in line are routed (as the routing actor would)."""
        async with self.db.read() as session:
            low = list(
                await session.execute(
                    select(StockLevel.sku, Location.code, StockLevel.reserved, Location.kind)
                    .join(Location, Location.id == StockLevel.location_id)
                    .where(figures.AVAILABLE < 10)
                )
            )
        if low:
            rows = [
                Fields(
                    sku=sku, location_code=code, on_hand=reserved + (12 if kind == "STORE" else 160), safety_stock=None
                )
                for sku, code, reserved, kind in low
            ]
            await self.command(at, lambda s: stock.set_stock_levels(s, inputs=rows, actor="goods receipt"))
        async with self.db.read() as session:
            waiting = list(
                await session.scalars(
                    select(Order.id).where(Order.status == OrderStatus.PLACED, Order.created_at < at - HOUR)
                )
            )
        for n, order_id in enumerate(waiting):
            routed = at + timedelta(seconds=n + 1)
            self.later(routed, partial(self.route, routed, order_id))
