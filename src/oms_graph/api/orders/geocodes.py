"""Where a delivery goes in the schema: an order's geocode, and the destination a routing decision measured
from."""

from __future__ import annotations

from typing import Any

import strawberry

from oms_graph.domain import geocoding as rules
from oms_graph.domain.geocoding import Precision

strawberry.enum(Precision, name="GeocodePrecision")


@strawberry.type(description="Where a delivery goes, and how precisely that is known.")
class Geocode:
    latitude: float | None
    longitude: float | None
    precision: Precision
    source: str = strawberry.field(
        description="given (with the address), offline (the packaged city list), or the HTTP geocoder's name."
    )
    matched: str | None = strawberry.field(description="What it was found as: a city, a geocoder's address.")
    region: str | None = strawberry.field(description="Not placed: the region routing ranks locations by.")

    @classmethod
    def of(cls, stored: dict[str, Any]) -> Geocode:
        found = rules.Geocode.of(stored)
        return cls(
            latitude=found.latitude,
            longitude=found.longitude,
            precision=found.precision,
            source=found.source,
            matched=found.matched,
            region=found.region,
        )
