"""The actors of marketplace connectors: on a schedule, each one's new postings become orders, its
cancellations cancel them, and its channel's moved figures go out in batches; an order of theirs cancelled
here is cancelled at the marketplace. Every call is logged on the connector."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select

from oms_graph.adapters.marketplaces import Marketplace, Returning, marketplace_of
from oms_graph.db.base import utcnow
from oms_graph.db.models import OrderEvent
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.domain.events import EventType
from oms_graph.domain.marketplaces import CANCELLED_DAYS, Posting, Returned, pull_window, unservable
from oms_graph.services import marketplaces
from oms_graph.services.connectors import Configured
from oms_graph.services.marketplaces import Taken
from oms_graph.tasks.connected import logged
from oms_graph.tasks.context import database, runtime

log = logging.getLogger(__name__)
HOLD = timedelta(minutes=10)  # a poll's turn on a connector at most (the actor's time limit)


class PullIncomplete(Exception):
    """Some postings or returns were refused for a reason other than the chain not being able to serve them."""


def seller(connector: Configured) -> Marketplace:
    return marketplace_of(connector.adapter, connector.name, connector.settings, connector.secrets)


async def poll_marketplaces() -> None:
    """Each enabled marketplace connector: orders in, then stock out. One that fails is logged (and its
    connector FAILING) and left to the next poll; the others go on."""
    async with database().read() as session:
        found = await marketplaces.marketplaces(session)
    for connector in found:
        async with database().write() as session:
            mine = await marketplaces.take_turn(session, connector_id=connector.id, now=utcnow(), hold=HOLD)
        if not mine:
            continue  # another process's poll is working it
        for step in (pull, push_stock):
            try:
                await step(connector)
            except Exception:
                log.exception("marketplace %s: %s failed", connector.name, step.__name__)
        async with database().write() as session:
            await marketplaces.keep_state(session, connector_id=connector.id, heldUntil=None)


async def pull(connector: Configured) -> Counter[Taken]:
    """The postings made since the cursor (a little before it), then the marketplace's cancellations of the
    channel's orders still open (of the last CANCELLED_DAYS): each taken in its own transaction; the cursor
    moves once all were."""
    now = utcnow()
    async with database().read() as session:
        state = await marketplaces.state_of(session, connector_id=connector.id)
    cursor = datetime.fromisoformat(state["since"]) if state.get("since") else None
    since, to = pull_window(cursor, now, first_days=int(connector.settings.get("firstDays", 3)))
    api, taken = seller(connector), Counter[Taken]()
    async with logged(connector, "pull"):
        async for posting in api.postings(since, to):
            taken[await _take(connector, api, posting)] += 1
        recent = to - timedelta(days=CANCELLED_DAYS)
        async with database().read() as session:
            still_open = await marketplaces.open_postings(session, connector=connector, since=recent)
        for number, reason in (await api.cancelled_among(still_open, recent)).items():
            gone = Posting(number, cancelled=True, processed_at=None, lines=(), cancel_reason=reason)
            taken[await _take(connector, api, gone)] += 1
        if isinstance(api, Returning):
            async for returned in api.returns(since, to):
                taken[await _take_return(connector, returned)] += 1
        if taken[Taken.FAILED]:  # the connector shows FAILING, and the cursor stays for the next poll
            raise PullIncomplete(f"{taken[Taken.FAILED]} postings or returns refused; tried again next poll")
    async with database().write() as session:
        await marketplaces.keep_state(session, connector_id=connector.id, since=to.isoformat())
    log.info("marketplace %s: %s", connector.name, dict(taken))
    return taken


async def _take(connector: Configured, api: Marketplace, posting: Posting) -> Taken:
    """One posting, in its own transaction. One the chain cannot serve (a sku it does not know, stock it does
    not have) is cancelled at the marketplace with the reason, rather than left for the buyer to wait on; one
    refused for another reason is FAILED (logged, and tried again at the next poll)."""
    try:
        async with database().write() as session:
            return await marketplaces.take_posting(
                session, connector=connector, posting=posting, settings=runtime().settings
            )
    except DomainError as refused:
        codes = [e.code for e in refused.errors]
        if not unservable(codes):
            log.error("marketplace %s: posting %s refused (%s)", connector.name, posting.number, refused)
            return Taken.FAILED
        log.warning(
            "marketplace %s: posting %s cannot be served (%s); cancelled there", connector.name, posting.number, refused
        )
        await api.cancel(posting.number, out_of_stock=ErrorCode.INSUFFICIENT_STOCK in codes, message=str(refused))
        return Taken.REFUSED


async def _take_return(connector: Configured, returned: Returned) -> Taken:
    """One return, in its own transaction; one oms-graph cannot open yet (units it has not shipped, as it
    knows) is FAILED: logged, and tried again at the next poll, never dropped."""
    try:
        async with database().write() as session:
            opened = await marketplaces.take_return(session, connector=connector, returned=returned)
    except DomainError as refused:
        log.error("marketplace %s: return %s not opened (%s)", connector.name, returned.number, refused)
        return Taken.FAILED
    return Taken.RETURNED if opened else Taken.LEFT


async def push_stock(connector: Configured) -> int:
    """The channel's figures that moved since the stock cursor, in the marketplace's batches; what it did
    not take goes again next time. How many were sent."""
    async with database().read() as session:
        state = await marketplaces.state_of(session, connector_id=connector.id)
        due = await marketplaces.stock_due(session, connector=connector, state=state, now=utcnow())
    unsent: set[str] = set()
    if due.figures:
        async with logged(connector, "stock"):
            unsent = await seller(connector).push_stock(due.figures, due.barcodes)
    async with database().write() as session:
        await marketplaces.keep_state(
            session,
            connector_id=connector.id,
            levelMark=due.level_mark.isoformat(),
            position=due.position,
            unsent=sorted(unsent),
            recent=due.sent(unsent),
        )
    return len(due.figures)


async def cancel_posting(order_id: str) -> None:
    """An order of a marketplace's cancelled here (not by the marketplace itself): cancel its posting."""
    async with database().read() as session:
        found = await marketplaces.connector_of_order(session, order_id=uuid.UUID(order_id))
        actor = await session.scalar(
            select(OrderEvent.actor)
            .where(OrderEvent.order_id == uuid.UUID(order_id), OrderEvent.type == EventType.ORDER_CANCELLED)
            .order_by(OrderEvent.id.desc())
            .limit(1)
        )
    if found is None:
        return
    connector, number = found
    if marketplaces.from_marketplace(actor, connector.name):
        return
    async with logged(connector, "cancel"):
        await seller(connector).cancel(number, out_of_stock=False, message=f"cancelled by {actor or 'the seller'}")
