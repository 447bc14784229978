"""Inbound supply in the schema: purchase orders and advance shipping notices sent in, listed, and received;
thin resolvers over services.supply."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from oms_graph.api.catalog.types import Location, Product
from oms_graph.api.context import Info
from oms_graph.api.errors import UserError, command, reading
from oms_graph.api.node import encode_id
from oms_graph.api.orders import loaders
from oms_graph.api.permissions import roles
from oms_graph.db import models
from oms_graph.db.base import utcnow
from oms_graph.domain import supply as rules
from oms_graph.domain.access import Role
from oms_graph.domain.supply import SupplyKind, SupplyPolicy, SupplyStatus
from oms_graph.services import future_promises, supply

strawberry.enum(SupplyKind)
strawberry.enum(SupplyStatus)


@strawberry.type(description="Units of a sku due at a location from outside the network: never stock until received.")
class InboundSupply:
    id: strawberry.ID
    external_id: str
    kind: SupplyKind
    sku: str
    quantity: int = strawberry.field(description="Expected in all.")
    received: int = strawberry.field(description="Arrived so far (on the location's onHand).")
    due: int = strawberry.field(description="Still to come.")
    expected_at: datetime
    status: SupplyStatus
    overdue: bool = strawberry.field(description="OPEN past its expected date.")
    note: str | None
    created_at: datetime
    updated_at: datetime
    location_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_model(await loaders.location(info).load(self.location_id))

    @classmethod
    def from_model(cls, m: models.InboundSupply, *, overdue: bool | None = None) -> InboundSupply:
        late = rules.overdue(m.expected_at, utcnow(), m.status) if overdue is None else overdue
        return cls(
            id=encode_id("InboundSupply", m.id),
            external_id=m.external_id,
            kind=SupplyKind(m.kind),
            sku=m.sku,
            quantity=m.quantity,
            received=m.quantity_received,
            due=rules.still_due(m.quantity, m.quantity_received),
            expected_at=m.expected_at,
            status=SupplyStatus(m.status),
            overdue=late,
            note=m.note,
            created_at=m.created_at,
            updated_at=m.updated_at,
            location_id=m.location_id,
        )


@strawberry.input
class InboundSupplyInput:
    external_id: str = strawberry.field(
        description="The purchase order's or notice's line id: sent again, it changes it."
    )
    kind: SupplyKind
    location_code: str
    sku: str
    quantity: int = strawberry.field(description="In all (never below what arrived; 0 closes it).")
    expected_at: datetime
    note: str | None = None


@strawberry.type
class InboundSupplyPayload:
    supply: list[InboundSupply]
    errors: list[UserError]


@strawberry.input
class SupplyPolicyInput:
    sku: str
    channel: str | None = strawberry.field(
        default=None, description="A channel's own policy for the sku; null: the product's."
    )
    policy: SupplyPolicy
    preorder_limit: int | None = strawberry.field(
        default=None, description="The product's: the most sold as pre-orders."
    )


@strawberry.type
class SupplyPolicyPayload:
    product: Product | None
    errors: list[UserError]


@strawberry.type
class SupplyQuery:
    @strawberry.field(
        extensions=roles(Role.INTEGRATION, Role.ANALYST),
        description="Inbound supply by expected date: of a location, of a sku, of some statuses, overdue or not.",
    )
    async def inbound_supply(
        self,
        info: Info,
        location_code: str | None = None,
        sku: str | None = None,
        status: list[SupplyStatus] | None = None,
        overdue: bool | None = None,
        first: int = 50,
    ) -> list[InboundSupply]:
        async with reading(info) as session:
            found = await supply.list_inbound_supply(
                session, location_code=location_code, sku=sku, statuses=status, overdue=overdue, first=first
            )
        return [InboundSupply.from_model(s.row, overdue=s.overdue) for s in found]


@strawberry.type
class SupplyMutation:
    @strawberry.mutation(
        extensions=roles(Role.INTEGRATION),
        description="Whether a sku may be sold against inbound supply: the product's policy (PREORDER with its "
        "limit, BACKORDER, NONE), or a channel's own over it.",
    )
    async def set_supply_policy(self, info: Info, input: SupplyPolicyInput) -> SupplyPolicyPayload:
        done, errors = await command(
            info,
            lambda s: future_promises.set_supply_policy(
                s, sku=input.sku, channel_code=input.channel, policy=input.policy, preorder_limit=input.preorder_limit
            ),
        )
        return SupplyPolicyPayload(product=Product.from_model(done) if done else None, errors=errors)

    @strawberry.mutation(
        extensions=roles(Role.INTEGRATION),
        description="Send purchase orders and advance shipping notices (by external id: sent again, they move the "
        "date or the quantity); all or none.",
    )
    async def upsert_inbound_supply(self, info: Info, input: list[InboundSupplyInput]) -> InboundSupplyPayload:
        name = info.context.caller.name
        done, errors = await command(info, lambda s: supply.upsert_inbound_supply(s, inputs=input, actor=name))
        return InboundSupplyPayload(supply=[InboundSupply.from_model(r) for r in done or []], errors=errors)

    @strawberry.mutation(
        extensions=roles(Role.INTEGRATION, Role.STORE),
        description="Units of a supply arrived at its location: onto its onHand (a STORE key at its own location).",
    )
    async def receive_inbound_supply(self, info: Info, external_id: str, quantity: int) -> InboundSupplyPayload:
        caller = info.context.caller
        done, errors = await command(
            info,
            lambda s: supply.receive_inbound_supply(s, external_id=external_id, quantity=quantity, principal=caller),
        )
        return InboundSupplyPayload(supply=[InboundSupply.from_model(done)] if done else [], errors=errors)
