"""Changing an order after it was placed: which change each order status allows (one table), what the
changes make of its lines, and the money that moves."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from oms_graph.domain import orders as rules
from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.domain.orders import FulfilmentMethod, OrderStatus, PaymentMethod
from oms_graph.domain.payments import PaymentKind
from oms_graph.domain.placement import AddressFields, check_address


class ChangeKind(StrEnum):
    ADD_LINE = "ADD_LINE"
    CHANGE_QUANTITY = "CHANGE_QUANTITY"
    REPLACE_SKU = "REPLACE_SKU"  # a size or colour swap: the line's units become another sku
    CHANGE_ADDRESS = "CHANGE_ADDRESS"
    CHANGE_METHOD = "CHANGE_METHOD"  # delivery <-> pickup, or another pickup store
    CHANGE_DELIVERY_PRICE = "CHANGE_DELIVERY_PRICE"


class Rule(StrEnum):
    ANY = "ANY"  # applies; routing is done again where the change needs it
    UNTOUCHED = "UNTOUCHED"  # only units no location has started on may go; new units are routed beside the rest
    WORKED = "WORKED"  # refused: a location works on the order
    HANDED_OVER = "HANDED_OVER"  # refused: some of it left; a return or an exchange does it
    CLOSED = "CLOSED"  # refused: nothing is left of the order


_OPEN = dict.fromkeys(ChangeKind, Rule.ANY)
_WORKED = {
    ChangeKind.ADD_LINE: Rule.UNTOUCHED,
    ChangeKind.CHANGE_QUANTITY: Rule.UNTOUCHED,
    ChangeKind.REPLACE_SKU: Rule.UNTOUCHED,
    ChangeKind.CHANGE_ADDRESS: Rule.WORKED,
    ChangeKind.CHANGE_METHOD: Rule.WORKED,
    ChangeKind.CHANGE_DELIVERY_PRICE: Rule.ANY,
}
_SHIPPED = dict.fromkeys(ChangeKind, Rule.HANDED_OVER)
S = OrderStatus
# What may change in each status. Open (nothing accepted by a location yet): anything. Worked (a location
# accepted, picks or holds it ready): only what it has not started on. Handed over, or cancelled: nothing.
RULES: dict[OrderStatus, dict[ChangeKind, Rule]] = {
    S.PLACED: _OPEN,
    S.ON_HOLD: _OPEN,
    S.BACKORDERED: _OPEN,
    S.AWAITING_SUPPLY: _OPEN,
    S.ROUTED: _OPEN,
    S.IN_FULFILMENT: _WORKED,
    S.READY_FOR_PICKUP: _WORKED,
    S.PARTIALLY_SHIPPED: _SHIPPED,
    S.SHIPPED: _SHIPPED,
    S.COMPLETED: _SHIPPED,
    S.CANCELLED: dict.fromkeys(ChangeKind, Rule.CLOSED),
}
OPEN = frozenset(status for status, rules_ in RULES.items() if rules_ is _OPEN)


def refusal(status: OrderStatus, method: FulfilmentMethod, change: ChangeKind) -> str | None:
    """Why `change` cannot be made to an order in `status` (None: it can, within its rule)."""
    rule = RULES[status][change]
    if rule is Rule.WORKED:
        return f"a location is working on the order ({status.value}): {change.value} is no longer possible"
    if rule is Rule.HANDED_OVER:
        return f"the order is {status.value}: make a return or an exchange instead"
    if rule is Rule.CLOSED:
        return "the order is CANCELLED"
    if rule is Rule.UNTOUCHED and method is FulfilmentMethod.PICKUP and change is ChangeKind.ADD_LINE:
        return f"its store is preparing the pickup ({status.value}): it takes no new units"
    return None


@dataclass(frozen=True)
class Line:
    """An order line as an edit sees it: `key` is its row's id (None: added by the edit)."""

    key: uuid.UUID | None
    sku: str
    quantity: int
    unit_price: Decimal
    cancelled: int = 0

    @property
    def live(self) -> int:
        """Units still ordered (not cancelled)."""
        return self.quantity - self.cancelled


@dataclass(frozen=True)
class Change:
    """One change of an edit, `at` its index among them (for errors): ADD_LINE (sku, quantity, unit_price);
    CHANGE_QUANTITY (line, quantity: the units it is to have, 0 removes it); REPLACE_SKU (line, sku,
    unit_price or the line's own); CHANGE_ADDRESS (address); CHANGE_METHOD (method, pickup_location_code,
    address for a delivery); CHANGE_DELIVERY_PRICE (price)."""

    kind: ChangeKind
    at: int = 0
    line: uuid.UUID | None = None
    sku: str | None = None
    quantity: int | None = None
    unit_price: Decimal | None = None
    address: AddressFields | None = None
    method: FulfilmentMethod | None = None
    pickup_location_code: str | None = None
    price: Decimal | None = None


LINE_CHANGES = frozenset({ChangeKind.ADD_LINE, ChangeKind.CHANGE_QUANTITY, ChangeKind.REPLACE_SKU})


