"""Returns in any channel: started for shipped or collected units, received at any location with RETURNS
whatever channel sold them. Sellable units go back on that location's shelf; the refund for what was
received goes to the payment provider in the background (services.payments)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Sequence
from decimal import Decimal
from typing import Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.config import Settings
from oms_graph.db.base import utcnow
from oms_graph.db.models import Channel, FulfilmentLine, Location, Order, OrderLine, Return, ReturnLine
from oms_graph.domain import returns as rules
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.events import EventType
from oms_graph.domain.returns import MAX_RETURN_LINES, ItemCondition, ReturnStatus
from oms_graph.services.fulfilment.allocation import HELD_UNITS
from oms_graph.services.orders.locking import lock_order
from oms_graph.services.orders.reads import visible_to
from oms_graph.services.outbox import append_event
from oms_graph.services.payments import transactions as payments
from oms_graph.services.returns import exchanges
from oms_graph.services.stock.levels import put_back

RESTOCK_REASON = "return"
UNDELIVERABLE = "undeliverable: sent back by the carrier"


class LineFields(Protocol):
    sku: str
    quantity: int


class ReturnLineFields(LineFields, Protocol):
    reason: str | None


class ReceivedLineFields(LineFields, Protocol):
    condition: ItemCondition


L = TypeVar("L", bound=LineFields)


async def request_return(
    session: AsyncSession,
    *,
    order_id: uuid.UUID,
    channel_code: str | None,
    lines: Sequence[ReturnLineFields],
    principal: Principal,
    exchange_lines: Sequence[exchanges.ExchangeLineFields] = (),
    settings: Settings | None = None,
    external_id: str | None = None,
) -> Return:
    """Start a return of units that were shipped or collected and are not returned (or being returned);
    with `exchange_lines`, its replacement order too (`services.returns.exchanges`), placed with `settings`.
    With `external_id` (a marketplace's id of the return), the order's return of that id when there is one."""
    errors = ErrorList()
    _check_lines(errors, lines)
    exchanges.check_lines(exchange_lines, errors)
    for i, line in enumerate(lines):
        if line.reason is not None and len(line.reason) > 500:
            errors.add(ErrorCode.INVALID_INPUT, ["input", "lines", i, "reason"], "at most 500 characters")
    errors.raise_if_any()
    channel_id = await _channel(session, channel_code, principal)
    # A store takes back any order's units; a storefront its own.
    scope = visible_to(principal) if principal.role is Role.STOREFRONT else None
    order = await lock_order(session, order_id=order_id, scope=scope)
    if order is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["input", "orderId"], "no such order")
    if external_id is not None:
        known = await session.scalar(
            select(Return).where(Return.order_id == order.id, Return.external_id == external_id)
        )
        if known is not None:
            return known
    sold = list(await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)))
    allowed = rules.returnable(sold, await _being_returned(session, order.id))
    for i, line in enumerate(lines):
        if line.sku not in allowed:
            errors.add(ErrorCode.UNKNOWN_SKU, ["input", "lines", i, "sku"], f"order {order.number} has no {line.sku}")
        elif line.quantity > allowed[line.sku]:
            errors.add(
                ErrorCode.RETURN_NOT_ALLOWED,
                ["input", "lines", i, "quantity"],
                f"{max(allowed[line.sku], 0)} units of {line.sku} can be returned: only shipped or collected "
                "units, less those returned or in an open return",
            )
    errors.raise_if_any()
    found = await _open(
        session,
        order,
        [(line.sku, line.quantity, (line.reason or "").strip() or None) for line in lines],
        channel_id=channel_id,
        actor=principal.name,
    )
    found.external_id = external_id
    if exchange_lines:
        if settings is None:
            raise ValueError("a replacement is placed with the settings: pass them")
        code = str(await session.scalar(select(Channel.code).where(Channel.id == order.channel_id)))
        await exchanges.open_exchange(
            session,
            order=order,
            found=found,
            returned={line.sku: line.quantity for line in lines},
            lines=exchange_lines,
            channel_code=code,
            principal=principal,
            settings=settings,
        )
    return found


async def return_to_sender(
    session: AsyncSession, *, order: Order, fulfilment_id: uuid.UUID, actor: str
) -> Return | None:
    """A parcel the carrier could not deliver travels back: a return of its units (as far as they are not
    on their way back already), received at a location like any other. The order must be locked."""
    units = dict(
        (
            await session.execute(
                select(FulfilmentLine.sku, HELD_UNITS).where(FulfilmentLine.fulfilment_id == fulfilment_id)
            )
        ).all()
    )
    sold = list(await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)))
    allowed = rules.returnable(sold, await _being_returned(session, order.id))
    back = [(sku, min(n, allowed.get(sku, 0)), UNDELIVERABLE) for sku, n in sorted(units.items())]
    back = [line for line in back if line[1] > 0]
    return await _open(session, order, back, channel_id=None, actor=actor) if back else None


async def _open(
    session: AsyncSession,
    order: Order,
    lines: Sequence[tuple[str, int, str | None]],
    *,
    channel_id: uuid.UUID | None,
    actor: str,
) -> Return:
    """A REQUESTED return of (sku, quantity, reason) lines, numbered after the order's earlier ones."""
    earlier = await session.scalar(select(func.count()).select_from(Return).where(Return.order_id == order.id))
    now = utcnow()
    found = Return(
        id=uuid.uuid4(),
        number=rules.return_number(order.number, int(earlier or 0) + 1),
        order_id=order.id,
        status=ReturnStatus.REQUESTED,
        channel_id=channel_id,
        refund_amount=Decimal(0),
        requested_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(found)
    session.add_all(
        ReturnLine(
            id=uuid.uuid4(),
            return_id=found.id,
            sku=sku,
            quantity=quantity,
            reason=reason,
            quantity_received=0,
            quantity_damaged=0,
        )
        for sku, quantity, reason in lines
    )
    await append_event(
        session,
        order_id=order.id,
        type=EventType.RETURN_REQUESTED,
        actor=actor,
        at=now,
        data={"return": str(found.id), "number": found.number, "lines": {sku: n for sku, n, _ in lines}},
    )
    return found


async def receive_return(
    session: AsyncSession,
    *,
    return_id: uuid.UUID,
    location_code: str,
    lines: Sequence[ReceivedLineFields],
    principal: Principal,
) -> Return:
    """The parcel arrived at a location with RETURNS: sellable units back on its shelf, damaged ones written
    off, the order's lines marked returned, and the refund for the received units asked for."""
    errors = ErrorList()
    if not principal.may_use_location(location_code):
        raise DomainError.one(
            ErrorCode.PERMISSION_DENIED, ["input", "locationCode"], "a STORE key receives returns at its own location"
        )
    location = await session.scalar(select(Location).where(Location.code == location_code))
    if location is None:
        raise DomainError.one(
            ErrorCode.UNKNOWN_LOCATION, ["input", "locationCode"], f"no location with code {location_code!r}"
        )
    if not location.can_return or not location.active:
        raise DomainError.one(
            ErrorCode.RETURN_NOT_ALLOWED, ["input", "locationCode"], f"{location_code} does not take returns"
        )
    _check_lines(errors, lines, allow_zero=True, key=lambda line: (line.sku, line.condition))
    errors.raise_if_any()
    order_id = await session.scalar(select(Return.order_id).where(Return.id == return_id))
    if order_id is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["input", "returnId"], "no such return")
    order = await lock_order(session, order_id=order_id)
    found = await session.scalar(select(Return).where(Return.id == return_id).with_for_update())
    assert order is not None and found is not None
    if found.status != ReturnStatus.REQUESTED:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION, ["input", "returnId"], f"return {found.number} is {found.status}"
        )
    expected = {
        line.sku: line for line in await session.scalars(select(ReturnLine).where(ReturnLine.return_id == found.id))
    }
    sellable: dict[str, int] = {}
    damaged: dict[str, int] = {}
    for i, line in enumerate(lines):
        if line.sku not in expected:
            errors.add(ErrorCode.UNKNOWN_SKU, ["input", "lines", i, "sku"], f"return {found.number} has no {line.sku}")
            continue
        into = damaged if line.condition is ItemCondition.DAMAGED else sellable
        into[line.sku] = line.quantity
        if sellable.get(line.sku, 0) + damaged.get(line.sku, 0) > expected[line.sku].quantity:
            errors.add(
                ErrorCode.INVALID_INPUT,
                ["input", "lines", i, "quantity"],
                f"return {found.number} announced {expected[line.sku].quantity} units of {line.sku}",
            )
    errors.raise_if_any()
    sold = list(
        await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.line_no))
    )
    value = Decimal(0)
    for sku, announced in expected.items():
        announced.quantity_damaged = damaged.get(sku, 0)
        announced.quantity_received = sellable.get(sku, 0) + announced.quantity_damaged
        for order_line, units in rules.take_back(sold, sku, announced.quantity_received):
            order_line.quantity_returned += units
            value += units * order_line.unit_price
    restocked = {sku: n for sku, n in sellable.items() if n}
    await put_back(session, units=restocked, location_id=location.id, reason=RESTOCK_REASON, actor=principal.name)
    now = utcnow()
    received = any(line.quantity_received for line in expected.values())
    found.status = ReturnStatus.RECEIVED if received else ReturnStatus.REJECTED
    found.location_id, found.received_at, found.updated_at = location.id, now, now
    await session.flush()
    credit = await exchanges.returned(session, found=found, received=received, actor=principal.name)
    found.refund_amount = await payments.refund_return(
        session, order=order, return_id=found.id, value=max(value - credit, Decimal(0)), actor=principal.name
    )
    await append_event(
        session,
        order_id=order.id,
        type=EventType.returned(ReturnStatus(found.status)),
        actor=principal.name,
        at=now,
        data={
            "return": str(found.id),
            "number": found.number,
            "location": location.code,
            "restocked": restocked,
            "damaged": {sku: n for sku, n in damaged.items() if n},
            "refund": str(found.refund_amount),
        },
    )
    return found


