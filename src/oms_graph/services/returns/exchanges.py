"""Exchanges: a return that asks for replacement lines gets its replacement order at once, in the same
transaction. The replacement is placed like any order (same customer and address or pickup store, promised
and routed, INSUFFICIENT_STOCK refusing the whole return), paid first by the returned units' value (a
credit, recorded as taken by the built-in `exchange` provider), the rest charged when it ships as usual; a
dearer return refunds the difference when received. By its channel's routing profile it ships at once, or
waits ON_HOLD until the return is received."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.adapters.payments.exchange import NAME as EXCHANGE_PROVIDER
from oms_graph.config import Settings
from oms_graph.db.models import Location, Order, OrderLine, Return, RoutingProfile
from oms_graph.domain import returns as rules
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList, UserError
from oms_graph.domain.events import EventType
from oms_graph.domain.geocoding import Geocode
from oms_graph.domain.orders import CANCELLABLE, FulfilmentMethod, OrderStatus, PaymentMethod, in_minor_units
from oms_graph.domain.payments import PaymentKind, TransactionStatus
from oms_graph.services.orders.lifecycle import cancel_locked, release_locked
from oms_graph.services.orders.locking import lock_order
from oms_graph.services.orders.placement import place_order
from oms_graph.services.outbox import append_event
from oms_graph.services.payments import transactions as payments

EXCHANGE_SOURCE = "exchange:"  # the credit's source on the replacement, with the return's id
WAITING = "exchange: waiting for return {number}"


class ExchangeLineFields(Protocol):
    sku: str
    quantity: int
    unit_price: Decimal | None


@dataclass(frozen=True)
class _Line:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class _Address:
    name: str | None
    line1: str
    city: str
    region: str | None
    postal_code: str | None
    country: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class _Customer:
    email: str | None
    phone: str | None
    name: str | None
    external_id: str | None
    tags: list[str] | None


@dataclass(frozen=True)
class _Delivery:
    method: FulfilmentMethod
    address: _Address | None
    pickup_location_code: str | None
    carrier: str | None
    service: str | None
    price: Decimal | None = Decimal(0)
    promised_date: Any = None


@dataclass(frozen=True)
class _Payment:
    method: PaymentMethod
    provider: str | None
    reference: str | None = None


@dataclass(frozen=True)
class _Replacement:
    channel: str
    idempotency_key: str
    customer: _Customer
    lines: list[_Line]
    delivery: _Delivery
    payment: _Payment
    origin_location_code: str | None
    note: str | None
    external_id: str | None = None


def check_lines(lines: Sequence[ExchangeLineFields], errors: ErrorList) -> None:
    if len(lines) > rules.MAX_RETURN_LINES:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "exchangeLines"], f"at most {rules.MAX_RETURN_LINES} lines")
    for i, line in enumerate(lines):
        if line.quantity <= 0:
            errors.add(ErrorCode.INVALID_INPUT, ["input", "exchangeLines", i, "quantity"], "must be at least 1")
        if line.unit_price is not None and line.unit_price < 0:
            errors.add(ErrorCode.INVALID_INPUT, ["input", "exchangeLines", i, "unitPrice"], "must not be negative")


async def open_exchange(
    session: AsyncSession,
    *,
    order: Order,
    found: Return,
    returned: dict[str, int],
    lines: Sequence[ExchangeLineFields],
    channel_code: str,
    principal: Principal,
    settings: Settings,
) -> Order:
    """Place the replacement for a return just opened (the original order locked), credit it with the
    returned units' value, link the two, and hold it for the return unless the channel ships first."""
    sold = list(
        await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.line_no))
    )
    value = sum(
        (line.unit_price * n for sku, units in returned.items() for line, n in rules.take_back(sold, sku, units)),
        Decimal(0),
    )
    # the price of the first returned sku, for a replacement line without one
    price = in_minor_units(next(line.unit_price for line in sold if line.sku in returned), order.currency)
    fields = await _replacement(session, order, found, lines, price, channel_code, principal)
    geocode = Geocode.of(order.geocode) if order.geocode else None
    try:
        placed = await place_order(session, order=fields, principal=principal, settings=settings, geocode=geocode)
    except DomainError as error:
        raise DomainError([_as_exchange(e) for e in error.errors]) from None
    replacement = await session.get_one(Order, placed.id)
    credit = min(value, replacement.total)
    found.exchange_order_id, found.exchange_credit = replacement.id, credit
    if credit > 0:
        await payments.request_payment(
            session,
            order=replacement,
            kind=PaymentKind.CAPTURE,
            amount=credit,
            source=f"{EXCHANGE_SOURCE}{found.id}",
            actor=principal.name,
            status=TransactionStatus.SUCCEEDED,
            provider=EXCHANGE_PROVIDER,
        )
    ships_first = await session.scalar(
        select(RoutingProfile.exchange_before_return).where(RoutingProfile.channel_id == order.channel_id)
    )
    if not ships_first:
        replacement.status, replacement.hold_reason = OrderStatus.ON_HOLD, WAITING.format(number=found.number)
        await append_event(
            session,
            order_id=replacement.id,
            type=EventType.ORDER_HELD,
            actor=principal.name,
            data={"number": replacement.number, "reason": replacement.hold_reason},
        )
    return replacement


