"""The actor that asks carriers about their parcels, for carriers that send no webhooks (DHL): on a
schedule, each carrier connector whose adapter tracks is asked about its shipments on the way, and what it
says moves them as a tracking webhook would."""

from __future__ import annotations

import logging

from oms_graph.adapters.carriers import Tracking, connected_carrier
from oms_graph.domain.connectors import ConnectorKind
from oms_graph.domain.errors import DomainError
from oms_graph.services import connectors
from oms_graph.services.fulfilment import shipping
from oms_graph.tasks.connected import logged
from oms_graph.tasks.context import database

log = logging.getLogger(__name__)
PER_POLL = 500  # shipments asked about per carrier and poll, oldest first


async def poll_tracking() -> int:
    """Ask each tracking carrier about its shipments on the way; how many moved."""
    async with database().read() as session:
        found = await connectors.list_connectors(session, kind=ConnectorKind.CARRIER)
    moved = 0
    for connector in [connectors.opened(c) for c in found if c.enabled]:
        carrier = connected_carrier(connector.adapter, connector.name, connector.settings, connector.secrets)
        if not isinstance(carrier, Tracking):
            continue
        async with database().read() as session:
            numbers = await shipping.on_the_way(session, carrier=connector.name, first=PER_POLL)
        if not numbers:
            continue
        try:
            async with logged(connector, "track"):
                told = {number: await carrier.track(number) for number in numbers}
        except Exception:
            log.exception("tracking %s failed; asked again at the next poll", connector.name)
            continue
        for number, status in told.items():
            if status is None:
                continue
            try:
                async with database().write() as session:
                    await shipping.tracking_update(
                        session, carrier=connector.name, tracking_number=number, status=status
                    )
                moved += 1
            except DomainError as refused:
                log.warning("tracking %s %s: %s", connector.name, number, refused)
    return moved