async def cancel_return(session: AsyncSession, *, return_id: uuid.UUID, principal: Principal) -> Return:
    """The customer keeps the goods: a requested return is called off and its units may be returned later."""
    order_id = await session.scalar(select(Return.order_id).where(Return.id == return_id))
    scope = visible_to(principal) if principal.role is Role.STOREFRONT else None
    order = await lock_order(session, order_id=order_id, scope=scope)
    found = await session.scalar(select(Return).where(Return.id == return_id).with_for_update())
    if order is None or found is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such return")
    if found.status != ReturnStatus.REQUESTED:
        raise DomainError.one(ErrorCode.INVALID_TRANSITION, ["id"], f"return {found.number} is {found.status}")
    now = utcnow()
    found.status, found.updated_at = ReturnStatus.CANCELLED, now
    await exchanges.called_off(session, found=found, actor=principal.name)
    await append_event(
        session,
        order_id=order.id,
        type=EventType.RETURN_CANCELLED,
        actor=principal.name,
        at=now,
        data={"return": str(found.id), "number": found.number},
    )
    return found


async def get_return(session: AsyncSession, *, return_id: uuid.UUID, principal: Principal) -> Return | None:
    """A return, if the key may read it."""
    found = await session.get(Return, return_id)
    return found if found is not None and await return_visible(session, found=found, principal=principal) else None


