"""Placing an order: checks, the stock promise, the order, its lines and ORDER_PLACED in one transaction.

The promise: a delivery order takes its units from the sku's network-wide availableToPromise by a
conditional UPDATE of the sku's `promised` counter; a pickup order reserves at its pickup location by a
conditional UPDATE of that stock level. Both first lock the skus' product rows in sku order, so every
statement after the lock sees every earlier placement and reservation of those skus (in PostgreSQL's
READ COMMITTED each statement takes a fresh snapshot), and multi-sku orders cannot deadlock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.adapters.payments.base import is_known as payment_provider_known
from oms_graph.adapters.payments.exchange import NAME as EXCHANGE_PROVIDER
from oms_graph.config import Settings
from oms_graph.db.base import utcnow
from oms_graph.db.dialect import connection_of, insert_or_nothing, insert_rows, next_in_sequence
from oms_graph.db.models import Channel, Location, Order, OrderLine, Product
from oms_graph.domain import delivery
from oms_graph.domain import orders as rules
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.connectors import ConnectorKind
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.events import EventType
from oms_graph.domain.geocoding import Geocode
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus
from oms_graph.domain.placement import PlaceOrderFields, check_promised_date, check_shape, payload_of
from oms_graph.services import calendars, connectors, geocoding
from oms_graph.services.orders.promising import Wanted, take_stock
from oms_graph.services.orders.replays import AlreadyPlaced, existing_order, replayed_order
from oms_graph.services.outbox import append_event
from oms_graph.services.stock import pools

orders_table = cast(Table, Order.__table__)
lines_table = cast(Table, OrderLine.__table__)
products_table = cast(Table, Product.__table__)
channels_table = cast(Table, Channel.__table__)


# The hot path's statements are built once; each placement only binds values (b_* parameters).
NAMES = select(products_table.c.sku, products_table.c.name).where(
    products_table.c.sku.in_(bindparam("b_skus", expanding=True))
)


def insert_order(session: AsyncSession) -> Any:
    """INSERT of an order row that does nothing (returns no id) when its key or external id is taken."""
    return insert_or_nothing(session, orders_table, orders_table.c.id)


async def place_order(
    session: AsyncSession,
    *,
    order: PlaceOrderFields,
    principal: Principal,
    settings: Settings,
    geocode: Geocode | None = None,
) -> Order:
    """Write the order and its promise (or pickup reservation) and ORDER_PLACED, or nothing. `geocode`:
    where a delivery address without coordinates is (`services.geocoding.locate`, asked before the
    transaction); not given, the packaged city list is asked.

    Returns the order as written (built from the inserted values, not read back)."""
    errors = ErrorList()
    check_shape(order, errors)
    errors.raise_if_any()
    # The hot path runs Core statements on the connection: the ORM session's execute costs more per call.
    channel = await pools.channel_with_pool(session, order.channel)
    if channel is None:
        raise DomainError.one(
            ErrorCode.UNKNOWN_CHANNEL, ["input", "channel"], f"no channel with code {order.channel!r}"
        )
    if not principal.may_use_channel(channel.code):
        raise DomainError.one(
            ErrorCode.PERMISSION_DENIED, ["input", "channel"], "a STOREFRONT key places on its own channel only"
        )
    payload = payload_of(order)
    digest = rules.request_hash(payload)
    try:
        prepared = await _prepare(session, order, principal, channel, settings)
    except DomainError:
        # A replay of an earlier placement must get that order back, even if it would not pass now.
        if await existing_order(session, channel.id, order.idempotency_key, order.external_id) is not None:
            raise AlreadyPlaced(channel.id, order.idempotency_key, order.external_id, digest) from None
        raise
    placed = await _write(
        session, order, principal, channel, prepared, payload, digest, _located(order, channel, geocode)
    )
    # The stock comes last: the skus' rows stay locked from there to commit, so keep that stretch short.
    taken = await take_stock(session, prepared.wanted)
    sent = order.delivery.promised_date
    if taken.by_transfer:  # ship-to-store: the units come by transfer, planned (and so dated) by routing
        placed.transfer_units, placed.promised_date = taken.by_transfer, sent
        await session.execute(
            update(orders_table)
            .where(orders_table.c.id == placed.id)
            .values(transfer_units=taken.by_transfer, promised_date=sent)
        )
    if taken.awaiting is not None:  # promised against inbound supply: it waits for it (after a hold, if held),
        awaiting = taken.awaiting  # or, split, what stock has is routed now and only the rest waits
        held = placed.status == OrderStatus.ON_HOLD
        waits = OrderStatus(placed.status) if held or taken.split else OrderStatus.AWAITING_SUPPLY
        expected = delivery.after_supply(awaiting.due_at.date(), delivery.service_named(order.delivery.service))
        promise = sent or expected
        placed.future_units, placed.supply_due_at, placed.status = awaiting.units, awaiting.due_at, waits
        placed.promised_date, placed.expected_date = promise, expected
        await session.execute(
            update(orders_table)
            .where(orders_table.c.id == placed.id)
            .values(
                future_units=awaiting.units,
                supply_due_at=awaiting.due_at,
                status=waits.value,
                promised_date=promise,
                expected_date=expected,
            )
        )
        await append_event(
            session,
            order_id=placed.id,
            type=EventType.ORDER_AWAITING_SUPPLY,
            actor=principal.name,
            at=prepared.at,
            data={
                "number": placed.number,
                "lines": awaiting.units,
                "dueAt": awaiting.due_at.isoformat(),
                "split": taken.split,
            },
        )
    return placed


async def place_or_replay(
    session: AsyncSession,
    *,
    order: PlaceOrderFields,
    principal: Principal,
    settings: Settings,
    geocode: Geocode | None = None,
) -> Order:
    """Place the order, or answer the order placed before with the same key (or external id), in the one
    transaction: nothing was written when the key turned out to be taken."""
    try:
        return await place_order(session, order=order, principal=principal, settings=settings, geocode=geocode)
    except AlreadyPlaced as already:
        order_id = await replayed_order(session, already=already)
        return await session.get_one(Order, order_id)


@dataclass(frozen=True)
class Prepared:
    """What the checks found out: the locations, the products' names, the demand per sku."""

    pickup: Location | None
    origin: Location | None
    names: dict[str, str]
    demand: dict[str, int]
    first_line: dict[str, int]
    delivery_price: Decimal
    payment_provider: str  # the order's own, or the default one (OMS_DEFAULT_PAYMENT_PROVIDER) when it names none
    at: datetime
    wanted: Wanted
    ready_by: date | None  # a pickup: the day its store has it ready, by the store's calendar


