"""Every operation × every role: allowed, or PERMISSION_DENIED with nothing written; scopes hold."""

from __future__ import annotations

import pytest

from oms_graph.api.node import decode_id
from oms_graph.domain.access import Role
from oms_graph.services.routing.plan import route_order
from tests.conftest import make_key
from tests.factories import (
    ADJUST_STOCK,
    AVAILABILITY,
    BERLIN_ADDRESS,
    CANCEL_ORDER,
    HOLD_ORDER,
    PLACE_ORDER,
    RELEASE_ORDER,
    SET_STOCK,
    STOCK_LEVELS,
    UPSERT_CHANNELS,
    UPSERT_LOCATIONS,
    UPSERT_PRODUCTS,
    channel,
    level,
    location,
    order_input,
    product,
    small_chain,
    snapshot,
)

ALL = set(Role)
# A till sale at Berlin, recorded on the web channel so that the web storefront's key may return it.
STORE_SALE = {
    "locationCode": "ST-BER",
    "channel": "web",
    "receiptNumber": "R-1",
    "lines": [{"sku": "SKU-3", "quantity": 3, "unitPrice": "5.00"}],  # none on record there: stock as it was
}
MASTER_DATA = {Role.ADMIN, Role.INTEGRATION}

# name: (document, variables, roles allowed)
OPERATIONS = {
    "upsertChannels": (UPSERT_CHANNELS, {"input": [channel("app", kind="APP")]}, MASTER_DATA),
    "upsertLocations": (UPSERT_LOCATIONS, {"input": [location("WH-NEW")]}, MASTER_DATA),
    "upsertProducts": (UPSERT_PRODUCTS, {"input": [product("SKU-NEW")]}, MASTER_DATA),
    "setStockLevels": (SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 7)]}, MASTER_DATA),
    "adjustStock": (
        ADJUST_STOCK,
        {"input": {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": 3, "reason": "delivery"}},
        MASTER_DATA,
    ),
    "channels": ("{ channels { code } }", {}, ALL),
    "locations": ("{ locations { code } }", {}, ALL),
    "products": ("{ products { sku } }", {}, ALL),
    "stockLevels": (STOCK_LEVELS, {}, {Role.ADMIN, Role.INTEGRATION, Role.ANALYST, Role.STORE}),
    "availability": (AVAILABILITY, {"skus": ["SKU-1"]}, {Role.ADMIN, Role.INTEGRATION, Role.STOREFRONT, Role.STORE}),
    "node": ("query($id: ID!) { node(id: $id) { id } }", lambda ids: {"id": ids["web"]}, ALL),
    "placeOrder": (
        PLACE_ORDER,
        {"input": order_input("new", originLocationCode="ST-BER")},
        {Role.ADMIN, Role.INTEGRATION, Role.STOREFRONT, Role.STORE},
    ),
    "importOrders": (
        "mutation($input: [PlaceOrderInput!]!) { importOrders(input: $input) { errors { code } } }",
        {"input": [order_input("imported", channel="pos")]},
        MASTER_DATA,
    ),
    "cancelOrder": (CANCEL_ORDER, lambda ids: {"id": ids["placed"], "reason": "x"}, {Role.ADMIN, Role.STOREFRONT}),
    "holdOrder": (HOLD_ORDER, lambda ids: {"id": ids["placed"], "reason": "x"}, {Role.ADMIN, Role.STOREFRONT}),
    "releaseOrder": (RELEASE_ORDER, lambda ids: {"id": ids["held"]}, {Role.ADMIN, Role.STOREFRONT}),
    "order": ("query($id: ID) { order(id: $id) { number } }", lambda ids: {"id": ids["placed"]}, ALL),
    "orders": ("{ orders { totalCount } }", {}, ALL),
    "fulfilments": (
        "query($loc: String!) { fulfilments(locationCode: $loc) { edges { node { id } } } }",
        {"loc": "ST-BER"},
        {Role.ADMIN, Role.STORE, Role.INTEGRATION, Role.ANALYST},
    ),
    "acceptFulfilment": (
        "mutation($id: ID!) { acceptFulfilment(id: $id) { errors { code } } }",
        lambda ids: {"id": ids["fulfilment"]},
        {Role.ADMIN, Role.STORE},
    ),
    "rejectFulfilment": (
        "mutation($id: ID!) { rejectFulfilment(id: $id, reason: NO_CAPACITY) { errors { code } } }",
        lambda ids: {"id": ids["fulfilment"]},
        {Role.ADMIN, Role.STORE},
    ),
    "cancelOrderLines": (
        """mutation($id: ID!) { cancelOrderLines(id: $id, lines: [{sku: "SKU-1", quantity: 1}], reason: "x") {
          errors { code } } }""",
        lambda ids: {"id": ids["placed"]},
        {Role.ADMIN, Role.STOREFRONT},
    ),
    "recordStoreSale": (
        "mutation($input: StoreSaleInput!) { recordStoreSale(input: $input) { errors { code } } }",
        {"input": STORE_SALE | {"receiptNumber": "R-2"}},
        {Role.ADMIN, Role.INTEGRATION, Role.STORE},
    ),
    "requestReturn": (
        "mutation($input: RequestReturnInput!) { requestReturn(input: $input) { errors { code } } }",
        lambda ids: {"input": {"orderId": ids["sold"], "lines": [{"sku": "SKU-3", "quantity": 1}]}},
        {Role.ADMIN, Role.STOREFRONT, Role.STORE},
    ),
    "receiveReturn": (
        "mutation($input: ReceiveReturnInput!) { receiveReturn(input: $input) { errors { code } } }",
        lambda ids: {
            "input": {
                "returnId": ids["return"],
                "locationCode": "ST-BER",
                "lines": [{"sku": "SKU-3", "quantity": 1, "condition": "SELLABLE"}],
            }
        },
        {Role.ADMIN, Role.STORE},
    ),
    "cancelReturn": (
        "mutation($id: ID!) { cancelReturn(id: $id) { errors { code } } }",
        lambda ids: {"id": ids["return"]},
        {Role.ADMIN, Role.STOREFRONT, Role.STORE},
    ),
    "deliveryOptions": (
        "query($input: DeliveryOptionsInput!) { deliveryOptions(input: $input) { method } }",
        {
            "input": {
                "channel": "web",
                "lines": [{"sku": "SKU-1", "quantity": 1, "unitPrice": "1"}],
                "address": BERLIN_ADDRESS,
            }
        },
        {Role.ADMIN, Role.STOREFRONT, Role.INTEGRATION, Role.STORE},
    ),
}


async def keys_for_every_role(db) -> dict[Role, str]:  # type: ignore[no-untyped-def]
    return {
        Role.ADMIN: await make_key(db, Role.ADMIN),
        Role.INTEGRATION: await make_key(db, Role.INTEGRATION),
        Role.STOREFRONT: await make_key(db, Role.STOREFRONT, channel="web"),
        Role.STORE: await make_key(db, Role.STORE, location="ST-BER"),
        Role.ANALYST: await make_key(db, Role.ANALYST),
    }


@pytest.fixture
async def chain(api):  # type: ignore[no-untyped-def]
    admin = await make_key(api.db, Role.ADMIN)
    await small_chain(api, admin)
    await api.data(
        admin,
        SET_STOCK,
        {"input": [level("SKU-1", "WH-HAM", 10), level("SKU-1", "ST-BER", 4), level("SKU-2", "ST-MUC", 6)]},
    )
    keys = await keys_for_every_role(api.db)
    placed = (await api.data(admin, PLACE_ORDER, {"input": order_input("placed")}))["placeOrder"]["order"]
    held = (await api.data(admin, PLACE_ORDER, {"input": order_input("held")}))["placeOrder"]["order"]
    await api.data(admin, HOLD_ORDER, {"id": held["id"], "reason": "check"})
    channels = await api.data(admin, "{ channels { id code } }")
    web = next(c["id"] for c in channels["channels"] if c["code"] == "web")
    worked = (await api.data(admin, PLACE_ORDER, {"input": order_input("worked")}))["placeOrder"]["order"]
    async with api.db.write() as session:  # to Berlin: the Berlin store's fulfilment
        await route_order(session, order_id=decode_id(worked["id"])[1])
    routed = await api.data(admin, "query($id: ID) { order(id: $id) { fulfilments { id } } }", {"id": worked["id"]})
    fulfilment = routed["order"]["fulfilments"][0]["id"]
    sale = "mutation($input: StoreSaleInput!) { recordStoreSale(input: $input) { order { id } } }"
    sold = (await api.data(admin, sale, {"input": STORE_SALE}))["recordStoreSale"]["order"]["id"]
    start = "mutation($input: RequestReturnInput!) { requestReturn(input: $input) { return { id } } }"
    lines = [{"sku": "SKU-3", "quantity": 1}]
    started = (await api.data(admin, start, {"input": {"orderId": sold, "lines": lines}}))["requestReturn"]
    return keys, {
        "placed": placed["id"],
        "held": held["id"],
        "web": web,
        "fulfilment": fulfilment,
        "sold": sold,
        "return": started["return"]["id"],
    }


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("operation", list(OPERATIONS))
async def test_operation_is_allowed_or_denied_by_role(api, chain, operation, role):
    keys, ids = chain
    document, variables, allowed = OPERATIONS[operation]
    if callable(variables):
        variables = variables(ids)
    before = await snapshot(api.db)
    body = await api.run(keys[role], document, variables)
    if role in allowed:
        assert not body.get("errors"), body
        payload = body["data"][operation]
        if isinstance(payload, dict) and "errors" in payload:
            assert payload["errors"] == []
    else:
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
        assert await snapshot(api.db) == before


async def test_storefront_key_sees_only_its_channel(api, chain):
    keys, _ = chain
    data = await api.data(keys[Role.STOREFRONT], "{ channels { code } }")
    assert [c["code"] for c in data["channels"]] == ["web"]
    admin_view = await api.data(keys[Role.ADMIN], "{ channels { id code } }")
    pos_id = next(c["id"] for c in admin_view["channels"] if c["code"] == "pos")
    hidden = await api.data(keys[Role.STOREFRONT], "query($id: ID!) { node(id: $id) { id } }", {"id": pos_id})
    assert hidden["node"] is None


async def test_storefront_key_asks_availability_only_for_its_channel(api, chain):
    keys, _ = chain
    own = await api.data(keys[Role.STOREFRONT], AVAILABILITY, {"skus": ["SKU-1"], "channel": "web"})
    assert own["availability"][0]["availableToPromise"] == 14 - 3  # the chain's three orders took one each
    other = await api.run(keys[Role.STOREFRONT], AVAILABILITY, {"skus": ["SKU-1"], "channel": "pos"})
    assert other["data"] is None and other["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_store_key_sees_only_its_location_stock(api, chain):
    keys, _ = chain
    own = await api.data(keys[Role.STORE], STOCK_LEVELS, {})
    assert {e["node"]["location"]["code"] for e in own["stockLevels"]["edges"]} == {"ST-BER"}
    other = await api.run(keys[Role.STORE], STOCK_LEVELS, {"loc": "WH-HAM"})
    assert other["data"] is None and other["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_a_storefront_key_needs_a_channel_and_a_store_key_a_location(api):
    from oms_graph.domain.errors import DomainError

    with pytest.raises(DomainError) as no_channel:
        await make_key(api.db, Role.STOREFRONT)
    assert no_channel.value.errors[0].field == ("channel",)
    with pytest.raises(DomainError) as unknown:
        await make_key(api.db, Role.STORE, location="NOWHERE")
    assert unknown.value.errors[0].code.value == "UNKNOWN_LOCATION"
