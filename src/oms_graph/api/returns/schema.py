"""Returns: started by a storefront or a store, received at any location with RETURNS."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.api.context import Info
from oms_graph.api.errors import command, user_errors
from oms_graph.api.node import decode_id
from oms_graph.api.permissions import roles
from oms_graph.api.returns.types import ReceiveReturnInput, RequestReturnInput, Return, ReturnPayload
from oms_graph.db import models
from oms_graph.domain.access import Role
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.services.returns import lifecycle as returns


async def _run(
    info: Info,
    id: strawberry.ID,
    kind: str,
    field: list[str],
    run: Callable[[AsyncSession, uuid.UUID], Awaitable[models.Return]],
) -> ReturnPayload:
    decoded = decode_id(id)
    if decoded is None or decoded[0] != kind:
        error = DomainError.one(ErrorCode.NOT_FOUND, field, f"no such {kind.lower()}")
        return ReturnPayload(return_=None, errors=user_errors(error))
    done, errors = await command(info, lambda s: run(s, decoded[1]))
    return ReturnPayload(return_=Return.from_model(done) if done else None, errors=errors)


@strawberry.type
class ReturnMutation:
    @strawberry.mutation(
        extensions=roles(Role.STOREFRONT, Role.STORE),
        description="Start a return of shipped or collected units (RETURN_NOT_ALLOWED for any others).",
    )
    async def request_return(self, info: Info, input: RequestReturnInput) -> ReturnPayload:
        caller = info.context.caller
        return await _run(
            info,
            input.order_id,
            "Order",
            ["input", "orderId"],
            lambda s, i: returns.request_return(
                s,
                order_id=i,
                channel_code=input.channel,
                lines=input.lines,
                principal=caller,
                exchange_lines=input.exchange_lines or (),
                settings=info.context.settings,
            ),
        )

    @strawberry.mutation(
        extensions=roles(Role.STORE),
        description="The parcel arrived: SELLABLE units go back on the location's shelf, the refund follows.",
    )
    async def receive_return(self, info: Info, input: ReceiveReturnInput) -> ReturnPayload:
        caller = info.context.caller
        return await _run(
            info,
            input.return_id,
            "Return",
            ["input", "returnId"],
            lambda s, i: returns.receive_return(
                s, return_id=i, location_code=input.location_code, lines=input.lines, principal=caller
            ),
        )

    @strawberry.mutation(extensions=roles(Role.STOREFRONT, Role.STORE), description="Call off a requested return.")
    async def cancel_return(self, info: Info, id: strawberry.ID) -> ReturnPayload:
        caller = info.context.caller
        return await _run(
            info, id, "Return", ["id"], lambda s, i: returns.cancel_return(s, return_id=i, principal=caller)
        )
