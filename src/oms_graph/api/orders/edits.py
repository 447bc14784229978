"""Order edits in the schema: editOrder, previewOrderEdit (the same edit, rolled back), order.versions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

from oms_graph.api.context import Info
from oms_graph.api.errors import UserError, command, user_errors
from oms_graph.api.node import decode_id
from oms_graph.api.orders.inputs import AddressInput
from oms_graph.api.orders.types import Order
from oms_graph.api.permissions import roles
from oms_graph.domain.access import Role
from oms_graph.domain.edits import Change, ChangeKind
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.orders import FulfilmentMethod, in_minor_units
from oms_graph.services import geocoding
from oms_graph.services.orders import edits


@strawberry.input
class AddLineInput:
    sku: str
    quantity: int
    unit_price: Decimal


@strawberry.input
class ChangeQuantityInput:
    line_id: strawberry.ID
    quantity: int = strawberry.field(description="The units the line is to have; 0 removes it.")


@strawberry.input(description="A size or colour swap: the line's units become another sku.")
class ReplaceSkuInput:
    line_id: strawberry.ID
    sku: str
    unit_price: Decimal | None = strawberry.field(default=None, description="Null keeps the line's price.")


@strawberry.input(description="Delivery to pickup, pickup to delivery, or another pickup store.")
class ChangeMethodInput:
    method: FulfilmentMethod
    pickup_location_code: str | None = None
    address: AddressInput | None = None


@strawberry.input(description="One change: give exactly one of its fields.")
class OrderChangeInput:
    add_line: AddLineInput | None = None
    change_quantity: ChangeQuantityInput | None = None
    replace_sku: ReplaceSkuInput | None = None
    change_address: AddressInput | None = None
    change_method: ChangeMethodInput | None = None
    change_delivery_price: Decimal | None = None


@strawberry.input
class EditOrderInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(description="The order's version as read: ORDER_CHANGED otherwise.")
    changes: list[OrderChangeInput]
    reason: str | None = None


@strawberry.type
class EditedLine:
    sku: str
    quantity: int
    unit_price: Decimal


@strawberry.type(description="An order's lines, totals and delivery at one version.")
class OrderState:
    lines: list[EditedLine]
    subtotal: Decimal
    delivery_price: Decimal
    total: Decimal
    method: FulfilmentMethod
    address: JSON | None

    @classmethod
    def of(cls, state: dict[str, Any], currency: str) -> OrderState:
        def money(value: Any) -> Decimal:
            return in_minor_units(Decimal(str(value)), currency)

        return cls(
            lines=[
                EditedLine(sku=line["sku"], quantity=line["quantity"], unit_price=money(line["unitPrice"]))
                for line in state["lines"]
            ],
            subtotal=money(state["subtotal"]),
            delivery_price=money(state["deliveryPrice"]),
            total=money(state["total"]),
            method=FulfilmentMethod(state["method"]),
            address=state.get("address"),
        )


@strawberry.type
class SkuUnits:
    sku: str
    quantity: int


@strawberry.type(description="What an edit did, or (previewed) would do.")
class OrderEdit:
    version: int = strawberry.field(description="The order's version after it.")
    before: OrderState
    after: OrderState
    payment_difference: Decimal = strawberry.field(description="After's total less before's: more to pay if positive.")
    payment_kind: str | None = strawberry.field(description="INCREMENT or VOID asked of the provider; null if none.")
    taken: list[SkuUnits] = strawberry.field(description="Units taken from stock (promised, or reserved for pickup).")
    released: list[SkuUnits] = strawberry.field(description="Units given back.")
    cancelled_fulfilments_at: list[str] = strawberry.field(description="Locations whose fulfilment it cancelled.")
    rerouted: bool = strawberry.field(description="The order goes to routing again.")

    @classmethod
    def of(cls, done: edits.Edited) -> OrderEdit:
        currency = done.order.currency
        before, after = OrderState.of(done.before, currency), OrderState.of(done.after, currency)
        return cls(
            version=done.order.version,
            before=before,
            after=after,
            payment_difference=after.total - before.total,
            payment_kind=None if done.payment is None else done.payment[0],
            taken=[SkuUnits(sku=s, quantity=n) for s, n in sorted(done.taken.items())],
            released=[SkuUnits(sku=s, quantity=n) for s, n in sorted(done.released.items())],
            cancelled_fulfilments_at=done.cancelled_at,
            rerouted=done.rerouted,
        )


@strawberry.type(description="One edit of an order: the version it made, who, why, before and after.")
class OrderVersion:
    version: int
    at: datetime
    actor: str | None
    reason: str | None
    changes: list[str]
    before: OrderState
    after: OrderState
    payment: JSON | None

    @classmethod
    def of(cls, event: Any, currency: str) -> OrderVersion:
        data = event.data
        return cls(
            version=data["version"],
            at=event.at,
            actor=event.actor,
            reason=data.get("reason"),
            changes=data["changes"],
            before=OrderState.of(data["before"], currency),
            after=OrderState.of(data["after"], currency),
            payment=data.get("payment"),
        )


@strawberry.type
class EditOrderPayload:
    order: Order | None
    edit: OrderEdit | None
    errors: list[UserError]


class _Preview(Exception):
    """Raised inside the transaction of a preview, after the edit: it rolls everything back."""

    def __init__(self, edit: OrderEdit) -> None:
        super().__init__("preview")
        self.edit = edit


async def _edit(info: Info, input: EditOrderInput, *, preview: bool) -> EditOrderPayload:
    decoded = decode_id(input.id)
    if decoded is None or decoded[0] != "Order":
        problem = DomainError.one(ErrorCode.NOT_FOUND, ["input", "id"], "no such order")
        return EditOrderPayload(order=None, edit=None, errors=user_errors(problem))
    changes, problems = _changes(input.changes)
    if problems is not None:
        return EditOrderPayload(order=None, edit=None, errors=user_errors(problems))
    # An HTTP geocoder is asked before the transaction, never inside it.
    address = next((c.address for c in changes if c.address is not None), None)
    where = await geocoding.locate(address, info.context.settings)
    caller = info.context.caller

    async def run(session: Any) -> edits.Edited:
        done = await edits.edit_order(
            session,
            order_id=decoded[1],
            expected_version=input.expected_version,
            changes=changes,
            reason=input.reason,
            principal=caller,
            geocode=where,
        )
        if preview:
            raise _Preview(OrderEdit.of(done))
        return done

    try:
        done, errors = await command(info, run)
    except _Preview as previewed:
        return EditOrderPayload(order=None, edit=previewed.edit, errors=[])
    if done is None:
        return EditOrderPayload(order=None, edit=None, errors=errors)
    return EditOrderPayload(order=Order.from_model(done.order), edit=OrderEdit.of(done), errors=[])


def _changes(inputs: list[OrderChangeInput]) -> tuple[list[Change], DomainError | None]:
    """The changes as the domain sees them; INVALID_INPUT for one that gives none or several fields."""
    changes: list[Change] = []
    for i, c in enumerate(inputs):
        given = [
            v
            for v in (c.add_line, c.change_quantity, c.replace_sku, c.change_address, c.change_method)
            if v is not None
        ] + ([c.change_delivery_price] if c.change_delivery_price is not None else [])
        if len(given) != 1:
            return [], DomainError.one(ErrorCode.INVALID_INPUT, ["input", "changes", i], "give exactly one change")
        if c.add_line is not None:
            a = c.add_line
            changes.append(Change(ChangeKind.ADD_LINE, i, sku=a.sku, quantity=a.quantity, unit_price=a.unit_price))
        elif c.change_quantity is not None or c.replace_sku is not None:
            line_id = (c.change_quantity or c.replace_sku).line_id  # type: ignore[union-attr]
            decoded = decode_id(line_id)
            line = decoded[1] if decoded is not None and decoded[0] == "OrderLine" else None
            if c.change_quantity is not None:
                changes.append(Change(ChangeKind.CHANGE_QUANTITY, i, line=line, quantity=c.change_quantity.quantity))
            else:
                r = c.replace_sku
                assert r is not None
                changes.append(Change(ChangeKind.REPLACE_SKU, i, line=line, sku=r.sku, unit_price=r.unit_price))
        elif c.change_address is not None:
            changes.append(Change(ChangeKind.CHANGE_ADDRESS, i, address=c.change_address))
        elif c.change_method is not None:
            m = c.change_method
            changes.append(
                Change(
                    ChangeKind.CHANGE_METHOD,
                    i,
                    method=m.method,
                    pickup_location_code=m.pickup_location_code,
                    address=m.address,
                )
            )
        else:
            changes.append(Change(ChangeKind.CHANGE_DELIVERY_PRICE, i, price=c.change_delivery_price))
    return changes, None


@strawberry.type
class EditMutation:
    @strawberry.mutation(
        extensions=roles(Role.STOREFRONT, Role.STORE, Role.INTEGRATION),
        description="Change an order's lines, address, delivery method or price, all or none: stock is taken and "
        "given back as placement does, the routing done again where needed, the payment difference asked of the "
        "provider. EDIT_NOT_ALLOWED where its status rules a change out; ORDER_CHANGED when it is not at "
        "expectedVersion.",
    )
    async def edit_order(self, info: Info, input: EditOrderInput) -> EditOrderPayload:
        return await _edit(info, input, preview=False)

    @strawberry.mutation(
        extensions=roles(Role.STOREFRONT, Role.STORE, Role.INTEGRATION),
        description="What editOrder would do (totals, payment difference, stock, fulfilments), writing nothing.",
    )
    async def preview_order_edit(self, info: Info, input: EditOrderInput) -> EditOrderPayload:
        return await _edit(info, input, preview=True)
