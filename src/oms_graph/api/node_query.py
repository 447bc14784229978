"""`node(id)`: any object by its global id, within what the caller may read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry

from oms_graph.api.catalog.types import Channel, Location, Product
from oms_graph.api.context import Info
from oms_graph.api.errors import reading
from oms_graph.api.fulfilment.types import Fulfilment
from oms_graph.api.node import Node, decode_id
from oms_graph.api.orders.types import Order
from oms_graph.api.permissions import EVERY_ROLE, roles
from oms_graph.api.returns.types import Return
from oms_graph.db import models
from oms_graph.domain.access import Role
from oms_graph.services.orders import lifecycle as orders
from oms_graph.services.returns import lifecycle as returns

SHAPES: dict[str, tuple[type[Any], Callable[[Any], Node]]] = {
    "Channel": (models.Channel, Channel.from_model),
    "Location": (models.Location, Location.from_model),
    "Product": (models.Product, Product.from_model),
}


@strawberry.type
class NodeQuery:
    @strawberry.field(extensions=roles(*EVERY_ROLE))
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        decoded = decode_id(id)
        if decoded is not None and decoded[0] == "Order":
            async with reading(info) as session:
                order = await orders.get_order(session, principal=info.context.caller, order_id=decoded[1])
            return Order.from_model(order) if order else None
        if decoded is not None and decoded[0] == "Fulfilment":
            async with reading(info) as session:
                fulfilment = await session.get(models.Fulfilment, decoded[1])
                visible = fulfilment is not None and await orders.get_order(
                    session, principal=info.context.caller, order_id=fulfilment.order_id
                )
            return Fulfilment.from_model(fulfilment) if fulfilment and visible else None
        if decoded is not None and decoded[0] == "Return":
            async with reading(info) as session:
                found_return = await session.get(models.Return, decoded[1])
                shown = found_return is not None and await returns.return_visible(
                    session, found=found_return, principal=info.context.caller
                )
            return Return.from_model(found_return) if found_return and shown else None
        if decoded is None or decoded[0] not in SHAPES:
            return None
        model, shape = SHAPES[decoded[0]]
        async with reading(info) as session:
            found = await session.get(model, decoded[1])
        if found is None:
            return None
        caller = info.context.caller
        if isinstance(found, models.Channel) and caller.role is Role.STOREFRONT and found.id != caller.channel_id:
            return None
        return shape(found)
