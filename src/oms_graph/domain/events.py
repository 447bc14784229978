"""What can happen to an order: the types of its events, which the relay, notifications, webhooks and
subscriptions route on. A StrEnum, so an event type read back from the log is the same value as its
member."""

from __future__ import annotations

from enum import StrEnum

from oms_graph.domain.fulfilment import FulfilmentStatus, ShipmentStatus
from oms_graph.domain.returns import ReturnStatus
from oms_graph.domain.transfers import TransferStatus


class EventType(StrEnum):
    ORDER_PLACED = "ORDER_PLACED"
    ORDER_HELD = "ORDER_HELD"
    ORDER_RELEASED = "ORDER_RELEASED"
    ORDER_ROUTED = "ORDER_ROUTED"
    ORDER_REROUTED = "ORDER_REROUTED"
    ORDER_BACKORDERED = "ORDER_BACKORDERED"
    ORDER_REQUEUED = "ORDER_REQUEUED"
    ORDER_AWAITING_SUPPLY = "ORDER_AWAITING_SUPPLY"  # promised against inbound supply, due on a date
    ORDER_AT_RISK = "ORDER_AT_RISK"  # it may miss the date it was promised (the causes in its data)
    ORDER_REDUCED = "ORDER_REDUCED"
    ORDER_EDITED = "ORDER_EDITED"  # its lines, delivery or price changed: before and after in its data
    ORDER_APPEASED = "ORDER_APPEASED"  # money given back that no returned unit stands for (its reason in data)
    ORDER_CANCELLED = "ORDER_CANCELLED"
    STORE_SALE_RECORDED = "STORE_SALE_RECORDED"
    FULFILMENT_AWAITING_TRANSFER = "FULFILMENT_AWAITING_TRANSFER"
    FULFILMENT_ASSIGNED = "FULFILMENT_ASSIGNED"
    FULFILMENT_ACCEPTED = "FULFILMENT_ACCEPTED"
    FULFILMENT_PICKED = "FULFILMENT_PICKED"
    FULFILMENT_PACKED = "FULFILMENT_PACKED"
    FULFILMENT_SHIPPED = "FULFILMENT_SHIPPED"
    FULFILMENT_READY_FOR_PICKUP = "FULFILMENT_READY_FOR_PICKUP"
    FULFILMENT_DELIVERED = "FULFILMENT_DELIVERED"
    FULFILMENT_COLLECTED = "FULFILMENT_COLLECTED"
    FULFILMENT_REJECTED = "FULFILMENT_REJECTED"
    FULFILMENT_CANCELLED = "FULFILMENT_CANCELLED"
    SHIPMENT_BOOKING = "SHIPMENT_BOOKING"
    SHIPMENT_BOOKED = "SHIPMENT_BOOKED"
    SHIPMENT_IN_TRANSIT = "SHIPMENT_IN_TRANSIT"
    SHIPMENT_DELIVERED = "SHIPMENT_DELIVERED"
    SHIPMENT_FAILED = "SHIPMENT_FAILED"
    SHIPMENT_CANCELLED = "SHIPMENT_CANCELLED"
    PAYMENT_REQUESTED = "PAYMENT_REQUESTED"
    PAYMENT_AUTHORIZED = "PAYMENT_AUTHORIZED"
    PAYMENT_CAPTURED = "PAYMENT_CAPTURED"
    PAYMENT_VOIDED = "PAYMENT_VOIDED"
    PAYMENT_REFUNDED = "PAYMENT_REFUNDED"
    PAYMENT_RETRYING = "PAYMENT_RETRYING"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    RETURN_REQUESTED = "RETURN_REQUESTED"
    RETURN_RECEIVED = "RETURN_RECEIVED"
    RETURN_REJECTED = "RETURN_REJECTED"
    RETURN_REFUNDED = "RETURN_REFUNDED"
    RETURN_CANCELLED = "RETURN_CANCELLED"
    PICKUP_DELAYED = "PICKUP_DELAYED"
    TRANSFER_REQUESTED = "TRANSFER_REQUESTED"
    TRANSFER_ACCEPTED = "TRANSFER_ACCEPTED"
    TRANSFER_PICKED = "TRANSFER_PICKED"
    TRANSFER_PACKED = "TRANSFER_PACKED"
    TRANSFER_IN_TRANSIT = "TRANSFER_IN_TRANSIT"
    TRANSFER_RECEIVED = "TRANSFER_RECEIVED"
    TRANSFER_PARTLY_RECEIVED = "TRANSFER_PARTLY_RECEIVED"
    TRANSFER_REJECTED = "TRANSFER_REJECTED"
    TRANSFER_CANCELLED = "TRANSFER_CANCELLED"
    TASK_FAILED = "TASK_FAILED"
    SIMULATION_REQUESTED = "SIMULATION_REQUESTED"  # a what-if routing simulation for a worker to run

    @classmethod
    def fulfilment(cls, status: FulfilmentStatus) -> EventType:
        """The event of a fulfilment moving to `status`."""
        return cls(f"FULFILMENT_{status.value}")

    @classmethod
    def shipment(cls, status: ShipmentStatus) -> EventType:
        """The event of a shipment moving to `status`."""
        return cls(f"SHIPMENT_{status.value}")

    @classmethod
    def transfer(cls, status: TransferStatus) -> EventType:
        """The event of a transfer moving to `status`."""
        return cls(f"TRANSFER_{status.value}")

    @classmethod
    def returned(cls, status: ReturnStatus) -> EventType:
        """The event of a return moving to `status`."""
        return cls(f"RETURN_{status.value}")
