"""Placing orders (one, or a marketplace/POS batch) and the lifecycle before routing."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.api.context import Info
from oms_graph.api.errors import UserError, command, user_errors
from oms_graph.api.node import decode_id
from oms_graph.api.orders.inputs import CancelLineInput, PlaceOrderInput, StoreSaleInput
from oms_graph.api.orders.types import ImportOrdersPayload, Order, OrderPayload, PlaceOrderPayload
from oms_graph.api.permissions import roles
from oms_graph.db import models
from oms_graph.domain.access import Role
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.orders import MAX_IMPORT
from oms_graph.services import geocoding
from oms_graph.services.orders import cancellation, placement
from oms_graph.services.orders import lifecycle as orders
from oms_graph.services.orders import till_sales as store_sales


async def place(info: Info, order: PlaceOrderInput) -> PlaceOrderPayload:
    """Place in one transaction; a replay (same key, or same external id) answers the order placed before."""
    principal = info.context.caller
    settings = info.context.settings
    # An HTTP geocoder is asked before the transaction, never inside it.
    where = await geocoding.locate(order.delivery.address, settings)
    placed, errors = await command(
        info,
        lambda s: placement.place_or_replay(s, order=order, principal=principal, settings=settings, geocode=where),
    )
    if placed is None:
        return PlaceOrderPayload(order=None, errors=errors)
    return PlaceOrderPayload(order=Order.from_model(placed), errors=[])


async def change(
    info: Info, id: strawberry.ID, run: Callable[[AsyncSession, uuid.UUID], Awaitable[models.Order]]
) -> OrderPayload:
    decoded = decode_id(id)
    if decoded is None or decoded[0] != "Order":
        return OrderPayload(
            order=None, errors=user_errors(DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such order"))
        )
    done, errors = await command(info, lambda s: run(s, decoded[1]))
    return OrderPayload(order=Order.from_model(done) if done else None, errors=errors)


@strawberry.type
class OrderMutation:
    @strawberry.mutation(extensions=roles(Role.STOREFRONT, Role.INTEGRATION, Role.STORE))
    async def place_order(self, info: Info, input: PlaceOrderInput) -> PlaceOrderPayload:
        return await place(info, input)

    @strawberry.mutation(
        extensions=roles(Role.INTEGRATION),
        description=f"Marketplace and POS imports: each order is placed on its own (at most {MAX_IMPORT} a call).",
    )
    async def import_orders(self, info: Info, input: list[PlaceOrderInput]) -> ImportOrdersPayload:
        if not 0 < len(input) <= MAX_IMPORT:
            problem = DomainError.one(ErrorCode.INVALID_INPUT, ["input"], f"send 1 to {MAX_IMPORT} orders a call")
            return ImportOrdersPayload(results=[], errors=user_errors(problem))
        results = [await place(info, order) for order in input]
        for i, result in enumerate(results):
            result.errors = [
                UserError(code=e.code, field=_indexed(e.field, i), message=e.message) for e in result.errors
            ]
        return ImportOrdersPayload(results=results, errors=[])

    @strawberry.mutation(
        extensions=roles(Role.STORE, Role.INTEGRATION),
        description="Record a till sale: a COMPLETED order of the store's channel, collected and paid in store.",
    )
    async def record_store_sale(self, info: Info, input: StoreSaleInput) -> OrderPayload:
        caller = info.context.caller
        done, errors = await command(info, lambda s: store_sales.record_store_sale(s, sale=input, principal=caller))
        return OrderPayload(order=Order.from_model(done) if done else None, errors=errors)

    @strawberry.mutation(extensions=roles(Role.STOREFRONT))
    async def cancel_order(self, info: Info, id: strawberry.ID, reason: str) -> OrderPayload:
        principal = info.context.caller
        return await change(
            info, id, lambda s, i: orders.cancel_order(s, order_id=i, reason=reason, principal=principal)
        )

    @strawberry.mutation(
        extensions=roles(Role.STOREFRONT),
        description="Cancel units not yet worked on (a promise, or a fulfilment not accepted yet); the rest goes on.",
    )
    async def cancel_order_lines(
        self, info: Info, id: strawberry.ID, lines: list[CancelLineInput], reason: str
    ) -> OrderPayload:
        principal = info.context.caller
        return await change(
            info,
            id,
            lambda s, i: cancellation.cancel_lines(s, order_id=i, lines=lines, reason=reason, principal=principal),
        )

    @strawberry.mutation(extensions=roles(Role.STOREFRONT))
    async def hold_order(self, info: Info, id: strawberry.ID, reason: str) -> OrderPayload:
        principal = info.context.caller
        return await change(info, id, lambda s, i: orders.hold_order(s, order_id=i, reason=reason, principal=principal))

    @strawberry.mutation(extensions=roles(Role.STOREFRONT))
    async def release_order(self, info: Info, id: strawberry.ID) -> OrderPayload:
        principal = info.context.caller
        return await change(info, id, lambda s, i: orders.release_order(s, order_id=i, principal=principal))


def _indexed(field: list[str] | None, index: int) -> list[str] | None:
    """A placement's ["input", …] path as the batch's ["input", index, …]."""
    if not field or field[0] != "input":
        return field
    return ["input", str(index), *field[1:]]
