"""Routing a ship-to-store pickup: the units its store did not hold when it was placed (promised then) become
transfers from the best sources, and the order gets its pickup fulfilment, waiting for them, and its
ready-by date. When the units cannot all be brought now the order is BACKORDERED, keeping its promise."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.base import utcnow
from oms_graph.db.models import Location, Order
from oms_graph.domain.events import EventType
from oms_graph.domain.orders import OrderStatus
from oms_graph.domain.routing import DecisionKind
from oms_graph.services import calendars
from oms_graph.services.fulfilment.allocation import unallocated
from oms_graph.services.outbox import append_event
from oms_graph.services.routing import history
from oms_graph.services.routing.profiles import profile_of_channel
from oms_graph.services.stock import ledger
from oms_graph.services.transfers.ship_to_store import bring, open_pickup


async def route_pickup(session: AsyncSession, *, order: Order, actor: str) -> None:
    """Plan and reserve the transfers of a PLACED ship-to-store pickup (locked by the caller), or backorder it."""
    now = utcnow()
    demand = await unallocated(session, order_id=order.id)
    units = {sku: int(n) for sku, n in (order.transfer_units or {}).items() if n}
    channel_code, profile = await profile_of_channel(session, channel_id=order.channel_id)
    store = await session.get_one(Location, cast(uuid.UUID, order.pickup_location_id))
    promised = await ledger.lock_products(session, skus=demand)
    savepoint = await session.begin_nested()
    await ledger.release_promise(session, channel_id=order.channel_id, units=units)
    fulfilment = await open_pickup(session, order=order, store_id=store.id, units=demand, at=now)
    brought = await bring(
        session,
        order=order,
        fulfilment_id=fulfilment.id,
        store=store,
        units=units,
        exclude=[],
        promised={sku: n - units.get(sku, 0) for sku, n in promised.items()},
        profile=profile,
        actor=actor,
        at=now,
    )
    if brought.missing:  # nowhere has them now: the order waits, promised, for stock
        await savepoint.rollback()
        order.status, order.updated_at = OrderStatus.BACKORDERED, now
        await append_event(
            session,
            order_id=order.id,
            type=EventType.ORDER_BACKORDERED,
            actor=actor,
            at=now,
            data={"number": order.number, "lines": brought.missing, "transferTo": store.code},
        )
        why = {
            "decidedAt": now.isoformat(),
            "profile": channel_code,
            "transferTo": store.code,
            "lines": [{"sku": sku, "quantity": n} for sku, n in sorted(brought.missing.items())],
            "considered": [],
            "nowhere": sorted(brought.missing),  # no location can spare them for a transfer now
            "enoughTogether": False,
        }
        await history.keep(session, [history.entry(order.id, DecisionKind.BACKORDERED, why, at=now, actor=actor)])
        return
    await savepoint.commit()
    at_store = {sku: n - units.get(sku, 0) for sku, n in demand.items() if n > units.get(sku, 0)}
    codes = {a["locationId"]: a["locationCode"] for a in (brought.explained or {}).get("allocations", [])}
    transfers = [
        {
            "transfer": str(t.id),
            "number": t.number,
            "from": codes.get(str(t.from_location_id)),
            "expectedAt": t.expected_at.isoformat() if t.expected_at else None,
        }
        for t in brought.transfers
    ]
    ready_by = brought.ready_by.isoformat() if brought.ready_by else None
    calendar = (await calendars.calendars(session, locations=[store], at=now))[store.id]
    fulfilment.expected_date = calendar.ready_by(brought.ready_by or now)  # ready once the last transfer landed
    order.expected_date = fulfilment.expected_date
    order.promised_date = order.promised_date or order.expected_date
    order.routing = {
        **_explained(brought.explained, store=store, at_store=at_store, profile=channel_code, now=now),
        "readyBy": ready_by,
    }
    order.transfer_units = None
    order.status, order.updated_at = OrderStatus.ROUTED, now
    await history.keep(
        session, [history.entry(order.id, DecisionKind.TRANSFERS, dict(order.routing), at=now, actor=actor)]
    )
    await append_event(
        session,
        order_id=order.id,
        type=EventType.ORDER_ROUTED,
        actor=actor,
        at=now,
        data={
            "number": order.number,
            "fulfilments": [{"location": store.code, "lines": demand}],
            "transfers": transfers,
            "readyBy": ready_by,
        },
    )


def _explained(
    plan: dict[str, Any] | None, *, store: Location, at_store: dict[str, int], profile: str, now: Any
) -> dict[str, Any]:
    """The decision for order.routing: the units the store holds, and each transfer's source and why."""
    chosen = dict(plan or {"score": 0.0, "factors": [], "allocations": []})
    held = (
        [
            {
                "locationId": str(store.id),
                "locationCode": store.code,
                "lines": [{"sku": s, "quantity": q} for s, q in sorted(at_store.items())],
                "distanceKm": None,
                "cost": 0.0,
            }
        ]
        if at_store
        else []
    )
    chosen["allocations"] = held + list(chosen.get("allocations", []))
    return {"decidedAt": now.isoformat(), "profile": profile, "chosen": chosen, "alternatives": []}
