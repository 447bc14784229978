"""`POST /webhooks/carriers/{carrier}`: tracking news from carriers, signed with OMS_CARRIER_WEBHOOK_SECRET.

A missing or wrong signature is 401 and changes nothing; a body that is not `{"trackingNumber": "...",
"status": "IN_TRANSIT" | "DELIVERED" | "FAILED"}` is 400; an unknown parcel 404.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from oms_graph.adapters.signing import HEADER, signature_ok
from oms_graph.db.engine import Database
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.fulfilment import ShipmentStatus
from oms_graph.services.fulfilment import shipping

STATUSES = {s.value: s for s in shipping.TRACKED}


def carrier_webhook(
    db: Database, secret: str | None, after_commit: Callable[[], Any]
) -> Callable[[Request], Awaitable[Response]]:
    async def receive(request: Request) -> Response:
        body = await request.body()
        if not signature_ok(secret, body, request.headers.get(HEADER)):
            return JSONResponse({"error": "missing or wrong signature"}, status_code=401)
        try:
            update = json.loads(body)
            tracking, status = update["trackingNumber"], STATUSES[update["status"]]
            if not isinstance(tracking, str) or not tracking:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            expected = '{"trackingNumber": "...", "status": "IN_TRANSIT" | "DELIVERED" | "FAILED"}'
            return JSONResponse({"error": f"expected {expected}"}, status_code=400)
        try:
            async with db.write() as session:
                shipment = await shipping.tracking_update(
                    session, carrier=request.path_params["carrier"], tracking_number=tracking, status=status
                )
                state = ShipmentStatus(shipment.status).value
        except DomainError as error:
            first = error.errors[0]
            code = 404 if first.code is ErrorCode.NOT_FOUND else 409
            return JSONResponse({"error": first.message, "code": first.code.value}, status_code=code)
        after_commit()
        return JSONResponse({"trackingNumber": tracking, "status": state})

    return receive
