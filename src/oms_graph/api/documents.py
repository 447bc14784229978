"""PDF documents over HTTP, for keys of the location (and ADMIN, INTEGRATION):

- `GET /documents/shipments/{id}/label.pdf`: a booked shipment's label (the `labelUrl` of a Shipment);
- `GET /documents/shipments/{id}/waybill.pdf`: the waybill its carrier issued, where it issues one;
- `GET /documents/fulfilments/{id}/packing-slip.pdf`;
- `GET /documents/manifests/{locationCode}/{carrier}/{YYYY-MM-DD}.pdf`: the handover manifest;
- `GET /documents/transfers/{id}/manifest.pdf`: what a transfer carries (for the keys of either end).

No key or a wrong key is 401, a key of another location or role 403, an unknown id 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oms_graph.api.node import decode_id, encode_id
from oms_graph.api.view import UNAUTHORIZED, bearer
from oms_graph.db.engine import Database
from oms_graph.domain.access import Principal
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.services.auth import KeyRing
from oms_graph.services.fulfilment import shipping
from oms_graph.services.transfers import documents as transfer_documents

Render = Callable[[AsyncSession, Request, Principal], Awaitable[bytes]]
STATUS = {ErrorCode.PERMISSION_DENIED: 403, ErrorCode.NOT_FOUND: 404, ErrorCode.UNKNOWN_LOCATION: 404}


def label_url(shipment_id: uuid.UUID) -> str:
    return f"/documents/shipments/{encode_id('Shipment', shipment_id)}/label.pdf"


def waybill_url(shipment_id: uuid.UUID) -> str:
    return f"/documents/shipments/{encode_id('Shipment', shipment_id)}/waybill.pdf"


def transfer_manifest_url(transfer_id: uuid.UUID) -> str:
    return f"/documents/transfers/{encode_id('Transfer', transfer_id)}/manifest.pdf"


def _id(request: Request, type_name: str) -> uuid.UUID:
    decoded = decode_id(request.path_params["id"])
    if decoded is None or decoded[0] != type_name:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], f"no such {type_name.lower()}")
    return decoded[1]


async def _label(session: AsyncSession, request: Request, principal: Principal) -> bytes:
    return await shipping.label_pdf(session, shipment_id=_id(request, "Shipment"), principal=principal)


async def _waybill(session: AsyncSession, request: Request, principal: Principal) -> bytes:
    return await shipping.waybill_pdf(session, shipment_id=_id(request, "Shipment"), principal=principal)


async def _slip(session: AsyncSession, request: Request, principal: Principal) -> bytes:
    fulfilment_id = _id(request, "Fulfilment")
    return await shipping.packing_slip_pdf(session, fulfilment_id=fulfilment_id, principal=principal)


async def _transfer_manifest(session: AsyncSession, request: Request, principal: Principal) -> bytes:
    transfer_id = _id(request, "Transfer")
    return await transfer_documents.manifest_pdf(session, transfer_id=transfer_id, principal=principal)


async def _manifest(session: AsyncSession, request: Request, principal: Principal) -> bytes:
    try:
        day = date.fromisoformat(request.path_params["day"])
    except ValueError:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["day"], "the day is YYYY-MM-DD") from None
    return await shipping.manifest_pdf(
        session,
        location_code=request.path_params["location"],
        carrier=request.path_params["carrier"],
        day=day,
        principal=principal,
    )


def document_routes(db: Database, keys: KeyRing) -> list[Route]:
    def serve(render: Render, name: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            token = bearer(request.headers.get("authorization"))
            principal = await keys.principal(token) if token else None
            if principal is None:
                return JSONResponse({"error": UNAUTHORIZED}, status_code=401)
            try:
                async with db.read() as session:
                    pdf = await render(session, request, principal)
            except DomainError as error:
                first = error.errors[0]
                return JSONResponse({"error": first.message}, status_code=STATUS.get(first.code, 400))
            disposition = f'inline; filename="{name}"'
            return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})

        return endpoint

    return [
        Route("/documents/shipments/{id}/label.pdf", serve(_label, "label.pdf")),
        Route("/documents/shipments/{id}/waybill.pdf", serve(_waybill, "waybill.pdf")),
        Route("/documents/fulfilments/{id}/packing-slip.pdf", serve(_slip, "packing-slip.pdf")),
        Route("/documents/manifests/{location}/{carrier}/{day}.pdf", serve(_manifest, "manifest.pdf")),
        Route("/documents/transfers/{id}/manifest.pdf", serve(_transfer_manifest, "transfer-manifest.pdf")),
    ]
