"""Where a delivery address is, when it came without coordinates: how precisely it was found, and by what.
Pure rules; the lookups are adapters (adapters.geocoding)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Precision(StrEnum):
    """How closely a geocode places an address, finest first."""

    GIVEN = "GIVEN"  # the coordinates came with the address
    ADDRESS = "ADDRESS"  # the house
    STREET = "STREET"
    CITY = "CITY"  # the city's centre: good enough to rank locations
    NONE = "NONE"  # not found: routing ranks by region


@dataclass(frozen=True)
class Geocode:
    latitude: float | None
    longitude: float | None
    precision: Precision
    source: str  # "given", "offline" (the packaged city list), or the HTTP geocoder's name
    matched: str | None = None  # what it was found as (a city's name, a geocoder's display name)
    region: str | None = None  # not found and no region on the address: the channel's default region

    def stored(self) -> dict[str, Any]:
        """As kept on the order."""
        return {
            "latitude": self.latitude,
            "longitude": self.longitude,
            "precision": self.precision.value,
            "source": self.source,
            "matched": self.matched,
            "region": self.region,
        }

    @classmethod
    def of(cls, stored: dict[str, Any]) -> Geocode:
        return cls(
            latitude=stored.get("latitude"),
            longitude=stored.get("longitude"),
            precision=Precision(stored["precision"]),
            source=stored["source"],
            matched=stored.get("matched"),
            region=stored.get("region"),
        )


def fold(text: str) -> str:
    """A name as looked up: case and accents gone, ß as ss, spaces single ("München" -> "munchen")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def query_of(line1: str, postal_code: str | None, city: str, country: str) -> str:
    """The one-line query an HTTP geocoder is asked."""
    return ", ".join(part for part in (line1.strip(), f"{postal_code or ''} {city}".strip(), country.upper()) if part)


def nominatim_precision(raw: dict[str, Any]) -> Precision:
    """A Nominatim place's precision: by its `place_rank` where it gives one (30 a house, 26-29 a street),
    else by its main tag (`class`, `type`: a building or house, a road, else a place such as a city)."""
    rank = raw.get("place_rank")
    if rank is not None:
        rank = int(rank)
        return Precision.ADDRESS if rank >= 30 else Precision.STREET if rank >= 26 else Precision.CITY
    kind, value = raw.get("class") or raw.get("category"), raw.get("type")
    if kind == "building" or value in ("house", "building"):
        return Precision.ADDRESS
    return Precision.STREET if kind == "highway" else Precision.CITY