async def _prepare(
    session: AsyncSession, order: PlaceOrderFields, principal: Principal, channel: Any, settings: Settings
) -> Prepared:
    """Every check that needs the database but locks nothing."""
    errors = ErrorList()
    now = utcnow()
    check_promised_date(order.delivery.promised_date, now.date(), errors)
    prices = [(i, line.unit_price) for i, line in enumerate(order.lines)]
    for i, price in prices:
        if not rules.fits_currency(price, channel.currency):
            errors.add(
                ErrorCode.INVALID_INPUT,
                ["input", "lines", i, "unitPrice"],
                f"{price} has more decimals than {channel.currency} allows",
            )
    delivery_price = order.delivery.price or Decimal(0)
    if not rules.fits_currency(delivery_price, channel.currency):
        errors.add(
            ErrorCode.INVALID_INPUT, ["input", "delivery", "price"], f"more decimals than {channel.currency} allows"
        )
    provider = order.payment.provider
    known = provider is None or payment_provider_known(provider, http_providers=settings.http_payment_providers)
    if not known:  # a payment gateway set up as a connector
        known = await connectors.enabled(session, name=str(provider), kind=ConnectorKind.PAYMENT)
    if not known:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "payment", "provider"], f"no payment provider named {provider!r}")
    elif provider == EXCHANGE_PROVIDER:  # goods paid by goods sent back: only an exchange's replacement
        errors.add(ErrorCode.INVALID_INPUT, ["input", "payment", "provider"], "exchange pays replacements only")
    pickup, origin = await _locations(session, order, principal, errors)
    pool = pools.pool_from_row(channel)
    if (
        pool is not None
        and pickup is not None
        and not pool.feeds(code=pickup.code, kind=pickup.kind, region=pickup.region)
    ):
        errors.add(
            ErrorCode.PICKUP_NOT_AVAILABLE,
            ["input", "delivery", "pickupLocationCode"],
            f"{pickup.code} is not in the availability pool of channel {channel.code}",
        )

    demand: dict[str, int] = {}
    first_line: dict[str, int] = {}
    for i, line in enumerate(order.lines):
        demand[line.sku] = demand.get(line.sku, 0) + line.quantity
        first_line.setdefault(line.sku, i)
    skus = sorted(demand)
    names = dict((await (await connection_of(session)).execute(NAMES, {"b_skus": skus})).all())
    for i, line in enumerate(order.lines):
        if line.sku not in names:
            errors.add(ErrorCode.UNKNOWN_SKU, ["input", "lines", i, "sku"], f"no product with sku {line.sku!r}")
    errors.raise_if_any()
    payment_provider = provider or settings.default_payment_provider
    wanted = Wanted(demand, first_line, pickup, now, channel.id, pool)
    ready_by = None
    if pickup is not None:
        ready_by = (await calendars.calendars(session, locations=[pickup], at=now))[pickup.id].ready_by(now)
    return Prepared(pickup, origin, names, demand, first_line, delivery_price, payment_provider, now, wanted, ready_by)


def _located(order: PlaceOrderFields, channel: Any, geocode: Geocode | None) -> dict[str, Any] | None:
    """Where a delivery whose address came without coordinates is, as kept on the order (None otherwise)."""
    if order.delivery.method is not FulfilmentMethod.DELIVERY:
        return None
    return geocoding.kept(order.delivery.address, default_region=channel.default_region, geocode=geocode)


