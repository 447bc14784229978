"""Payment rules: when money is taken, how much, and the order's payment status from its calls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum

from oms_graph.domain.events import EventType
from oms_graph.domain.orders import PaymentMethod, PaymentStatus


class PaymentKind(StrEnum):
    INCREMENT = "INCREMENT"  # more authorised on a prepaid order's payment: an edit raised its total
    CAPTURE = "CAPTURE"
    VOID = "VOID"
    REFUND = "REFUND"


class TransactionStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class Handover(Enum):
    """The moments goods reach the customer's side."""

    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    COLLECTED = "COLLECTED"


# Prepaid orders are captured when goods leave (shipped, or collected); cash on delivery when the
# courier delivers; pay at pickup when the customer collects.
CAPTURED_AT = {
    PaymentMethod.PREPAID: {Handover.SHIPPED, Handover.COLLECTED},
    PaymentMethod.CASH_ON_DELIVERY: {Handover.DELIVERED},
    PaymentMethod.PAY_AT_PICKUP: {Handover.COLLECTED},
}

# The event each successful call appends.
DONE_EVENT = {
    PaymentKind.INCREMENT: EventType.PAYMENT_AUTHORIZED,
    PaymentKind.CAPTURE: EventType.PAYMENT_CAPTURED,
    PaymentKind.VOID: EventType.PAYMENT_VOIDED,
    PaymentKind.REFUND: EventType.PAYMENT_REFUNDED,
}


EDIT_SOURCE = "edit:"  # the source of a call for an edit's difference, with the order's id and new version


@dataclass(frozen=True)
class Call:
    kind: PaymentKind
    status: TransactionStatus
    amount: Decimal
    source: str = ""
    provider: str = ""

    @property
    def for_edit(self) -> bool:
        return self.source.startswith(EDIT_SOURCE)


def captures_at(method: PaymentMethod, handover: Handover) -> bool:
    return handover in CAPTURED_AT[method]


def capture_amount(value: Decimal, *, delivery_price: Decimal, first: bool) -> Decimal:
    """The units' value, plus the delivery price on an order's first capture."""
    return value + (delivery_price if first else Decimal(0))


def left_to_capture(total: Decimal, calls: Iterable[Call]) -> Decimal:
    """What an order's captures may still take: its total less what was captured (made or being made), which
    for an exchange's replacement includes the returned goods' value that paid for it."""
    taken = sum(
        (c.amount for c in calls if c.kind is PaymentKind.CAPTURE and c.status is not TransactionStatus.FAILED),
        Decimal(0),
    )
    return max(total - taken, Decimal(0))


def captured_before(calls: Iterable[Call]) -> bool:
    """Whether the order has a capture that was not declined (made or being made): a declined one took
    nothing, delivery included."""
    return any(c.kind is PaymentKind.CAPTURE and c.status is not TransactionStatus.FAILED for c in calls)


def unused_authorisation(authorised: Decimal, calls: Iterable[Call]) -> Decimal:
    """What a card authorisation still holds once an order has ended: authorised (the order's total, which
    edits raised or lowered) less what was captured or voided (made or being made). An edit's void lowered the
    total already, and a declined increment never held its amount. Nothing while a capture was declined:
    goods went out unpaid, and the hold stays for the capture people will try again."""
    calls = list(calls)
    if any(c.kind is PaymentKind.CAPTURE and c.status is TransactionStatus.FAILED for c in calls):
        return Decimal(0)
    declined = sum(
        (c.amount for c in calls if c.kind is PaymentKind.INCREMENT and c.status is TransactionStatus.FAILED),
        Decimal(0),
    )
    used = sum(
        (
            c.amount
            for c in calls
            if c.kind in (PaymentKind.CAPTURE, PaymentKind.VOID)
            and c.status is not TransactionStatus.FAILED
            and not c.for_edit
        ),
        Decimal(0),
    )
    return max(authorised - declined - used, Decimal(0))


def refundable(calls: Iterable[Call]) -> Decimal:
    """What may still be refunded: captured (or being captured) less refunded (or being refunded)."""
    captured = refunded = Decimal(0)
    for call in calls:
        if call.status is TransactionStatus.FAILED:
            continue
        if call.kind is PaymentKind.CAPTURE:
            captured += call.amount
        elif call.kind is PaymentKind.REFUND:
            refunded += call.amount
    return max(captured - refunded, Decimal(0))


def refundable_by_provider(calls: Iterable[Call]) -> dict[str, Decimal]:
    """`refundable`, per provider that took the money (an exchange's credit goes back where it came from)."""
    by: dict[str, list[Call]] = {}
    for call in calls:
        by.setdefault(call.provider, []).append(call)
    owed = {provider: refundable(its) for provider, its in by.items()}
    return {provider: amount for provider, amount in sorted(owed.items()) if amount > 0}


def payment_status(initial: PaymentStatus, calls: Iterable[Call]) -> PaymentStatus:
    """The order's payment status from the outcomes of its calls (pending ones change nothing yet)."""
    done = [c for c in calls if c.status is TransactionStatus.SUCCEEDED]
    failed = [c for c in calls if c.status is TransactionStatus.FAILED]
    captured = sum((c.amount for c in done if c.kind is PaymentKind.CAPTURE), Decimal(0))
    refunded = sum((c.amount for c in done if c.kind is PaymentKind.REFUND), Decimal(0))
    if refunded > 0:
        return PaymentStatus.REFUNDED if refunded >= captured else PaymentStatus.PARTIALLY_REFUNDED
    if any(c.kind in (PaymentKind.CAPTURE, PaymentKind.INCREMENT) for c in failed):
        return PaymentStatus.FAILED
    if any(c.kind is PaymentKind.CAPTURE for c in done):
        return PaymentStatus.CAPTURED
    if any(c.kind is PaymentKind.VOID for c in done):
        return PaymentStatus.VOIDED
    return initial


class AppeasementReason(StrEnum):
    """Why money goes back that no returned unit stands for."""

    LATE_DELIVERY = "LATE_DELIVERY"
    DAMAGED_PACKAGING = "DAMAGED_PACKAGING"
    MISSING_ITEM = "MISSING_ITEM"
    WRONG_ITEM = "WRONG_ITEM"
    GOODWILL = "GOODWILL"


APPEASEMENT_SOURCE = "appeasement:"  # the refund's source, with the appeasement's id


def appeasement_problem(amount: Decimal, refundable_now: Decimal) -> str | None:
    """Why an appeasement of `amount` cannot be made: it must be positive and at most what was captured and
    not refunded yet."""
    if amount <= 0:
        return "must be more than 0"
    if amount > refundable_now:
        return f"at most {refundable_now} can be refunded (captured and not refunded yet)"
    return None
