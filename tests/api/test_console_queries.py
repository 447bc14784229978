"""What the console and the store app ask that nothing else did: who the key is, orders by number, external
id and waiting work, products by barcode or name."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from oms_graph.api.node import decode_id
from oms_graph.db.base import utcnow
from oms_graph.db.models import Fulfilment, Order, PaymentTransaction, Shipment
from oms_graph.domain.access import Role
from oms_graph.domain.fulfilment import FulfilmentStatus, ShipmentStatus
from oms_graph.domain.orders import OrderStatus
from oms_graph.domain.payments import PaymentKind, TransactionStatus
from tests.conftest import make_key
from tests.factories import SET_STOCK, level, order_input
from tests.fulfilment_steps import chain_admin, placed_and_routed

VIEWER = "{ viewer { name role channel location } }"
STUCK = """query($kind: StuckKind!) { orders(filter: {stuck: $kind}) { totalCount edges { node { number } } } }"""
PRODUCTS = """query($search: String, $first: Int) { products(search: $search, first: $first) { sku name ean } }"""
UPSERT = """mutation($input: [ProductInput!]!) { upsertProducts(input: $input) {
  products { sku ean } errors { code field message } } }"""


async def test_the_viewer_is_the_key_with_its_role_and_scope(api):
    await chain_admin(api)
    store = await make_key(api.db, Role.STORE, location="ST-MUC")
    web = await make_key(api.db, Role.STOREFRONT, channel="web")
    analyst = await make_key(api.db, Role.ANALYST)
    assert (await api.data(store, VIEWER))["viewer"] == {
        "name": "test-store",
        "role": "STORE",
        "channel": None,
        "location": "ST-MUC",
    }
    assert (await api.data(web, VIEWER))["viewer"]["channel"] == "web"
    assert (await api.data(analyst, VIEWER))["viewer"]["role"] == "ANALYST"


async def test_orders_found_by_number_and_external_id(api):
    admin = await chain_admin(api)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 20)]})
    first = await placed_and_routed(api, admin, order_input("a", externalId="SHOP-7"))
    await placed_and_routed(api, admin, order_input("b"))
    by_number = "query($n: String) { orders(filter: {number: $n}) { edges { node { number } } } }"
    found = (await api.data(admin, by_number, {"n": first["number"]}))["orders"]["edges"]
    assert [e["node"]["number"] for e in found] == [first["number"]]
    query = "query($x: String) { orders(filter: {externalId: $x}) { edges { node { number } } } }"
    assert [e["node"]["number"] for e in (await api.data(admin, query, {"x": "SHOP-7"}))["orders"]["edges"]] == [
        first["number"]
    ]
    assert (await api.data(admin, query, {"x": "SHOP-8"}))["orders"]["edges"] == []


async def test_stuck_work_of_each_kind_finds_its_order_only(api):
    admin = await chain_admin(api)
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 50)]})
    orders = {
        kind: await placed_and_routed(api, admin, order_input(kind))
        for kind in ("BACKORDERED", "AT_RISK", "ACCEPT_DUE", "BOOKING_FAILED", "PAYMENT_FAILED", "FRESH")
    }
    ids = {kind: decode_id(o["id"])[1] for kind, o in orders.items()}
    # Each in the state the process that finds it would leave (the sweeps, a carrier's refusal, a gateway's).
    async with api.db.write() as session:
        await session.execute(
            update(Order).where(Order.id == ids["BACKORDERED"]).values(status=OrderStatus.BACKORDERED)
        )
        await session.execute(update(Order).where(Order.id == ids["AT_RISK"]).values(at_risk=True))
        # every fulfilment is young but this one's, assigned 20 minutes ago (half the timeout is 15)
        await session.execute(
            update(Fulfilment)
            .where(Fulfilment.order_id == ids["ACCEPT_DUE"])
            .values(status=FulfilmentStatus.ASSIGNED, updated_at=utcnow() - timedelta(minutes=20))
        )
        fulfilment = await session.scalar(
            Fulfilment.__table__.select()
            .with_only_columns(Fulfilment.id)
            .where(Fulfilment.order_id == ids["BOOKING_FAILED"])
        )
        session.add(
            Shipment(
                fulfilment_id=fulfilment,
                carrier="courier",
                status=ShipmentStatus.FAILED,
                parcels=1,
                weights_grams=[500],
                error="address refused",
            )
        )
        session.add(
            PaymentTransaction(
                order_id=ids["PAYMENT_FAILED"],
                kind=PaymentKind.CAPTURE,
                status=TransactionStatus.FAILED,
                amount=Decimal("24.89"),
                currency="EUR",
                provider="card",
                source="fulfilment:x",
                error="declined",
            )
        )
    for kind in ("BACKORDERED", "AT_RISK", "ACCEPT_DUE", "BOOKING_FAILED", "PAYMENT_FAILED"):
        found = (await api.data(admin, STUCK, {"kind": kind}))["orders"]
        assert [e["node"]["number"] for e in found["edges"]] == [orders[kind]["number"]], kind
        assert found["totalCount"] == 1
    # a cancelled order with a failed payment is no longer waiting on anyone
    async with api.db.write() as session:
        await session.execute(
            update(Order).where(Order.id == ids["PAYMENT_FAILED"]).values(status=OrderStatus.CANCELLED)
        )
    assert (await api.data(admin, STUCK, {"kind": "PAYMENT_FAILED"}))["orders"]["totalCount"] == 0


async def test_products_by_barcode_sku_or_name_exact_first(api):
    admin = await chain_admin(api)
    made = (
        await api.data(
            admin,
            UPSERT,
            {
                "input": [
                    {"sku": "TEE-M", "name": "Tee medium", "category": "Apparel", "ean": "4006381333931"},
                    {"sku": "TEE-L", "name": "Tee large", "category": "Apparel", "ean": "4006381333948"},
                    {"sku": "MUG", "name": "Mug with a tee print", "category": "Home"},
                ]
            },
        )
    )["upsertProducts"]
    assert made["errors"] == []
    assert [p["sku"] for p in (await api.data(admin, PRODUCTS, {"search": "4006381333948"}))["products"]] == ["TEE-L"]
    found = [p["sku"] for p in (await api.data(admin, PRODUCTS, {"search": "tee"}))["products"]]
    assert set(found) == {"TEE-M", "TEE-L", "MUG"}
    assert [p["sku"] for p in (await api.data(admin, PRODUCTS, {"search": "MUG"}))["products"]][0] == "MUG"
    assert len((await api.data(admin, PRODUCTS, {"search": "tee", "first": 2}))["products"]) == 2
    for wildcard in ("%", "_", "t_e"):  # searched for as they are: no name holds them
        assert (await api.data(admin, PRODUCTS, {"search": wildcard}))["products"] == []


@pytest.mark.parametrize("ean", ["123", "40063813339ab", "1" * 15])
async def test_a_barcode_that_is_not_one_is_refused_and_nothing_written(api, ean):
    admin = await chain_admin(api)
    made = await api.data(admin, UPSERT, {"input": [{"sku": "X-1", "name": "X", "category": "C", "ean": ean}]})
    assert made["upsertProducts"]["errors"][0]["field"] == ["input", "0", "ean"]
    assert (await api.data(admin, PRODUCTS, {"search": "X-1"}))["products"] == []
