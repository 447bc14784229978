"""Addresses that route: a delivery without coordinates is placed by its city (the list that ships with the
package) or by an HTTP geocoder (a Nominatim on loopback, through geopy's real adapter), the precision kept
on the order and shown in the routing explanation; placed nowhere, routing ranks by the channel's default
region. Both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from oms_graph.app import create_app
from oms_graph.config import Settings
from tests.conftest import serving
from tests.factories import BERLIN_ADDRESS, PLACE_ORDER, SET_STOCK, UPSERT_CHANNELS, level, order_input
from tests.fakes.geocoder import FakeNominatim
from tests.fulfilment_steps import chain_admin, routed
from tests.graphql_client import Api

WHERE = """query($id: ID) { order(id: $id) { geocode { latitude longitude precision source matched region }
  routing { destination { precision source matched region }
    chosen { allocations { location { code } distanceKm } } } } }"""
OPTIONS = """query($input: DeliveryOptionsInput!) { deliveryOptions(input: $input) {
  method service estimatedDeliveryDate } }"""
NO_COORDINATES = {k: v for k, v in BERLIN_ADDRESS.items() if k not in ("latitude", "longitude")}


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    key = await chain_admin(api)
    await api.data(key, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-1", "ST-BER", 5)]})
    return key


def to(address: dict[str, Any], key: str) -> dict[str, Any]:
    placed = order_input(key)
    placed["delivery"]["address"] = address
    return placed


async def placed_at(api, admin, address, key):  # type: ignore[no-untyped-def]
    placed = (await api.data(admin, PLACE_ORDER, {"input": to(address, key)}))["placeOrder"]
    assert placed["errors"] == []
    return placed["order"]["id"]


async def test_a_berlin_order_without_coordinates_goes_to_a_berlin_location(api, admin):
    order_id = await placed_at(api, admin, NO_COORDINATES, "no-coordinates")
    assert await routed(api, order_id) == "ROUTED"
    order = (await api.data(admin, WHERE, {"id": order_id}))["order"]
    assert {k: order["geocode"][k] for k in ("precision", "source", "matched")} == {
        "precision": "CITY",
        "source": "offline",
        "matched": "Berlin",
    }
    assert abs(order["geocode"]["latitude"] - 52.52) < 0.05 and abs(order["geocode"]["longitude"] - 13.41) < 0.05
    (allocation,) = order["routing"]["chosen"]["allocations"]
    assert allocation["location"]["code"] == "ST-BER" and allocation["distanceKm"] < 10  # not Hamburg, 255 km
    assert order["routing"]["destination"] == {
        "precision": "CITY",
        "source": "offline",
        "matched": "Berlin",
        "region": None,
    }

    # with coordinates: nothing is looked up, the explanation says they were given
    given = await placed_at(api, admin, BERLIN_ADDRESS, "coordinates")
    assert await routed(api, given) == "ROUTED"
    order = (await api.data(admin, WHERE, {"id": given}))["order"]
    assert order["geocode"] is None and order["routing"]["destination"]["precision"] == "GIVEN"

    # deliveryOptions places the address as placement does: the same date as with coordinates
    def cart(address):  # type: ignore[no-untyped-def]
        return {
            "input": {
                "channel": "web",
                "lines": [{"sku": "SKU-1", "quantity": 1, "unitPrice": "1"}],
                "address": address,
            }
        }

    without = (await api.data(admin, OPTIONS, cart(NO_COORDINATES)))["deliveryOptions"]
    with_them = (await api.data(admin, OPTIONS, cart(BERLIN_ADDRESS)))["deliveryOptions"]
    assert without == with_them


async def test_an_address_nothing_can_place_is_ranked_by_the_channels_default_region(api, admin):
    channel = {"code": "web", "name": "Web", "kind": "WEB", "currency": "EUR", "defaultRegion": "DE-BE"}
    assert (await api.data(admin, UPSERT_CHANNELS, {"input": [channel]}))["upsertChannels"]["errors"] == []
    nowhere = {"line1": "Hauptstraße 1", "city": "Nirgendwo am See", "country": "DE"}
    order_id = await placed_at(api, admin, nowhere, "nowhere")
    order = (await api.data(admin, WHERE, {"id": order_id}))["order"]
    assert order["geocode"] == {
        "latitude": None,
        "longitude": None,
        "precision": "NONE",
        "source": "none",
        "matched": None,
        "region": "DE-BE",
    }
    assert await routed(api, order_id) == "ROUTED"
    destination = (await api.data(admin, WHERE, {"id": order_id}))["order"]["routing"]["destination"]
    assert destination == {"precision": "NONE", "source": "none", "matched": None, "region": "DE-BE"}


@pytest.fixture
def nominatim():  # type: ignore[no-untyped-def]
    fake = FakeNominatim().start()
    yield fake
    fake.stop()


async def test_an_http_geocoder_places_the_house_and_the_city_list_answers_when_it_fails(api, admin, nominatim):
    host = nominatim.base_url.removeprefix("http://")
    settings = Settings(
        database_url=str(api.db.engine.url),
        background=False,
        geocoder="nominatim",
        geocoder_options={"domain": host, "scheme": "http", "user_agent": "oms-graph-test"},
    )
    async with serving(create_app(settings, db=api.db)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            own = Api(client, api.db)
            order_id = await placed_at(own, admin, NO_COORDINATES, "house")
            geocode = (await own.data(admin, WHERE, {"id": order_id}))["order"]["geocode"]
            assert geocode == {
                "latitude": 52.5166,
                "longitude": 13.3889,
                "precision": "ADDRESS",
                "source": "nominatim",
                "matched": "1, Unter den Linden, Mitte, Berlin, 10117, Deutschland",
                "region": None,
            }
            (asked,) = nominatim.asked
            assert asked["path"] == "/search" and asked["agent"] == "oms-graph-test"
            assert asked["query"]["q"] == "Unter den Linden 1, 10117 Berlin, DE"
            assert (asked["query"]["format"], asked["query"]["countrycodes"]) == ("json", "de")

            await placed_at(own, admin, NO_COORDINATES, "house-again")
            assert len(nominatim.asked) == 1  # the answer is remembered

            nominatim.failing = True  # down: the packaged city list answers, the order is placed all the same
            elsewhere = {**NO_COORDINATES, "line1": "Karl-Marx-Allee 90"}
            order_id = await placed_at(own, admin, elsewhere, "down")
            geocode = (await own.data(admin, WHERE, {"id": order_id}))["order"]["geocode"]
            assert (geocode["precision"], geocode["source"], len(nominatim.asked)) == ("CITY", "offline", 2)

            nominatim.failing, nominatim.places = False, []  # up, and knows nothing of it
            order_id = await placed_at(own, admin, {**elsewhere, "line1": "Frankfurter Tor 1"}, "unknown")
            geocode = (await own.data(admin, WHERE, {"id": order_id}))["order"]["geocode"]
            assert (geocode["precision"], geocode["source"], len(nominatim.asked)) == ("CITY", "offline", 3)