def check_changes(changes: Sequence[Change], errors: ErrorList) -> None:
    """What can be checked of an edit without the order: some changes, at most one of each kind that is
    not about lines, addresses well formed."""
    if not 0 < len(changes) <= rules.MAX_LINES:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "changes"], f"1 to {rules.MAX_LINES} changes")
    seen: set[ChangeKind] = set()
    for change in changes:
        path: list[str | int] = ["input", "changes", change.at]
        if change.kind not in LINE_CHANGES:
            if change.kind in seen:
                errors.add(ErrorCode.INVALID_INPUT, path, f"{change.kind.value} is given twice")
            seen.add(change.kind)
        if change.kind is ChangeKind.CHANGE_DELIVERY_PRICE and (change.price is None or change.price < 0):
            errors.add(ErrorCode.INVALID_INPUT, [*path, "changeDeliveryPrice"], "must not be negative")
        if change.address is not None:
            name = "changeAddress" if change.kind is ChangeKind.CHANGE_ADDRESS else "changeMethod"
            check_address(change.address, errors, [*path, name, "address"] if name == "changeMethod" else [*path, name])
        if change.kind is ChangeKind.CHANGE_METHOD:
            if change.method is FulfilmentMethod.PICKUP and not change.pickup_location_code:
                errors.add(ErrorCode.INVALID_INPUT, [*path, "changeMethod", "pickupLocationCode"], "a PICKUP needs one")
            if change.method is FulfilmentMethod.DELIVERY and change.address is None:
                errors.add(ErrorCode.INVALID_INPUT, [*path, "changeMethod", "address"], "a DELIVERY needs an address")
    if ChangeKind.CHANGE_ADDRESS in seen and ChangeKind.CHANGE_METHOD in seen:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "changes"], "give the address with the method change alone")


def edited_lines(lines: Sequence[Line], changes: Iterable[Change], errors: ErrorList) -> list[Line]:
    """The lines after the changes, in order (new ones last); problems go to `errors` with their paths."""
    after = list(lines)
    index = {line.key: i for i, line in enumerate(after)}
    changed: set[uuid.UUID] = set()
    for change in changes:
        path: list[str | int] = ["input", "changes", change.at]
        if change.kind not in LINE_CHANGES:
            continue
        if change.kind is ChangeKind.ADD_LINE:
            if not change.sku or change.quantity is None or change.quantity <= 0:
                errors.add(ErrorCode.INVALID_INPUT, [*path, "addLine"], "give a sku and a quantity of at least 1")
            elif change.unit_price is None or change.unit_price < 0:
                errors.add(ErrorCode.INVALID_INPUT, [*path, "addLine", "unitPrice"], "must not be negative")
            else:
                after.append(Line(None, change.sku, change.quantity, change.unit_price))
            continue
        i = index.get(change.line)
        name = "changeQuantity" if change.kind is ChangeKind.CHANGE_QUANTITY else "replaceSku"
        if change.line is None or i is None:
            errors.add(ErrorCode.NOT_FOUND, [*path, name, "lineId"], "the order has no such line")
            continue
        if change.line in changed:
            errors.add(ErrorCode.INVALID_INPUT, [*path, name, "lineId"], "the line is changed twice")
            continue
        changed.add(change.line)
        line = after[i]
        if change.kind is ChangeKind.CHANGE_QUANTITY:
            if change.quantity is None or change.quantity < 0:
                errors.add(ErrorCode.INVALID_INPUT, [*path, name, "quantity"], "must be 0 (remove it) or more")
            else:
                after[i] = replace(line, quantity=line.cancelled + change.quantity)
        elif not change.sku or change.sku == line.sku:
            errors.add(ErrorCode.INVALID_INPUT, [*path, name, "sku"], f"give a sku other than {line.sku}")
        elif line.live == 0:
            errors.add(ErrorCode.INVALID_INPUT, [*path, name, "lineId"], "the line has no units left to replace")
        elif change.unit_price is not None and change.unit_price < 0:
            errors.add(ErrorCode.INVALID_INPUT, [*path, name, "unitPrice"], "must not be negative")
        else:  # the line keeps what was cancelled of it; its live units become the new sku
            after[i] = replace(line, quantity=line.cancelled)
            price = line.unit_price if change.unit_price is None else change.unit_price
            after.append(Line(None, change.sku, line.live, price))
    kept = [line for line in after if line.quantity > 0]
    if not any(line.live for line in kept) and not errors.errors:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "changes"], "no unit would be left: cancel the order instead")
    if len(kept) > rules.MAX_LINES:
        errors.add(ErrorCode.INVALID_INPUT, ["input", "changes"], f"an order has at most {rules.MAX_LINES} lines")
    return kept


def demand(lines: Iterable[Line]) -> dict[str, int]:
    """Live units per sku."""
    units: dict[str, int] = {}
    for line in lines:
        if line.live:
            units[line.sku] = units.get(line.sku, 0) + line.live
    return units


def difference(before: dict[str, int], after: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """(units to take, units to give up) per sku, going from `before` to `after`."""
    more = {sku: n - before.get(sku, 0) for sku, n in after.items() if n > before.get(sku, 0)}
    fewer = {sku: n - after.get(sku, 0) for sku, n in before.items() if n > after.get(sku, 0)}
    return more, fewer


def subtotal(lines: Iterable[Line]) -> Decimal:
    """What the lines are worth as ordered (cancelled units included, as at placement)."""
    return sum((line.unit_price * line.quantity for line in lines), Decimal(0))


def payment_call(method: PaymentMethod, change: Decimal) -> tuple[PaymentKind, Decimal] | None:
    """What a prepaid order's authorisation needs when its total changes by `change`: more authorised, or
    the difference voided. Other orders are paid when the goods reach the customer: nothing moves now."""
    if method is not PaymentMethod.PREPAID or change == 0:
        return None
    return (PaymentKind.INCREMENT, change) if change > 0 else (PaymentKind.VOID, -change)
