"""Steps of fulfilment work over HTTP, shared by the fulfilment and carrier tests."""

from __future__ import annotations

import json

from sqlalchemy import select

from oms_graph.adapters.signing import HEADER, sign
from oms_graph.api.node import decode_id
from oms_graph.db.models import Location, Order, PaymentTransaction, Product, Shipment, StockLevel, StockMovement
from oms_graph.domain.access import Role
from oms_graph.services.routing.plan import route_order
from oms_graph.tasks import actors as tasks
from oms_graph.tasks.broker import build_broker
from tests.conftest import WEBHOOK_SECRET, actor_settings, make_key
from tests.factories import PLACE_ORDER, UPSERT_LOCATIONS, location, order_input, small_chain

FRANKFURT = (50.11, 8.68)
FIELDS = "id status method pickupCode pickupExpiresAt location { code } lines { sku quantity quantityPicked }"
PAYLOAD = (
    f"fulfilment {{ {FIELDS} shipment {{ id status carrier trackingNumber parcels }} }} errors {{ code field message }}"
)
QUEUE = f"""query($loc: String!, $status: [FulfilmentStatus!], $first: Int, $after: String) {{
  fulfilments(locationCode: $loc, status: $status, first: $first, after: $after) {{
    edges {{ cursor node {{ {FIELDS} order {{ number status }} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
ACCEPT = f"mutation($id: ID!) {{ acceptFulfilment(id: $id) {{ {PAYLOAD} }} }}"
REJECT = f"""mutation($id: ID!, $reason: RejectionReason!, $note: String) {{
  rejectFulfilment(id: $id, reason: $reason, note: $note) {{ {PAYLOAD} }} }}"""
PICK = f"mutation($id: ID!, $lines: [PickedLineInput!]!) {{ pickFulfilment(id: $id, lines: $lines) {{ {PAYLOAD} }} }}"
PACK = f"mutation($id: ID!, $parcels: [ParcelInput!]!) {{ packFulfilment(id: $id, parcels: $parcels) {{ {PAYLOAD} }} }}"
SHIP = f"mutation($id: ID!) {{ shipFulfilment(id: $id) {{ {PAYLOAD} }} }}"
READY = f"mutation($id: ID!) {{ markReadyForPickup(id: $id) {{ {PAYLOAD} }} }}"
COLLECT = f"mutation($id: ID!, $code: String!) {{ collectFulfilment(id: $id, pickupCode: $code) {{ {PAYLOAD} }} }}"
# The events of a prepaid delivery from placement to the driver, in order.
DELIVERY_LIFE = [
    "ORDER_PLACED",
    "ORDER_ROUTED",
    "FULFILMENT_ACCEPTED",
    "FULFILMENT_PICKED",
    "FULFILMENT_PACKED",
    "SHIPMENT_BOOKING",
    "SHIPMENT_BOOKED",
    "FULFILMENT_SHIPPED",
    "SHIPMENT_IN_TRANSIT",
    "PAYMENT_REQUESTED",  # the capture, as the goods leave
]
ORDER = """query($id: ID) { order(id: $id) { status events { type data }
  lines { sku quantityShipped quantityCancelled }
  fulfilments { id status location { code } lines { sku quantity quantityPicked } shipment { status } } } }"""


async def chain_admin(api):  # type: ignore[no-untyped-def]
    """An ADMIN key on the small chain plus a Frankfurt warehouse."""
    key = await make_key(api.db, Role.ADMIN)
    await small_chain(api, key)
    await api.data(key, UPSERT_LOCATIONS, {"input": [location("WH-FRA", FRANKFURT, ("SHIP",))]})
    return key


async def store_key(api, code):  # type: ignore[no-untyped-def]
    return await make_key(api.db, Role.STORE, location=code)


async def placed_and_routed(api, admin, order):  # type: ignore[no-untyped-def]
    placed = (await api.data(admin, PLACE_ORDER, {"input": order}))["placeOrder"]
    assert placed["errors"] == [], placed["errors"]
    async with api.db.write() as session:
        await route_order(session, order_id=decode_id(placed["order"]["id"])[1])
    return placed["order"]


async def queue(api, key, code, **variables):  # type: ignore[no-untyped-def]
    return (await api.data(key, QUEUE, {"loc": code, **variables}))["fulfilments"]


async def do(api, key, mutation, **variables):  # type: ignore[no-untyped-def]
    """The payload of a fulfilment mutation."""
    return next(iter((await api.data(key, mutation, variables)).values()))


async def ok(api, key, mutation, **variables):  # type: ignore[no-untyped-def]
    payload = await do(api, key, mutation, **variables)
    assert payload["errors"] == [], payload["errors"]
    return payload["fulfilment"]


async def stock(api, sku, code):  # type: ignore[no-untyped-def]
    """(onHand, reserved, routed) of a level, and the sku's promised counter."""
    async with api.db.read() as session:
        row = (
            await session.execute(
                select(StockLevel.on_hand, StockLevel.reserved, StockLevel.routed)
                .join(Location)
                .where(StockLevel.sku == sku, Location.code == code)
            )
        ).one()
        promised = await session.scalar(select(Product.promised).where(Product.sku == sku))
    return (*row, promised)