async def return_visible(session: AsyncSession, *, found: Return, principal: Principal) -> bool:
    """Whether a key may read a return: any STORE (a return may be brought to any store), else whoever may
    read its order."""
    if principal.role in (Role.STORE, Role.ADMIN):
        return True
    scope = visible_to(principal)
    stmt = select(Order.id).where(Order.id == found.order_id)
    return await session.scalar(stmt if scope is None else stmt.where(scope)) is not None


def _check_lines(
    errors: ErrorList, lines: Sequence[L], *, allow_zero: bool = False, key: Callable[[L], Hashable] | None = None
) -> None:
    """1 to MAX_RETURN_LINES lines, positive quantities (or zero, received), each sku (or key) once."""
    if not 0 < len(lines) <= MAX_RETURN_LINES:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "lines"], f"1 to {MAX_RETURN_LINES} lines")
    seen: set[Hashable] = set()
    for i, line in enumerate(lines):
        if line.quantity < 0 or (line.quantity == 0 and not allow_zero):
            errors.add(ErrorCode.INVALID_INPUT, ["input", "lines", i, "quantity"], "must be positive")
        identity = line.sku if key is None else key(line)
        if identity in seen:
            errors.add(ErrorCode.INVALID_INPUT, ["input", "lines", i, "sku"], f"{line.sku} is given twice")
        seen.add(identity)


async def _channel(session: AsyncSession, code: str | None, principal: Principal) -> uuid.UUID | None:
    """The channel a return is started in: a storefront's own; else the one named, if any."""
    if principal.role is Role.STOREFRONT:
        if code is not None and code != principal.channel_code:
            raise DomainError.one(
                ErrorCode.PERMISSION_DENIED, ["input", "channel"], "a STOREFRONT key starts returns in its channel"
            )
        return principal.channel_id
    if code is None:
        return None
    channel_id = await session.scalar(select(Channel.id).where(Channel.code == code))
    if channel_id is None:
        raise DomainError.one(ErrorCode.UNKNOWN_CHANNEL, ["input", "channel"], f"no channel with code {code!r}")
    return channel_id


async def _being_returned(session: AsyncSession, order_id: uuid.UUID) -> dict[str, int]:
    """Units per sku in the order's returns that were requested and not yet received."""
    rows = await session.execute(
        select(ReturnLine.sku, func.sum(ReturnLine.quantity))
        .join(Return, Return.id == ReturnLine.return_id)
        .where(Return.order_id == order_id, Return.status == ReturnStatus.REQUESTED)
        .group_by(ReturnLine.sku)
    )
    return {sku: int(n) for sku, n in rows}