async def _write(
    session: AsyncSession,
    order: PlaceOrderFields,
    principal: Principal,
    channel: Any,
    prepared: Prepared,
    payload: dict[str, Any],
    digest: str,
    geocode: dict[str, Any] | None,
) -> Order:
    """The order, its lines and ORDER_PLACED; AlreadyPlaced when its key or external id is taken."""
    now, pickup, origin, delivery_price = prepared.at, prepared.pickup, prepared.origin, prepared.delivery_price
    method = order.delivery.method
    status = (
        OrderStatus.ON_HOLD
        if rules.starts_on_hold(rules.Confirmation(channel.confirmation), order.payment.method)
        else OrderStatus.PLACED
    )
    subtotal = sum((line.unit_price * line.quantity for line in order.lines), Decimal(0))
    seq = await next_in_sequence(session, orders_table, column_name="seq", sequence="order_number_seq")
    order_id = uuid.uuid4()
    number = rules.order_number(channel.code, seq)
    customer = payload["customer"]
    values = dict(
        id=order_id,
        seq=seq,
        number=number,
        channel_id=channel.id,
        idempotency_key=order.idempotency_key,
        request_hash=digest,
        external_id=order.external_id,
        status=status.value,
        hold_reason="awaiting confirmation" if status is OrderStatus.ON_HOLD else None,
        customer=customer,
        customer_email=(customer.get("email") or None),
        delivery_method=method.value,
        delivery_address=payload["delivery"]["address"],
        geocode=geocode,
        pickup_location_id=pickup.id if pickup is not None else None,
        carrier=order.delivery.carrier,
        service=order.delivery.service,
        delivery_price=delivery_price,
        # the channel's own promise, else a pickup's from its store's shelf (the rule deliveryOptions offers);
        # a delivery is promised when first routed, from the plan deliveryOptions foresaw, dated from today
        promised_date=order.delivery.promised_date or prepared.ready_by,
        payment_method=order.payment.method.value,
        payment_provider=prepared.payment_provider,
        payment_reference=order.payment.reference,
        payment_status=rules.initial_payment_status(order.payment.method).value,
        subtotal=subtotal,
        total=subtotal + delivery_price,
        currency=channel.currency,
        origin_location_id=origin.id if origin is not None else None,
        note=order.note,
        version=1,
        created_at=now,
        updated_at=now,
    )
    inserted = await (await connection_of(session)).execute(insert_order(session), values)
    if inserted.first() is None:  # a concurrent placement with the same key or external id committed first
        raise AlreadyPlaced(channel.id, order.idempotency_key, order.external_id, digest)
    await insert_rows(
        session,
        lines_table,
        [
            {
                "id": uuid.uuid4(),
                "order_id": order_id,
                "line_no": i + 1,
                "sku": line.sku,
                "name": prepared.names[line.sku],
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "quantity_cancelled": 0,
                "quantity_shipped": 0,
                "quantity_returned": 0,
            }
            for i, line in enumerate(order.lines)
        ],
    )
    await append_event(
        session,
        order_id=order_id,
        type=EventType.ORDER_PLACED,
        actor=principal.name,
        at=now,
        data={
            "number": number,
            "status": status.value,
            "channel": channel.code,
            "method": method.value,
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in order.lines],
            "total": str(subtotal + delivery_price),
            "currency": channel.currency,
        },
    )
    return Order(**values)


async def _locations(
    session: AsyncSession, order: PlaceOrderFields, principal: Principal, errors: ErrorList
) -> tuple[Location | None, Location | None]:
    """The pickup and origin locations, checked (one statement for both, none when neither is given)."""
    codes = {c for c in (order.delivery.pickup_location_code, order.origin_location_code) if c}
    found = (
        {loc.code: loc for loc in await session.scalars(select(Location).where(Location.code.in_(codes)))}
        if codes
        else {}
    )
    pickup = origin = None
    if order.delivery.method is FulfilmentMethod.PICKUP and order.delivery.pickup_location_code:
        code = order.delivery.pickup_location_code
        pickup = found.get(code)
        if pickup is None:
            errors.add(
                ErrorCode.UNKNOWN_LOCATION,
                ["input", "delivery", "pickupLocationCode"],
                f"no location with code {code!r}",
            )
        elif not (pickup.active and pickup.can_pickup):
            errors.add(
                ErrorCode.PICKUP_NOT_AVAILABLE,
                ["input", "delivery", "pickupLocationCode"],
                f"{code} does not hand out click & collect orders",
            )
    if order.origin_location_code:
        origin = found.get(order.origin_location_code)
        if origin is None:
            errors.add(
                ErrorCode.UNKNOWN_LOCATION,
                ["input", "originLocationCode"],
                f"no location with code {order.origin_location_code!r}",
            )
    if principal.role is Role.STORE and (
        order.origin_location_code is None or not principal.may_use_location(order.origin_location_code)
    ):
        raise DomainError.one(
            ErrorCode.PERMISSION_DENIED,
            ["input", "originLocationCode"],
            "a STORE key places endless-aisle orders with its own location as origin",
        )
    return pickup, origin
