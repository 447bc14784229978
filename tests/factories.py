"""Data for tests: inputs as the API takes them, and a small chain to start from."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace as Input
from typing import Any

from sqlalchemy import select

from oms_graph.config import Settings
from oms_graph.db.base import Base
from oms_graph.db.engine import Database
from oms_graph.domain.orders import FulfilmentMethod, PaymentMethod
from tests.graphql_client import Api

UPSERT_CHANNELS = """mutation($input: [ChannelInput!]!) { upsertChannels(input: $input) {
  channels { id code name kind currency } errors { code field message } } }"""
UPSERT_LOCATIONS = """mutation($input: [LocationInput!]!) { upsertLocations(input: $input) {
  locations { id code name kind region latitude longitude priority capabilities dailyShipCapacity handlingCost active
    timeZone cutoffHour openDays opensAt closesAt }
  errors { code field message } } }"""
UPSERT_PRODUCTS = """mutation($input: [ProductInput!]!) { upsertProducts(input: $input) {
  products { id sku name category weightGrams } errors { code field message } } }"""
SET_STOCK = """mutation($input: [StockLevelInput!]!) { setStockLevels(input: $input) {
  stockLevels { sku location { code } onHand reserved safetyStock available updatedAt }
  errors { code field message } } }"""
ADJUST_STOCK = """mutation($input: StockAdjustmentInput!) { adjustStock(input: $input) {
  stockLevel { sku location { code } onHand reserved safetyStock available } errors { code field message } } }"""
AVAILABILITY = """query($skus: [String!]!, $near: GeoPointInput, $channel: String, $max: Int) {
  availability(skus: $skus, near: $near, channel: $channel, maxLocations: $max) {
    sku availableToPromise locations { location { code } available distanceKm } } }"""
STOCK_LEVELS = """query($sku: String, $loc: String, $first: Int, $after: String) {
  stockLevels(sku: $sku, locationCode: $loc, first: $first, after: $after) {
    edges { cursor node { sku location { code } onHand reserved safetyStock available } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""

# Real places: Berlin, Hamburg, Munich.
DEFAULTS = Settings()  # for services called directly: the default carrier, payment provider, pickup days
BERLIN = (52.5200, 13.4050)
HAMBURG = (53.5511, 9.9937)
MUNICH = (48.1351, 11.5820)


def channel(code: str = "web", kind: str = "WEB", currency: str = "EUR", **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": f"Channel {code}", "kind": kind, "currency": currency, **extra}


def location(
    code: str,
    at: tuple[float, float] = BERLIN,
    capabilities: tuple[str, ...] = ("SHIP",),
    kind: str = "WAREHOUSE",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"Location {code}",
        "kind": kind,
        "region": "DE-BE",
        "latitude": at[0],
        "longitude": at[1],
        "capabilities": list(capabilities),
        **extra,
    }


def product(sku: str, category: str = "Apparel", **extra: Any) -> dict[str, Any]:
    return {"sku": sku, "name": f"Product {sku}", "category": category, "weightGrams": 500, **extra}


def level(sku: str, location_code: str, on_hand: int, safety: int | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"sku": sku, "locationCode": location_code, "onHand": on_hand}
    if safety is not None:
        row["safetyStock"] = safety
    return row


async def small_chain(api: Api, admin: str) -> None:
    """Two channels; a Hamburg warehouse, a Berlin store that ships, a Munich pickup-only store; three skus."""
    await api.data(admin, UPSERT_CHANNELS, {"input": [channel("web"), channel("pos", kind="STORE")]})
    await api.data(
        admin,
        UPSERT_LOCATIONS,
        {
            "input": [
                location("WH-HAM", HAMBURG, ("SHIP", "RETURNS")),
                location("ST-BER", BERLIN, ("SHIP", "PICKUP", "RETURNS"), kind="STORE", dailyShipCapacity=20),
                location("ST-MUC", MUNICH, ("PICKUP",), kind="STORE"),
            ]
        },
    )
    await api.data(admin, UPSERT_PRODUCTS, {"input": [product("SKU-1"), product("SKU-2"), product("SKU-3", "Home")]})


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: equal before and after means nothing was written."""
    async with db.read() as session:
        return {
            t.name: sorted((tuple(r) for r in await session.execute(select(*_recorded(t)))), key=repr)
            for t in Base.metadata.sorted_tables
        }


_BOOKKEEPING = {("order_events", "position"), ("api_keys", "last_used_at")}


def _recorded(table: Any) -> list[Any]:
    """A table's columns but the event stream's position, which the sequencer fills in after commit, and a
    key's last use, which every API process writes now and then."""
    return [c for c in table.columns if (table.name, c.name) not in _BOOKKEEPING]


PLACE_ORDER = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  order { id number status externalId currency subtotal total payment paymentStatus createdAt
    channel { code } originLocation { code }
    customer { email name }
    delivery { method price address { city country } pickupLocation { code } }
    lines { sku name quantity unitPrice quantityCancelled }
    events { type actor data } }
  errors { code field message } } }"""
ORDER_FIELDS = "id number status paymentStatus lines { sku quantity quantityCancelled } events { type actor data }"
CANCEL_ORDER = f"""mutation($id: ID!, $reason: String!) {{ cancelOrder(id: $id, reason: $reason) {{
  order {{ {ORDER_FIELDS} }} errors {{ code field message }} }} }}"""
HOLD_ORDER = f"""mutation($id: ID!, $reason: String!) {{ holdOrder(id: $id, reason: $reason) {{
  order {{ {ORDER_FIELDS} }} errors {{ code field message }} }} }}"""
RELEASE_ORDER = f"""mutation($id: ID!) {{ releaseOrder(id: $id) {{
  order {{ {ORDER_FIELDS} }} errors {{ code field message }} }} }}"""

BERLIN_ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "Unter den Linden 1",
    "city": "Berlin",
    "postalCode": "10117",
    "country": "DE",
    "latitude": 52.517,
    "longitude": 13.389,
}


def order_input(
    key: str,
    lines: list[tuple[str, int, str]] = (("SKU-1", 1, "19.99"),),  # type: ignore[assignment]
    *,
    channel: str = "web",
    pickup: str | None = None,
    payment: str = "PREPAID",
    **extra: Any,
) -> dict[str, Any]:
    """A placeOrder input: delivery to Berlin, or pickup at a location code."""
    delivery: dict[str, Any] = (
        {"method": "PICKUP", "pickupLocationCode": pickup}
        if pickup
        else {"method": "DELIVERY", "address": BERLIN_ADDRESS, "price": "4.90", "carrier": "courier"}
    )
    return {
        "channel": channel,
        "idempotencyKey": key,
        "customer": {"email": "ada@example.com", "name": "Ada"},
        "lines": [{"sku": s, "quantity": q, "unitPrice": p} for s, q, p in lines],
        "delivery": delivery,
        "payment": {"method": payment},
        **extra,
    }


async def atp(api: Api, key: str, sku: str) -> int:
    data = await api.data(key, AVAILABILITY, {"skus": [sku]})
    return data["availability"][0]["availableToPromise"]


def placement_fields(key: str, lines: list[tuple[str, int, str]], pickup: str | None = None) -> Any:
    """A placement as the service takes it (attributes, as the GraphQL input has them): delivery or pickup."""
    address = Input(
        name=None,
        line1="Main St 1",
        city="Berlin",
        region=None,
        postal_code="10117",
        country="DE",
        latitude=None,
        longitude=None,
    )
    return Input(
        channel="web",
        idempotency_key=key,
        external_id=None,
        origin_location_code=None,
        note=None,
        customer=Input(email="buyer@example.com", phone=None, name=None, external_id=None, tags=None),
        lines=[Input(sku=s, quantity=q, unit_price=Decimal(p)) for s, q, p in lines],
        delivery=Input(
            method=FulfilmentMethod.PICKUP if pickup else FulfilmentMethod.DELIVERY,
            pickup_location_code=pickup,
            address=None if pickup else address,
            carrier=None,
            service=None,
            price=None,
            promised_date=None,
        ),
        payment=Input(method=PaymentMethod.PREPAID, provider=None, reference=None),
    )


async def service_chain(
    session: Any,
    *,
    locations: list[tuple[str, float, float, list[Any]]],
    skus: list[str],
    weight_grams: int | None = None,
) -> None:
    """A web channel, locations (code, latitude, longitude, capabilities) and products, through the services:
    for tests and benchmarks that skip HTTP."""
    from oms_graph.domain.catalog import ChannelKind, LocationKind
    from oms_graph.services import catalog

    await catalog.upsert_channels(
        session,
        inputs=[
            Input(
                code="web",
                name="Web",
                kind=ChannelKind.WEB,
                currency="EUR",
                confirmation=None,
                language=None,
                default_region=None,
            )
        ],
    )
    await catalog.upsert_locations(
        session,
        inputs=[
            Input(
                code=code,
                name=code,
                kind=LocationKind.WAREHOUSE,
                region="DE",
                latitude=lat,
                longitude=lon,
                priority=0,
                capabilities=caps,
                daily_ship_capacity=None,
                handling_cost=None,
                active=True,
                time_zone=None,
                cutoff_hour=None,
                open_days=None,
                opens_at=None,
                closes_at=None,
            )
            for code, lat, lon, caps in locations
        ],
    )
    await catalog.upsert_products(
        session,
        inputs=[Input(sku=k, name=k, category="X", weight_grams=weight_grams, unit_cost=None, ean=None) for k in skus],
    )


async def stocked_warehouse(db: Database, *, sku: str, on_hand: int) -> None:
    """`service_chain` with one shipping warehouse, WH, holding `on_hand` units of one sku."""
    from oms_graph.domain.catalog import LocationCapability
    from oms_graph.services.stock import levels

    async with db.write() as session:
        await service_chain(session, locations=[("WH", 52.5, 13.4, [LocationCapability.SHIP])], skus=[sku])
    async with db.write() as session:
        inputs = [Input(sku=sku, location_code="WH", on_hand=on_hand, safety_stock=None)]
        await levels.set_stock_levels(session, inputs=inputs, actor="t")
