"""deliveryOptions: carrier services with prices and dates from the location routing would choose, and
pickup at the stores holding the whole cart; nothing offered that placement would refuse."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from oms_graph.api.node import decode_id
from oms_graph.db.base import utcnow
from oms_graph.domain import delivery as rules
from oms_graph.domain.access import Role
from oms_graph.domain.calendars import DEFAULT_CUTOFF_HOUR
from oms_graph.services.routing.plan import route_order
from tests.conftest import make_key
from tests.factories import BERLIN_ADDRESS, PLACE_ORDER, SET_STOCK, level, order_input
from tests.fulfilment_steps import REJECT, chain_admin, routed
from tests.transfer_steps import ROUTING, transfers_allowed

DATES = """query($id: ID) { order(id: $id) { promisedDate expectedDate
  fulfilments { id status expectedDate } } }"""
OPTIONS = """query($input: DeliveryOptionsInput!) { deliveryOptions(input: $input) {
  method carrier service price currency estimatedDeliveryDate pickupLocation { code } byTransfer } }"""


def cart(lines, address=BERLIN_ADDRESS, channel="web"):  # type: ignore[no-untyped-def]
    return {
        "input": {
            "channel": channel,
            "lines": [{"sku": s, "quantity": q, "unitPrice": "1"} for s, q in lines],
            "address": address,
        }
    }


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


async def test_options_come_from_the_location_routing_will_choose(api, admin):
    await api.data(
        admin,
        SET_STOCK,
        {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-1", "ST-BER", 1), level("SKU-1", "ST-MUC", 4)]},
    )
    storefront = await make_key(api.db, Role.STOREFRONT, channel="web")
    options = (await api.data(storefront, OPTIONS, cart([("SKU-1", 2)])))["deliveryOptions"]
    deliveries = [o for o in options if o["method"] == "DELIVERY"]
    pickups = [o for o in options if o["method"] == "PICKUP"]
    # Berlin's store has 1, so two units come from Hamburg (~255 km: 2 days in transit, 1 by express)
    today = utcnow().date()
    assert [(o["carrier"], o["service"]) for o in deliveries] == [("courier", "standard"), ("courier", "express")]
    assert deliveries[0]["price"] == "5.30" and deliveries[0]["currency"] == "EUR"  # 4.90 + 0.40 × 1 kg
    assert deliveries[0]["estimatedDeliveryDate"] == rules.working_days_after(today, 3).isoformat()
    assert deliveries[1]["estimatedDeliveryDate"] == rules.working_days_after(today, 2).isoformat()
    assert [o["pickupLocation"]["code"] for o in pickups] == ["ST-MUC"]  # Berlin holds 1 of the 2
    assert pickups[0]["price"] == "0.00"

    # the promise before purchase is the routing after it
    order = await api.data(storefront, PLACE_ORDER, {"input": order_input("k1", [("SKU-1", 2, "10")])})
    async with api.db.write() as session:
        routed = await route_order(session, order_id=decode_id(order["placeOrder"]["order"]["id"])[1])
    assert routed is not None and routed.routing["chosen"]["allocations"][0]["locationCode"] == "WH-HAM"
    # and the order keeps the date it was offered; its fulfilment is expected then too
    order_id = order["placeOrder"]["order"]["id"]
    dated = (await api.data(admin, DATES, {"id": order_id}))["order"]
    standard = deliveries[0]["estimatedDeliveryDate"]
    assert (dated["promisedDate"], dated["expectedDate"]) == (standard, standard)
    assert [f["expectedDate"] for f in dated["fulfilments"]] == [standard]

    # re-routed to Frankfurt (Hamburg cannot take it): expected anew, promised as before
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-FRA", 5)]})
    fid = dated["fulfilments"][0]["id"]
    rejected = await api.data(admin, REJECT, {"id": fid, "reason": "NO_CAPACITY"})
    assert rejected["rejectFulfilment"]["errors"] == []
    again = (await api.data(admin, DATES, {"id": order_id}))["order"]
    live = [f for f in again["fulfilments"] if f["status"] == "ASSIGNED"]
    assert live and again["promisedDate"] == standard
    assert again["expectedDate"] == max(f["expectedDate"] for f in live)


async def test_the_promise_is_kept_from_placement_a_channel_may_send_its_own(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-1", "ST-MUC", 4)]})
    storefront = await make_key(api.db, Role.STOREFRONT, channel="web")
    # a pickup from the store's shelf is promised at placement, by the rule deliveryOptions offers it
    pickup = await api.data(storefront, PLACE_ORDER, {"input": order_input("p", pickup="ST-MUC")})
    placed = (await api.data(admin, DATES, {"id": pickup["placeOrder"]["order"]["id"]}))["order"]
    assert placed["promisedDate"] == rules.pickup_ready(utcnow()).isoformat()

    # the channel's own date (the one its checkout showed) is stored at placement and outlives routing
    own = (utcnow() + timedelta(days=9)).date().isoformat()
    sent = order_input("own", [("SKU-1", 2, "10")])
    sent["delivery"]["promisedDate"] = own
    order_id = (await api.data(storefront, PLACE_ORDER, {"input": sent}))["placeOrder"]["order"]["id"]
    assert (await api.data(admin, DATES, {"id": order_id}))["order"]["promisedDate"] == own
    assert await routed(api, order_id) == "ROUTED"
    dated = (await api.data(admin, DATES, {"id": order_id}))["order"]
    hamburg = rules.estimated_delivery(utcnow().date(), 255, rules.STANDARD).isoformat()
    assert (dated["promisedDate"], dated["expectedDate"]) == (own, hamburg)

    # a promise in the past, or more than a year ahead, is refused and writes nothing
    for bad in ((utcnow() - timedelta(days=1)).date(), (utcnow() + timedelta(days=400)).date()):
        refused = order_input(f"bad-{bad}", [("SKU-1", 1, "10")])
        refused["delivery"]["promisedDate"] = bad.isoformat()
        errors = (await api.data(storefront, PLACE_ORDER, {"input": refused}))["placeOrder"]["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", ["input", "delivery", "promisedDate"])]
    orders = await api.data(admin, "{ orders(first: 10) { edges { node { number } } } }")
    assert len(orders["orders"]["edges"]) == 2


async def test_nothing_is_offered_that_placement_would_refuse(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 2)]})
    storefront = await make_key(api.db, Role.STOREFRONT, channel="web")
    assert (await api.data(storefront, OPTIONS, cart([("SKU-1", 3)])))["deliveryOptions"] == []
    await api.data(storefront, PLACE_ORDER, {"input": order_input("k1", [("SKU-1", 1, "10")])})  # promised, unrouted
    assert (await api.data(storefront, OPTIONS, cart([("SKU-1", 2)])))["deliveryOptions"] == []
    assert len((await api.data(storefront, OPTIONS, cart([("SKU-1", 1)])))["deliveryOptions"]) == 2


async def test_where_transfers_may_serve_pickups_stores_without_the_cart_are_offered_with_the_later_date(api, admin):
    stock = [level("SKU-1", "WH-HAM", 5), level("SKU-1", "ST-BER", 1), level("SKU-1", "ST-MUC", 4)]
    await api.data(admin, SET_STOCK, {"input": stock})
    await transfers_allowed(api, admin)
    storefront = await make_key(api.db, Role.STOREFRONT, channel="web")
    options = (await api.data(storefront, OPTIONS, cart([("SKU-1", 2)])))["deliveryOptions"]
    pickups = [(o["pickupLocation"]["code"], o["byTransfer"]) for o in options if o["method"] == "PICKUP"]
    assert pickups == [("ST-BER", True), ("ST-MUC", False)]  # Berlin is nearest: its missing unit is brought
    berlin = next(o for o in options if o["byTransfer"])
    shelf = next(o for o in options if o["method"] == "PICKUP" and not o["byTransfer"])
    assert shelf["estimatedDeliveryDate"] == rules.pickup_ready(utcnow()).isoformat()
    later = rules.pickup_ready(utcnow() + timedelta(days=1))  # Hamburg to Berlin, ~255 km: a day on the road
    assert berlin["estimatedDeliveryDate"] == later.isoformat() >= shelf["estimatedDeliveryDate"]

    # the promise before purchase is the routing after it: ready on the day the transfer lands
    placed = await api.data(
        storefront, PLACE_ORDER, {"input": order_input("k1", [("SKU-1", 2, "10")], pickup="ST-BER")}
    )
    order = placed["placeOrder"]["order"]
    assert await routed(api, order["id"]) == "ROUTED"
    ready_by = (await api.data(admin, ROUTING, {"id": order["id"]}))["order"]["routing"]["readyBy"]
    assert rules.pickup_ready(datetime.fromisoformat(ready_by)).isoformat() == berlin["estimatedDeliveryDate"]

    # nothing by transfer that the network cannot promise
    options = (await api.data(storefront, OPTIONS, cart([("SKU-1", 5)])))["deliveryOptions"]
    assert options == []  # 10 on hand, 2 taken by the order: 8 left, none of the stores holds 5


async def test_bad_carts_and_other_channels_are_refused(api, admin):
    storefront = await make_key(api.db, Role.STOREFRONT, channel="web")
    cases = [
        (cart([("SKU-1", 0)]), "INVALID_INPUT", ["input", "lines", "0", "quantity"]),
        (cart([]), "INVALID_INPUT", ["input", "lines"]),
        (cart([("SKU-1", 1)] * 501), "INVALID_INPUT", ["input", "lines"]),
        (cart([("NOPE", 1)]), "UNKNOWN_SKU", ["input", "lines", "0", "sku"]),
        (
            cart([("SKU-1", 1)], {**BERLIN_ADDRESS, "country": "Germany"}),
            "INVALID_INPUT",
            ["input", "address", "country"],
        ),
        (cart([("SKU-1", 1)], channel="nope"), "UNKNOWN_CHANNEL", ["input", "channel"]),
        (cart([("SKU-1", 1)], channel="pos"), "PERMISSION_DENIED", ["input", "channel"]),
    ]
    for variables, code, field in cases:
        body = await api.run(storefront, OPTIONS, variables)
        assert body["errors"][0]["extensions"]["code"] == code, body
        assert body["errors"][0]["extensions"]["field"] == field, body


def test_pickup_is_ready_today_before_the_cutoff_and_the_next_day_after():
    morning = utcnow().replace(hour=9)
    evening = morning.replace(hour=DEFAULT_CUTOFF_HOUR + 1)
    assert rules.pickup_ready(morning) == morning.date()
    assert rules.pickup_ready(evening) == morning.date() + timedelta(days=1)  # a store open every day
