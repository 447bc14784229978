"""The actors of stock at the edges: inventory files, and AVAILABILITY_CHANGED webhooks."""

from __future__ import annotations

import logging
import os
import uuid

from oms_graph.adapters.outbound import Unreachable, send
from oms_graph.services import availability_webhooks
from oms_graph.services.stock import imports
from oms_graph.tasks.context import database, runtime

log = logging.getLogger(__name__)


async def send_availability() -> None:
    """AVAILABILITY_CHANGED to the endpoints that want it (services/availability_webhooks.py): what reached
    an endpoint is recorded; what did not goes again at the next look."""
    async with database().write() as session:
        due = await availability_webhooks.due(session)
    for endpoint in due:
        done = []
        for change in endpoint.changes:
            try:
                answer = await send(
                    "POST", change.delivery.url, attempts=1, backoff=0, try_seconds=10,
                    content=change.delivery.body, headers=change.delivery.headers,
                )  # fmt: skip
                if 200 <= answer.status_code < 300:
                    done.append(change)
            except Unreachable:
                log.warning("AVAILABILITY_CHANGED to %s failed; sent again next time", change.delivery.url)
        async with database().write() as session:
            await availability_webhooks.delivered(session, due=endpoint, done=done)


async def import_stock(import_id: str) -> None:
    """Apply an inventory file (services/stock/imports.py): safe to run again, it goes on where it stopped."""
    job, batch = uuid.UUID(import_id), runtime().settings.import_batch_rows
    pause = float(os.environ.get("OMS_TEST_IMPORT_PAUSE", "0"))  # lets a test kill a worker mid-batch
    try:
        await imports.run_import(database(), import_id=job, batch=batch, pause=pause)
    except Exception as error:
        async with database().write() as session:
            await imports.note_failure(session, import_id=job, error=f"{type(error).__name__}: {error}")
        raise  # retried with backoff


async def resend_stalled_imports() -> None:
    """Inventory files nobody moved for a while go to a worker again (their message was lost, their worker
    killed); after their last try they are FAILED."""
    async with database().write() as session:
        again = await imports.stalled_imports(session)
    for import_id in again if runtime().actors else ():
        runtime().actors.import_stock.send(str(import_id))  # type: ignore[union-attr]
