"""Inventory files over HTTP, for INTEGRATION and ADMIN keys:

- `POST /imports/stock?mode=counts|delta|full&countedAt=…&format=csv|jsonl`: the body is the file (CSV with
  a header line, or JSON lines; the format also follows Content-Type: text/csv, application/x-ndjson or
  application/jsonl). Answered at once: 202 `{"id": …, "status": "QUEUED"}`; `stockImport(id)` follows it.
- `GET /imports/stock/{id}/reconciliation.csv`: the differences the counts found, largest first.

No key or a wrong key is 401, another role 403, bad parameters or an empty file 400, an unknown id 404.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oms_graph.api.node import decode_id, encode_id
from oms_graph.api.view import UNAUTHORIZED, bearer
from oms_graph.db.engine import Database
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.errors import DomainError
from oms_graph.services import audit
from oms_graph.services.auth import KeyRing
from oms_graph.services.stock import imports

FORMATS = {"text/csv": "csv", "application/x-ndjson": "jsonl", "application/jsonl": "jsonl"}
ROLES = (Role.ADMIN, Role.INTEGRATION)
SPOOL_BYTES = 8 << 20  # an upload over this goes to a temporary file while it is read


@dataclass
class ImportQueue:
    """Where an accepted file's job is sent: this process's actors once its background work runs (without
    them, the workers' sweep finds the job)."""

    send: Callable[[str], object] | None = None


def import_routes(db: Database, keys: KeyRing, queue: ImportQueue) -> list[Route]:
    def guarded(
        handle: Callable[[Request, Principal], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            token = bearer(request.headers.get("authorization"))
            principal = await keys.principal(token) if token else None
            if principal is None:
                return JSONResponse({"error": UNAUTHORIZED}, status_code=401)
            if principal.role not in ROLES:
                return JSONResponse({"error": "inventory files are for INTEGRATION and ADMIN keys"}, status_code=403)
            try:
                return await handle(request, principal)
            except DomainError as error:
                found = [
                    {"code": e.code.value, "field": list(e.field or ()), "message": e.message} for e in error.errors
                ]
                return JSONResponse({"errors": found}, status_code=400)

        return endpoint

    async def accept(request: Request, principal: Principal) -> Response:
        params = request.query_params
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        options = imports.import_options(  # refused before a byte of the body is read
            mode=params.get("mode"), fmt=params.get("format") or FORMATS.get(kind), counted_at=params.get("countedAt")
        )
        # The file is read from the client first, outside any transaction: a slow upload must not hold the
        # database (SQLite's one writer, or an idle PostgreSQL transaction) while it trickles in.
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            async for piece in request.stream():
                spool.write(piece)
            spool.seek(0)

            async def body() -> AsyncIterator[bytes]:
                while piece := spool.read(imports.CHUNK_BYTES):
                    yield piece

            async with db.write() as session:
                audit.acting(session, principal.name)
                job = await imports.start_import(
                    session,
                    body=body(),
                    options=options,
                    actor=principal.name,
                )
        if queue.send is not None:
            queue.send(str(job.id))
        return JSONResponse({"id": encode_id("StockImport", job.id), "status": job.status}, status_code=202)

    async def reconciliation(request: Request, principal: Principal) -> Response:
        decoded = decode_id(request.path_params["id"])
        async with db.read() as session:
            job = await imports.get_import(session, import_id=decoded[1]) if decoded else None
            if decoded is None or decoded[0] != "StockImport" or job is None:
                return JSONResponse({"error": "no such stock import"}, status_code=404)
            rows = await imports.differences(session, import_id=job.id, first=None)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["sku", "locationCode", "expected", "counted", "difference", "value"])
        for d in rows:
            writer.writerow([d.sku, d.location_code, d.expected, d.counted, d.difference, d.value or ""])
        disposition = 'attachment; filename="reconciliation.csv"'
        return Response(out.getvalue(), media_type="text/csv", headers={"Content-Disposition": disposition})

    return [
        Route("/imports/stock", guarded(accept), methods=["POST"]),
        Route("/imports/stock/{id}/reconciliation.csv", guarded(reconciliation)),
    ]
