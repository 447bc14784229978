"""`node(id)`: any object by its global id, within what the caller may read."""

from __future__ import annotations

import strawberry

from oms_graph.api.catalog.types import Channel, Location, Product
from oms_graph.api.context import Info
from oms_graph.api.errors import reading
from oms_graph.api.fulfilment.types import Fulfilment
from oms_graph.api.node import Node, decode_id
from oms_graph.api.orders.types import Order
from oms_graph.api.permissions import EVERY_ROLE, roles
from oms_graph.api.returns.types import Return
from oms_graph.services import catalog
from oms_graph.services.fulfilment import reads as fulfilments
from oms_graph.services.orders import reads as orders
from oms_graph.services.returns import lifecycle as returns


@strawberry.type
class NodeQuery:
    @strawberry.field(extensions=roles(*EVERY_ROLE))
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        decoded = decode_id(id)
        if decoded is None:
            return None
        kind, found_id = decoded
        caller = info.context.caller
        async with reading(info) as session:
            if kind == "Order":
                order = await orders.get_order(session, principal=caller, order_id=found_id)
                return Order.from_model(order) if order else None
            if kind == "Fulfilment":
                fulfilment = await fulfilments.get_fulfilment(session, fulfilment_id=found_id, principal=caller)
                return Fulfilment.from_model(fulfilment) if fulfilment else None
            if kind == "Return":
                found_return = await returns.get_return(session, return_id=found_id, principal=caller)
                return Return.from_model(found_return) if found_return else None
            if kind == "Channel":
                channel = await catalog.get_channel(session, channel_id=found_id, principal=caller)
                return Channel.from_model(channel) if channel else None
            if kind == "Location":
                location = await catalog.get_location(session, location_id=found_id)
                return Location.from_model(location) if location else None
            if kind == "Product":
                product = await catalog.get_product(session, product_id=found_id)
                return Product.from_model(product) if product else None
        return None