async def ledger(api, sku, code):  # type: ignore[no-untyped-def]
    async with api.db.read() as session:
        rows = await session.execute(
            select(StockMovement.reason, StockMovement.delta)
            .join(Location, Location.id == StockMovement.location_id)
            .where(StockMovement.sku == sku, Location.code == code)
            .order_by(StockMovement.id)
        )
        return [tuple(r) for r in rows]


async def book(api, fulfilment_id):  # type: ignore[no-untyped-def]
    """What the shipment.book actor does when the relay hands it the SHIPMENT_BOOKING event."""
    tasks.register(build_broker(None), settings=actor_settings(api.db))
    async with api.db.read() as session:
        shipment_id = await session.scalar(
            select(Shipment.id).where(Shipment.fulfilment_id == decode_id(fulfilment_id)[1])
        )
    await tasks.book_shipment(str(shipment_id))


async def pay(api, order_id):  # type: ignore[no-untyped-def]
    """What the payment.execute actor does for each call the order's PAYMENT_REQUESTED events ask for;
    how many there were."""
    tasks.register(build_broker(None), settings=actor_settings(api.db))
    async with api.db.read() as session:
        pending = list(
            await session.scalars(
                select(PaymentTransaction.id)
                .where(PaymentTransaction.order_id == decode_id(order_id)[1], PaymentTransaction.status == "PENDING")
                .order_by(PaymentTransaction.created_at)
            )
        )
    for transaction_id in pending:
        await tasks.execute_payment(str(transaction_id))
    return len(pending)


async def shipped(api, admin, order_id, *, at=None):  # type: ignore[no-untyped-def]
    """Work every assigned fulfilment of an order (or only the one at location code `at`) through to the
    driver: accept, pick all, pack, book, ship."""
    fulfilments = (await api.data(admin, ORDER, {"id": order_id}))["order"]["fulfilments"]
    for f in fulfilments:
        if f["status"] != "ASSIGNED" or at not in (None, f["location"]["code"]):
            continue
        await ok(api, admin, ACCEPT, id=f["id"])
        await ok(
            api, admin, PICK, id=f["id"], lines=[{"sku": li["sku"], "quantity": li["quantity"]} for li in f["lines"]]
        )
        await ok(api, admin, PACK, id=f["id"], parcels=[{"weightGrams": 500}])
        await book(api, f["id"])
        await ok(api, admin, SHIP, id=f["id"])
    return fulfilments


ROUTED_TO = """query($id: ID) { order(id: $id) { routing { chosen { allocations { location { code } } } } } }"""


async def goes_to(api, admin, key, lines=(("SKU-1", 1, "19.99"),)):  # type: ignore[no-untyped-def]
    """Place a delivery to Berlin and route it as the actor does: the codes of the locations it went to."""
    placed = (await api.data(admin, PLACE_ORDER, {"input": order_input(key, list(lines))}))["placeOrder"]
    assert placed["errors"] == [] and await routed(api, placed["order"]["id"]) == "ROUTED"
    found = (await api.data(admin, ROUTED_TO, {"id": placed["order"]["id"]}))["order"]
    return [a["location"]["code"] for a in found["routing"]["chosen"]["allocations"]]


async def routed(api, order_id):  # type: ignore[no-untyped-def]
    """What the routing actor does with the order; its status after."""
    async with api.db.write() as session:
        await route_order(session, order_id=decode_id(order_id)[1])
    async with api.db.read() as session:
        return await session.scalar(select(Order.status).where(Order.id == decode_id(order_id)[1]))


async def tracking(api, body: dict, *, secret: str | None = WEBHOOK_SECRET, carrier="courier"):  # type: ignore[no-untyped-def]
    """A carrier's tracking webhook, signed with the test server's secret unless told otherwise."""
    raw = json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers[HEADER] = sign(secret, raw)
    return await api.client.post(f"/webhooks/carriers/{carrier}", content=raw, headers=headers)
