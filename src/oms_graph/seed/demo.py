"""A believable retail chain for trying oms-graph: channels, warehouses, stores, products, stock.

Deterministic (a seeded generator), and safe to run again: master data is upserted, stock is
only set where a location has no level for a sku yet, and the demo keys are replaced.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.models import StockLevel
from oms_graph.domain.access import Role
from oms_graph.domain.catalog import ChannelKind, LocationCapability, LocationKind
from oms_graph.domain.orders import Confirmation
from oms_graph.services import auth, catalog
from oms_graph.services.stock import levels as stock

SHIP, PICKUP, RETURNS = LocationCapability.SHIP, LocationCapability.PICKUP, LocationCapability.RETURNS
WAREHOUSE, STORE, DARK_STORE = LocationKind.WAREHOUSE, LocationKind.STORE, LocationKind.DARK_STORE
DC = [SHIP, RETURNS]  # a distribution centre
OMNI = [SHIP, PICKUP, RETURNS]  # a store that also ships
SHOP = [PICKUP, RETURNS]  # a store for click & collect and returns

# fmt: off
CHANNELS = [
    ("web", "Webshop", ChannelKind.WEB, Confirmation.NONE),
    ("app", "Mobile app", ChannelKind.APP, Confirmation.NONE),
    ("marketplace", "Marketplace (Amazon DE)", ChannelKind.MARKETPLACE, Confirmation.NONE),
    ("social", "Instagram Shopping", ChannelKind.SOCIAL, Confirmation.NONE),
    ("pos", "Store tills and tablets", ChannelKind.STORE, Confirmation.NONE),
    # Cash-on-delivery phone orders wait for a call-back before they are routed.
    ("callcenter", "Customer service phone orders", ChannelKind.CALL_CENTER, Confirmation.CASH_ON_DELIVERY),
]

# code, name, kind, region, latitude, longitude, priority, capabilities, daily ship capacity
LOCATIONS = [
    ("WH-HAM", "Warehouse Hamburg-Allermöhe", WAREHOUSE, "DE-HH", 53.4894, 10.1152, 10, DC, None),
    ("WH-NUE", "Warehouse Nürnberg Hafen", WAREHOUSE, "DE-BY", 49.4107, 11.0499, 10, DC, None),
    ("WH-DTM", "Warehouse Dortmund", WAREHOUSE, "DE-NW", 51.5136, 7.4653, 8, DC, None),
    ("DS-BER", "Dark store Berlin-Neukölln", DARK_STORE, "DE-BE", 52.4811, 13.4350, 6, [SHIP], 150),
    ("ST-BER-ALX", "Store Berlin Alexanderplatz", STORE, "DE-BE", 52.5219, 13.4132, 4, OMNI, 40),
    ("ST-BER-KUD", "Store Berlin Kurfürstendamm", STORE, "DE-BE", 52.5037, 13.3340, 3, SHOP, None),
    ("ST-BER-FHN", "Store Berlin Friedrichshain", STORE, "DE-BE", 52.5155, 13.4540, 2, OMNI, 25),
    ("ST-BER-STE", "Store Berlin Steglitz", STORE, "DE-BE", 52.4560, 13.3220, 1, SHOP, None),
    ("ST-HAM-MOE", "Store Hamburg Mönckebergstraße", STORE, "DE-HH", 53.5503, 10.0006, 4, OMNI, 40),
    ("ST-HAM-ALT", "Store Hamburg Altona", STORE, "DE-HH", 53.5500, 9.9350, 2, SHOP, None),
    ("ST-HAM-EPP", "Store Hamburg Eppendorf", STORE, "DE-HH", 53.5876, 9.9847, 1, SHOP, None),
    ("ST-MUC-MAR", "Store München Marienplatz", STORE, "DE-BY", 48.1374, 11.5755, 4, OMNI, 40),
    ("ST-MUC-SCH", "Store München Schwabing", STORE, "DE-BY", 48.1629, 11.5866, 2, SHOP, None),
    ("ST-MUC-PAS", "Store München Pasing", STORE, "DE-BY", 48.1496, 11.4610, 1, SHOP, None),
    ("ST-CGN-SCH", "Store Köln Schildergasse", STORE, "DE-NW", 50.9362, 6.9535, 4, OMNI, 35),
    ("ST-CGN-EHR", "Store Köln Ehrenfeld", STORE, "DE-NW", 50.9485, 6.9165, 1, SHOP, None),
    ("ST-FRA-ZEI", "Store Frankfurt Zeil", STORE, "DE-HE", 50.1146, 8.6833, 3, OMNI, 30),
    ("ST-FRA-SAX", "Store Frankfurt Sachsenhausen", STORE, "DE-HE", 50.1036, 8.6810, 1, SHOP, None),
]

# category, sku prefix, grams (min, max), items, variants
CATEGORIES = [
    ("Apparel", "APP", (150, 900), ["T-Shirt", "Hoodie", "Chinos", "Rain Jacket", "Polo Shirt", "Jeans"],
     ["Navy", "Black", "Olive", "White"]),
    ("Footwear", "SHO", (500, 1400), ["Running Shoe", "Leather Boot", "Canvas Sneaker", "Sandal"],
     ["38", "40", "42", "44", "46"]),
    ("Electronics", "ELE", (100, 2500), ["Bluetooth Speaker", "Headphones", "Power Bank", "Smart Plug", "E-Reader"],
     ["Black", "White", "Pro", "Mini"]),
    ("Home", "HOM", (300, 4000), ["Duvet Cover", "Table Lamp", "Cushion", "Throw Blanket", "Bath Towel"],
     ["Grey", "Sand", "Blue", "Green"]),
    ("Kitchen", "KIT", (200, 5000), ["Chef's Knife", "Cast Iron Pan", "French Press", "Mixing Bowl Set", "Kettle"],
     ["Small", "Large", "Steel", "Black"]),
    ("Beauty", "BEA", (50, 600), ["Face Cream", "Shampoo", "Lip Balm", "Body Lotion", "Sunscreen SPF50"],
     ["50 ml", "200 ml", "Sensitive", "Classic"]),
    ("Sports", "SPO", (200, 12000), ["Yoga Mat", "Dumbbell", "Water Bottle", "Cycling Helmet", "Tennis Balls"],
     ["Blue", "Red", "Black", "Pro"]),
    ("Toys", "TOY", (100, 3000), ["Building Blocks", "Puzzle 1000", "Plush Bear", "Wooden Train", "Card Game"],
     ["Classic", "Deluxe", "Junior", "Travel"]),
    ("Books", "BOO", (150, 1200), ["Cookbook", "City Guide", "Novel", "Children's Book", "Atlas"],
     ["Hardcover", "Paperback", "Special Edition", "German"]),
    ("Garden", "GAR", (300, 9000), ["Garden Hose", "Plant Pot", "Pruning Shears", "Bird Feeder", "Solar Light"],
     ["Small", "Large", "Terracotta", "Green"]),
]
# fmt: on


@dataclass
class Row:
    """Keyword fields as the services' input protocols expect them."""

    values: dict = field(default_factory=dict)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class DemoKeys:
    admin: str
    storefront: str
    store: str  # DEMO_STORE's tablets
    analyst: str


