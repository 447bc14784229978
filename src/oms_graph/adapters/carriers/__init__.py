"""Carriers behind one small Protocol, found by name in a registry."""

from oms_graph.adapters.carriers.base import (
    Booking,
    Carrier,
    CarrierError,
    Parcel,
    Quoting,
    Rate,
    RateRequest,
    ShipmentRequest,
    Subscribing,
    Tracking,
    carrier_named,
    connected_carrier,
)

__all__ = [
    "Booking",
    "Carrier",
    "CarrierError",
    "Parcel",
    "Quoting",
    "Rate",
    "RateRequest",
    "ShipmentRequest",
    "Subscribing",
    "Tracking",
    "carrier_named",
    "connected_carrier",
]
