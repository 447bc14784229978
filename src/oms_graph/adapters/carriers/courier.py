"""The built-in `courier`: the chain's own fleet. Bookings are local: a tracking number derived from the
shipment's idempotency key, so booking the same shipment twice gives the same number."""

from __future__ import annotations

import hashlib

from oms_graph.adapters.carriers.base import Booking, ShipmentRequest, register

NAME = "courier"


class Courier:
    name = NAME

    async def book(self, request: ShipmentRequest) -> Booking:
        digest = hashlib.sha256(request.key.encode()).hexdigest()[:12].upper()
        return Booking(tracking_number=f"CR{digest}", service=request.service or "standard")

    async def cancel(self, tracking_number: str) -> None:
        """Nothing to tell anyone: the fleet's manifest is built from the shipments still booked."""


register(NAME, Courier)