DEMO_STORE = "ST-BER-ALX"


def ean13(body: str) -> str:
    """The EAN-13 of 12 digits: they and their check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def products() -> list[Row]:
    rng = random.Random(7)
    rows = []
    for category, prefix, (low, high), items, variants in CATEGORIES:
        n = 0
        for item in items:
            for variant in variants:
                n += 1
                rows.append(
                    Row(
                        {
                            "sku": f"{prefix}-{n:04d}",
                            "name": f"{item} {variant}",
                            "category": category,
                            "weight_grams": rng.randint(low, high),
                            "unit_cost": Decimal(5 + n * 37 % 95),
                            "ean": ean13(f"400{sum(map(ord, prefix)):04d}{n:05d}"),
                        }
                    )
                )
    return rows


def stock_plan(location_codes: list[str], skus: list[str]) -> list[Row]:
    """Warehouses carry nearly everything in depth, stores a part of the range, some at zero."""
    rng = random.Random(42)
    rows = []
    for code in location_codes:
        warehouse = code.startswith(("WH-", "DS-"))
        for sku in skus:
            if not warehouse and rng.random() > 0.6:
                continue
            zero = rng.random() < (0.08 if warehouse else 0.15)
            on_hand = 0 if zero else rng.randint(20, 250) if warehouse else rng.randint(1, 18)
            rows.append(
                Row(
                    {
                        "sku": sku,
                        "location_code": code,
                        "on_hand": on_hand,
                        "safety_stock": 2 if warehouse else rng.choice([0, 0, 1]),
                    }
                )
            )
    return rows


async def seed(session: AsyncSession) -> DemoKeys:
    """Load (or top up) the demo chain and issue fresh demo keys."""
    await catalog.upsert_channels(
        session,
        inputs=[
            Row(
                {
                    "code": c,
                    "name": n,
                    "kind": k,
                    "currency": "EUR",
                    "confirmation": confirm,
                    "language": "de",
                    "default_region": "DE-HE",  # the middle of the country, for addresses nothing can place
                }
            )
            for c, n, k, confirm in CHANNELS
        ],
    )
    await catalog.upsert_locations(
        session,
        inputs=[
            Row(
                {
                    "code": c,
                    "name": n,
                    "kind": k,
                    "region": r,
                    "latitude": lat,
                    "longitude": lon,
                    "priority": p,
                    "capabilities": caps,
                    "daily_ship_capacity": cap,
                    "handling_cost": 1.2 if k is WAREHOUSE else 3.5,
                    "active": True,
                    "time_zone": "Europe/Berlin",
                    "cutoff_hour": 18 if k is STORE else 16,
                    # shops close on Sundays and keep shop hours; warehouses and dark stores work every day
                    "open_days": [1, 2, 3, 4, 5, 6] if k is STORE else None,
                    "opens_at": time(10) if k is STORE else None,
                    "closes_at": time(20) if k is STORE else None,
                }
            )
            for c, n, k, r, lat, lon, p, caps, cap in LOCATIONS
        ],
    )
    product_rows = products()
    await catalog.upsert_products(session, inputs=product_rows)
    existing = set((await session.execute(select(StockLevel.sku, StockLevel.location_id))).all())
    locations = {loc.code: loc.id for loc in await catalog.list_locations(session)}
    plan = [
        r
        for r in stock_plan([loc[0] for loc in LOCATIONS], [p.sku for p in product_rows])
        if (r.sku, locations[r.location_code]) not in existing
    ]
    if plan:
        await stock.set_stock_levels(session, inputs=plan, actor="demo-seed")
    for name in ("demo-admin", "demo-web-storefront", "demo-store-tablet", "demo-analyst"):
        await auth.revoke_api_keys(session, name=name)
    _, admin = await auth.create_api_key(session, role=Role.ADMIN, name="demo-admin")
    _, web = await auth.create_api_key(session, role=Role.STOREFRONT, name="demo-web-storefront", channel_code="web")
    _, store = await auth.create_api_key(session, role=Role.STORE, name="demo-store-tablet", location_code=DEMO_STORE)
    _, analyst = await auth.create_api_key(session, role=Role.ANALYST, name="demo-analyst")
    return DemoKeys(admin=admin, storefront=web, store=store, analyst=analyst)