async def returned(session: AsyncSession, *, found: Return, received: bool, actor: str) -> Decimal:
    """The return was received (or came back empty): a replacement waiting for it is released (or called
    off); the credit it took, kept back from the refund."""
    replacement = await _locked_replacement(session, found)
    if replacement is None:
        return Decimal(0)
    waiting = replacement.status == OrderStatus.ON_HOLD and replacement.hold_reason == WAITING.format(
        number=found.number
    )
    if waiting and received:
        await release_locked(session, order=replacement, actor=actor)
    elif waiting:
        await cancel_locked(session, order=replacement, reason=f"return {found.number} came back empty", actor=actor)
    return Decimal(0) if replacement.status == OrderStatus.CANCELLED else found.exchange_credit or Decimal(0)


async def called_off(session: AsyncSession, *, found: Return, actor: str) -> None:
    """The customer keeps the goods: a replacement nothing was shipped of is cancelled too (its credit given
    back); one already on its way stays, to be settled by people."""
    replacement = await _locked_replacement(session, found)
    if replacement is not None and OrderStatus(replacement.status) in CANCELLABLE:
        await cancel_locked(session, order=replacement, reason=f"return {found.number} was cancelled", actor=actor)


async def _locked_replacement(session: AsyncSession, found: Return) -> Order | None:
    """The return's replacement order, locked after its original (the caller holds that lock)."""
    return await lock_order(session, order_id=found.exchange_order_id)


async def _replacement(
    session: AsyncSession,
    order: Order,
    found: Return,
    lines: Sequence[ExchangeLineFields],
    price: Decimal,
    channel_code: str,
    principal: Principal,
) -> _Replacement:
    """The replacement as a placement: the original's customer, address or pickup store, carrier and payment
    method; no delivery charge; a STORE places it with itself as origin."""
    address = order.delivery_address
    pickup_code = None
    if order.pickup_location_id is not None:
        pickup_code = await session.scalar(select(Location.code).where(Location.id == order.pickup_location_id))
    origin = principal.location_code if principal.role is Role.STORE else None
    customer = order.customer
    return _Replacement(
        channel=channel_code,
        idempotency_key=f"{EXCHANGE_SOURCE}{found.id}",
        customer=_Customer(
            customer.get("email"),
            customer.get("phone"),
            customer.get("name"),
            customer.get("externalId"),
            customer.get("tags"),
        ),
        lines=[_Line(x.sku, x.quantity, price if x.unit_price is None else x.unit_price) for x in lines],
        delivery=_Delivery(
            method=FulfilmentMethod(order.delivery_method),
            address=None
            if address is None
            else _Address(
                address.get("name"),
                address["line1"],
                address["city"],
                address.get("region"),
                address.get("postalCode"),
                address["country"],
                address.get("latitude"),
                address.get("longitude"),
            ),
            pickup_location_code=pickup_code,
            carrier=order.carrier,
            service=order.service,
        ),
        payment=_Payment(PaymentMethod(order.payment_method), order.payment_provider),
        origin_location_code=origin,
        note=f"exchange for return {found.number}",
    )


def _as_exchange(error: UserError) -> UserError:
    """A placement error's ["input", "lines", i, ...] as the return's ["input", "exchangeLines", i, ...]."""
    path = error.field
    if path is not None and path[:2] == ("input", "lines"):
        path = ("input", "exchangeLines", *path[2:])
    return UserError(error.code, path, error.message)
