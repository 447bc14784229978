"""Data for tests: inputs as the API takes them, and a small chain to start from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from oms_graph.db.base import Base
from oms_graph.db.engine import Database
from tests.graphql_client import Api

UPSERT_CHANNELS = """mutation($input: [ChannelInput!]!) { upsertChannels(input: $input) {
  channels { id code name kind currency } errors { code field message } } }"""
UPSERT_LOCATIONS = """mutation($input: [LocationInput!]!) { upsertLocations(input: $input) {
  locations { id code name kind region latitude longitude priority capabilities dailyShipCapacity active }
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
            t.name: sorted((tuple(r) for r in await session.execute(select(t))), key=repr)
            for t in Base.metadata.sorted_tables
        }
