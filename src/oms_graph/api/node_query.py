"""`node(id)`: any object by its global id, within what the caller may read."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.api.catalog.types import Channel, Location, Product
from oms_graph.api.context import Info
from oms_graph.api.errors import reading
from oms_graph.api.fulfilment.types import Fulfilment
from oms_graph.api.node import Node, decode_id
from oms_graph.api.orders.types import Order
from oms_graph.api.permissions import EVERY_ROLE, roles
from oms_graph.api.returns.types import Return
from oms_graph.domain.access import Principal
from oms_graph.services import catalog
from oms_graph.services.fulfilment import reads as fulfilments
from oms_graph.services.orders import reads as orders
from oms_graph.services.returns import lifecycle as returns

Read = Callable[[AsyncSession, uuid.UUID, Principal], Awaitable[Any]]

# Per kind of id: the service read (None when absent or not the caller's to see) and the object's shape.
KINDS: dict[str, tuple[Read, Callable[[Any], Node]]] = {
    "Order": (lambda s, i, p: orders.get_order(s, order_id=i, principal=p), Order.from_model),
    "Fulfilment": (lambda s, i, p: fulfilments.get_fulfilment(s, fulfilment_id=i, principal=p), Fulfilment.from_model),
    "Return": (lambda s, i, p: returns.get_return(s, return_id=i, principal=p), Return.from_model),
    "Channel": (lambda s, i, p: catalog.get_channel(s, channel_id=i, principal=p), Channel.from_model),
    "Location": (lambda s, i, _: catalog.get_location(s, location_id=i), Location.from_model),
    "Product": (lambda s, i, _: catalog.get_product(s, product_id=i), Product.from_model),
}


@strawberry.type
class NodeQuery:
    @strawberry.field(extensions=roles(*EVERY_ROLE))
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        decoded = decode_id(id)
        if decoded is None or decoded[0] not in KINDS:
            return None
        read, shape = KINDS[decoded[0]]
        async with reading(info) as session:
            found = await read(session, decoded[1], info.context.caller)
        return shape(found) if found is not None else None
