"""Tracking news from carriers.

`POST /webhooks/carriers/{carrier}`: signed with OMS_CARRIER_WEBHOOK_SECRET. A missing or wrong signature is
401 and changes nothing; a body that is not `{"trackingNumber": "...", "status": "IN_TRANSIT" | "DELIVERED" |
"FAILED"}` is 400; an unknown parcel 404.

`POST /webhooks/cdek/{connector}/{token}`: CDEK's ORDER_STATUS webhooks for a `cdek` connector, the URL
registered with CDEK carrying the connector's `webhookToken` secret (CDEK signs nothing). A wrong token, or a
connector without one, is 401; a status that says nothing of the parcel's way is answered 200 and ignored.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from oms_graph.adapters.carriers.cdek import TRACKED as CDEK_TRACKED
from oms_graph.adapters.signing import HEADER, signature_ok
from oms_graph.db.engine import Database
from oms_graph.domain.connectors import ConnectorKind
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.fulfilment import ShipmentStatus
from oms_graph.services import connectors
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
        return await _tracked(db, request.path_params["carrier"], tracking, status, after_commit)

    return receive


def cdek_webhook(db: Database, after_commit: Callable[[], Any]) -> Callable[[Request], Awaitable[Response]]:
    async def receive(request: Request) -> Response:
        name = request.path_params["connector"]
        async with db.read() as session:
            connector = await connectors.configured(session, name=name, kind=ConnectorKind.CARRIER)
        token = connector.secrets.get("webhookToken") if connector and connector.adapter == "cdek" else None
        if token is None or not hmac.compare_digest(token, request.path_params["token"]):
            return JSONResponse({"error": "no such webhook"}, status_code=401)
        try:
            update = json.loads(await request.body())
            attributes = update["attributes"]
            tracking, code = str(attributes["cdek_number"]), str(attributes["status_code"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "expected CDEK's ORDER_STATUS webhook"}, status_code=400)
        status = CDEK_TRACKED.get(code)
        if update.get("type") != "ORDER_STATUS" or status is None:
            return JSONResponse({"ignored": code})
        return await _tracked(db, name, tracking, status, after_commit)

    return receive


async def _tracked(
    db: Database, carrier: str, tracking: str, status: ShipmentStatus, after_commit: Callable[[], Any]
) -> Response:
    try:
        async with db.write() as session:
            shipment = await shipping.tracking_update(session, carrier=carrier, tracking_number=tracking, status=status)
            state = ShipmentStatus(shipment.status).value
    except DomainError as error:
        first = error.errors[0]
        code = 404 if first.code is ErrorCode.NOT_FOUND else 409
        return JSONResponse({"error": first.message, "code": first.code.value}, status_code=code)
    after_commit()
    return JSONResponse({"trackingNumber": tracking, "status": state})
