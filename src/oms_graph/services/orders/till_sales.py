"""A store's till sale recorded as an order of the store's channel, already collected there and paid in
the store, so that "bought offline, returned online" goes through the same return flow as any order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.dialect import insert_rows, next_in_sequence
from oms_graph.db.models import (
    Channel,
    Fulfilment,
    FulfilmentLine,
    Location,
    Order,
    OrderLine,
    Product,
)
from oms_graph.domain import orders as rules
from oms_graph.domain.access import Principal
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.events import EventType
from oms_graph.domain.fulfilment import SOLD_IN_STORE_REASON, FulfilmentStatus
from oms_graph.domain.orders import MAX_LINES, FulfilmentMethod, OrderStatus, PaymentMethod
from oms_graph.domain.payments import PaymentKind, TransactionStatus
from oms_graph.services.orders.placement import insert_order
from oms_graph.services.outbox import append_event
from oms_graph.services.payments import transactions as payments
from oms_graph.services.stock import ledger

STORE_PAYMENT_PROVIDER = "manual"  # the till took the money
orders_table = cast(Table, Order.__table__)


class SaleLineFields(Protocol):
    sku: str
    quantity: int
    unit_price: Decimal


class CustomerFields(Protocol):
    email: str | None
    phone: str | None
    name: str | None
    external_id: str | None


class StoreSaleFields(Protocol):
    location_code: str
    channel: str
    receipt_number: str
    sold_at: datetime | None

    @property
    def customer(self) -> CustomerFields | None: ...

    @property
    def lines(self) -> Sequence[SaleLineFields]: ...


async def record_store_sale(session: AsyncSession, *, sale: StoreSaleFields, principal: Principal) -> Order:
    """Record a till sale once per receipt (recording it again answers the first): a COMPLETED order with
    a COLLECTED fulfilment at the store, its units off the store's onHand, and its payment captured."""
    errors = ErrorList()
    receipt = sale.receipt_number.strip()
    if not receipt or len(receipt) > 200:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "receiptNumber"], "1 to 200 characters")
    if not 0 < len(sale.lines) <= MAX_LINES:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "lines"], f"1 to {MAX_LINES} lines")
    for i, line in enumerate(sale.lines):
        if line.quantity <= 0:
            errors.add(ErrorCode.INVALID_INPUT, ["input", "lines", i, "quantity"], "must be positive")
        if line.unit_price < 0:
            errors.add(ErrorCode.INVALID_INPUT, ["input", "lines", i, "unitPrice"], "must not be negative")
    if not principal.may_use_location(sale.location_code):
        errors.add(ErrorCode.PERMISSION_DENIED, ["input", "locationCode"], "a STORE key records its own sales")
    errors.raise_if_any()
    channel = await session.scalar(select(Channel).where(Channel.code == sale.channel))
    if channel is None:
        raise DomainError.one(ErrorCode.UNKNOWN_CHANNEL, ["input", "channel"], f"no channel with code {sale.channel!r}")
    if not principal.may_use_channel(channel.code):
        raise DomainError.one(ErrorCode.PERMISSION_DENIED, ["input", "channel"], "not this key's channel")
    location = await session.scalar(select(Location).where(Location.code == sale.location_code))
    if location is None:
        raise DomainError.one(
            ErrorCode.UNKNOWN_LOCATION, ["input", "locationCode"], f"no location with code {sale.location_code!r}"
        )
    recorded = await session.scalar(select(Order).where(Order.channel_id == channel.id, Order.external_id == receipt))
    if recorded is not None:
        return recorded
    skus = sorted({line.sku for line in sale.lines})
    names = dict((await session.execute(select(Product.sku, Product.name).where(Product.sku.in_(skus)))).all())
    for i, line in enumerate(sale.lines):
        if line.sku not in names:
            errors.add(ErrorCode.UNKNOWN_SKU, ["input", "lines", i, "sku"], f"no product with sku {line.sku!r}")
        elif not rules.fits_currency(line.unit_price, channel.currency):
            errors.add(
                ErrorCode.INVALID_INPUT,
                ["input", "lines", i, "unitPrice"],
                f"{line.unit_price} has more decimals than {channel.currency} allows",
            )
    errors.raise_if_any()

    now = utcnow()
    sold_at = sale.sold_at or now
    total = sum((line.unit_price * line.quantity for line in sale.lines), Decimal(0))
    seq = await next_in_sequence(session, orders_table, column_name="seq", sequence="order_number_seq")
    customer = _customer(sale.customer)
    values: dict[str, Any] = dict(
        id=uuid.uuid4(),
        seq=seq,
        number=rules.order_number(channel.code, seq),
        channel_id=channel.id,
        idempotency_key=f"receipt:{receipt}",
        request_hash=rules.request_hash({"receipt": receipt}),
        external_id=receipt,
        status=OrderStatus.COMPLETED,
        customer=customer,
        customer_email=customer.get("email"),
        delivery_method=FulfilmentMethod.PICKUP,
        delivery_address=None,
        pickup_location_id=location.id,
        delivery_price=Decimal(0),
        payment_method=PaymentMethod.PAY_AT_PICKUP,
        payment_provider=STORE_PAYMENT_PROVIDER,
        payment_status=rules.initial_payment_status(PaymentMethod.PAY_AT_PICKUP).value,
        subtotal=total,
        total=total,
        currency=channel.currency,
        origin_location_id=location.id,
        created_at=sold_at,
        fulfilled_at=sold_at,
        updated_at=now,
    )
    inserted = await session.execute(insert_order(session), values)
    if inserted.first() is None:
        raise DomainError.one(
            ErrorCode.IDEMPOTENCY_CONFLICT, ["input", "receiptNumber"], "this receipt is being recorded; retry"
        )
    order = await session.get_one(Order, values["id"])
    await insert_rows(
        session,
        cast(Table, OrderLine.__table__),
        [
            {
                "id": uuid.uuid4(),
                "order_id": order.id,
                "line_no": i + 1,
                "sku": line.sku,
                "name": names[line.sku],
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "quantity_cancelled": 0,
                "quantity_shipped": line.quantity,  # handed over at the till
                "quantity_returned": 0,
            }
            for i, line in enumerate(sale.lines)
        ],
    )
    units: dict[str, int] = {}
    for line in sale.lines:
        units[line.sku] = units.get(line.sku, 0) + line.quantity
    fulfilment = Fulfilment(
        id=uuid.uuid4(),
        order_id=order.id,
        location_id=location.id,
        method=FulfilmentMethod.PICKUP,
        status=FulfilmentStatus.COLLECTED,
        value=total,
        created_at=sold_at,
        updated_at=now,
    )
    session.add(fulfilment)
    session.add_all(
        FulfilmentLine(id=uuid.uuid4(), fulfilment_id=fulfilment.id, sku=sku, quantity=n, quantity_picked=n)
        for sku, n in sorted(units.items())
    )
    await ledger.sell_off_the_shelf(
        session,
        location_id=location.id,
        units=units,
        movement=ledger.Movement(SOLD_IN_STORE_REASON, principal.name, now),
    )
    await append_event(
        session,
        order_id=order.id,
        type=EventType.STORE_SALE_RECORDED,
        actor=principal.name,
        at=now,
        data={
            "number": order.number,
            "receipt": receipt,
            "location": location.code,
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in sale.lines],
            "total": str(total),
            "currency": channel.currency,
        },
    )
    await payments.request_payment(
        session,
        order=order,
        kind=PaymentKind.CAPTURE,
        amount=total,
        source="store-sale",
        actor=principal.name,
        status=TransactionStatus.SUCCEEDED,
    )
    return order


def _customer(customer: CustomerFields | None) -> dict[str, Any]:
    if customer is None:
        return {}
    found = {
        "email": customer.email,
        "phone": customer.phone,
        "name": customer.name,
        "externalId": customer.external_id,
    }
    return {k: v for k, v in found.items() if v}
