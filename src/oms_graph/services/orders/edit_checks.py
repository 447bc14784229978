"""What an order edit is checked against before it writes anything: who may edit, the skus it brings in, the
pickup store it moves to."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import Channel, Location, Order, Product
from oms_graph.domain import edits as rules
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.edits import Change, ChangeKind
from oms_graph.domain.errors import DomainError, ErrorCode, ErrorList
from oms_graph.domain.orders import PAYMENT_FOR_METHOD, FulfilmentMethod, OrderStatus, PaymentMethod, fits_currency
from oms_graph.services.stock import pools


def may_edit(order: Order, status: OrderStatus, principal: Principal) -> None:
    """A storefront edits its channel's orders until a location works on them; a store the orders it took."""
    if principal.role is Role.STOREFRONT and status not in rules.OPEN:
        raise DomainError.one(
            ErrorCode.PERMISSION_DENIED, ["input", "id"], "a STOREFRONT key edits orders no location works on yet"
        )
    if principal.role is Role.STORE and order.origin_location_id != principal.location_id:
        raise DomainError.one(ErrorCode.PERMISSION_DENIED, ["input", "id"], "a STORE key edits the orders it took")


async def product_names(
    session: AsyncSession,
    order: Order,
    lines: list[rules.Line],
    changes: Sequence[Change],
    errors: ErrorList,
) -> dict[str, str]:
    """The names of the skus the edit brings in; UNKNOWN_SKU and money the currency cannot hold."""
    new = {line.sku for line in lines if line.key is None}
    names = {}
    if new:
        names = dict((await session.execute(select(Product.sku, Product.name).where(Product.sku.in_(new)))).all())
    for change in changes:
        path: list[str | int] = ["input", "changes", change.at]
        if change.sku is not None and change.sku not in names and change.kind in rules.LINE_CHANGES:
            name = "addLine" if change.kind is ChangeKind.ADD_LINE else "replaceSku"
            errors.add(ErrorCode.UNKNOWN_SKU, [*path, name, "sku"], f"no product with sku {change.sku!r}")
        for money in (change.unit_price, change.price):
            if money is not None and not fits_currency(money, order.currency):
                errors.add(ErrorCode.INVALID_INPUT, path, f"{money} has more decimals than {order.currency} allows")
    return names


async def new_pickup(session: AsyncSession, order: Order, moved: Change, errors: ErrorList) -> Location | None:
    """The pickup store a method change names, checked as placement checks it."""
    path: list[str | int] = ["input", "changes", moved.at, "changeMethod"]
    method = moved.method or FulfilmentMethod.DELIVERY
    if PaymentMethod(order.payment_method) not in PAYMENT_FOR_METHOD[method]:
        errors.add(ErrorCode.INVALID_INPUT, [*path, "method"], f"{order.payment_method} does not go with {method}")
    if method is not FulfilmentMethod.PICKUP:
        return None
    code = moved.pickup_location_code
    found = await session.scalar(select(Location).where(Location.code == code))
    if found is None:
        errors.add(ErrorCode.UNKNOWN_LOCATION, [*path, "pickupLocationCode"], f"no location with code {code!r}")
        return None
    pool = await pools.pool_of(session, order.channel_id)
    if not (found.active and found.can_pickup):
        errors.add(ErrorCode.PICKUP_NOT_AVAILABLE, [*path, "pickupLocationCode"], f"{code} hands out no orders")
    elif pool is not None and not pool.feeds(code=found.code, kind=found.kind, region=found.region):
        errors.add(ErrorCode.PICKUP_NOT_AVAILABLE, [*path, "pickupLocationCode"], f"{code} is not in the pool")
    return found


async def default_region(session: AsyncSession, order: Order) -> str | None:
    return await session.scalar(select(Channel.default_region).where(Channel.id == order.channel_id))
