"""Reading orders: one by id or number, a filtered page, each within the caller's scope."""

from __future__ import annotations

from datetime import timedelta

import strawberry

from oms_graph.api.context import Info
from oms_graph.api.errors import reading
from oms_graph.api.node import decode_id
from oms_graph.api.orders.inputs import OrderFilter
from oms_graph.api.orders.types import Order, OrderConnection, OrderEdge
from oms_graph.api.pagination import check_page_size, decode_cursor, encode_cursor, page_info
from oms_graph.api.permissions import EVERY_ROLE, roles
from oms_graph.services.orders import reads as orders


@strawberry.type
class OrderQuery:
    @strawberry.field(extensions=roles(*EVERY_ROLE))
    async def order(self, info: Info, id: strawberry.ID | None = None, number: str | None = None) -> Order | None:
        decoded = decode_id(id) if id is not None else None
        if id is not None and (decoded is None or decoded[0] != "Order"):
            return None
        async with reading(info) as session:
            found = await orders.get_order(
                session, principal=info.context.caller, order_id=decoded[1] if decoded else None, number=number
            )
        return Order.from_model(found) if found else None

    @strawberry.field(extensions=roles(*EVERY_ROLE))
    async def orders(
        self, info: Info, filter: OrderFilter | None = None, first: int | None = 20, after: str | None = None
    ) -> OrderConnection:
        size = 20 if first is None else first
        check_page_size(size)
        key = decode_cursor(after, 1)
        wanted = filter or OrderFilter()
        async with reading(info) as session:
            page = await orders.list_orders(
                session,
                principal=info.context.caller,
                filter=orders.OrderFilter(
                    channel=wanted.channel,
                    statuses=wanted.status,
                    customer_email=wanted.customer_email,
                    location_code=wanted.location_code,
                    created_after=wanted.created_after,
                    created_before=wanted.created_before,
                    at_risk=wanted.at_risk,
                    number=wanted.number,
                    external_id=wanted.external_id,
                    stuck=wanted.stuck,
                    accept_within=timedelta(seconds=info.context.settings.accept_timeout),
                ),
                first=size,
                after=int(key[0]) if key else None,
            )
        edges = [OrderEdge(node=Order.from_model(o), cursor=encode_cursor([o.seq])) for o in page.orders]
        return OrderConnection(
            edges=edges,
            page_info=page_info([e.cursor for e in edges], has_next=page.has_next, after=after),
            total_count=page.total_count,
        )
