"""Where a delivery goes when its address came without coordinates: the HTTP geocoder when one is set
(OMS_GEOCODER, asked once per address per process, within OMS_GEOCODER_TIMEOUT), else (or when it fails or
finds nothing) the city list that ships with the package; not found, routing ranks by region (the address's,
else the channel's default region)."""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from oms_graph.adapters.geocoding import GeocoderError, HttpGeocoder, find_city, warm
from oms_graph.config import Settings
from oms_graph.domain.geocoding import Geocode, Precision, query_of
from oms_graph.domain.placement import AddressFields

log = logging.getLogger(__name__)
NOT_FOUND = Geocode(None, None, Precision.NONE, "none")
REMEMBERED = 10_000  # addresses an HTTP geocoder's answers are kept for, per process

_geocoders: dict[str, HttpGeocoder] = {}
_answers: OrderedDict[str, Geocode | None] = OrderedDict()


def given(address: AddressFields) -> Geocode | None:
    if address.latitude is None or address.longitude is None:
        return None
    return Geocode(address.latitude, address.longitude, Precision.GIVEN, "given")


def offline(address: AddressFields) -> Geocode:
    """The address's coordinates as sent, else its city's centre from the packaged list, else NOT_FOUND."""
    return given(address) or find_city(address.country, address.city) or NOT_FOUND


def kept(
    address: AddressFields | None, *, default_region: str | None, geocode: Geocode | None
) -> dict[str, Any] | None:
    """Where a delivery address without coordinates is, as kept on its order (None for one with them, or
    none): `geocode` when it was located before the transaction, else the city list's answer; not found and
    without a region, routing ranks by the channel's default region."""
    if address is None:
        return None
    located = geocode or offline(address)
    if located.precision is Precision.GIVEN:
        return None
    if located.precision is Precision.NONE and not address.region:
        located = replace(located, region=default_region)
    return located.stored()


async def locate(address: AddressFields | None, settings: Settings) -> Geocode | None:
    """Where the address is (None without one): as sent, else by the HTTP geocoder when one is set, else
    offline; NOT_FOUND when nothing knows it."""
    if address is None:
        return None
    if (sent := given(address)) is not None:
        return sent
    http = _geocoder(settings)
    if http is not None:
        query = query_of(address.line1, address.postal_code, address.city, address.country)
        try:
            found = await _asked(http, query, address.country)
        except GeocoderError:
            log.warning("geocoder %s failed for %r; the city list answers", http.name, query, exc_info=True)
        else:
            if found is not None:
                return found
    await warm()  # off the event loop the first time
    return offline(address)


def _geocoder(settings: Settings) -> HttpGeocoder | None:
    if not settings.geocoder:
        return None
    key = json.dumps([settings.geocoder, settings.geocoder_options, settings.geocoder_timeout], sort_keys=True)
    if key not in _geocoders:
        _geocoders[key] = HttpGeocoder(
            settings.geocoder, dict(settings.geocoder_options), timeout=settings.geocoder_timeout
        )
    return _geocoders[key]


async def _asked(http: HttpGeocoder, query: str, country: str) -> Geocode | None:
    key = f"{id(http)}|{query}"  # per geocoder as configured (one object each, kept for the process)
    if key in _answers:
        _answers.move_to_end(key)
        return _answers[key]
    found = await http.locate(query, country)
    _answers[key] = found
    if len(_answers) > REMEMBERED:
        _answers.popitem(last=False)
    return found
