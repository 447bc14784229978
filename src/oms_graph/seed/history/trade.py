"""The shape of the chain's trade over a year: channel mix, where customers live, the season, the week,
the day's hours, prices, and how often things go back. Pure."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

# channel code, share of orders
CHANNEL_MIX = [("web", 44), ("app", 24), ("marketplace", 12), ("social", 5), ("pos", 10), ("callcenter", 5)]
# region, city, latitude, longitude, share of delivery orders
CUSTOMERS = [
    ("DE-BE", "Berlin", 52.52, 13.40, 16),
    ("DE-HH", "Hamburg", 53.55, 9.99, 9),
    ("DE-BY", "München", 48.14, 11.58, 17),
    ("DE-NW", "Köln", 50.94, 6.96, 21),
    ("DE-HE", "Frankfurt am Main", 50.11, 8.68, 8),
    ("DE-BW", "Stuttgart", 48.78, 9.18, 13),
    ("DE-NI", "Hannover", 52.37, 9.74, 9),
    ("DE-SN", "Leipzig", 51.34, 12.37, 7),
]
MONTH_WEIGHT = [0.85, 0.75, 0.85, 0.9, 0.95, 0.9, 0.85, 0.85, 0.95, 1.05, 1.45, 1.8]
WEEKDAY_WEIGHT = [0.95, 0.9, 0.9, 0.95, 1.05, 1.15, 1.1]
HOUR_WEIGHT = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 4, 5, 6, 7, 6, 5, 5, 5, 6, 7, 9, 10, 9, 6, 3]
PRICES = [9, 15, 20, 30, 45, 60, 90]
RETURN_CHANCE = {"Apparel": 0.25, "Footwear": 0.2}
RETURN_REASONS = ["too small", "too large", "not as described", "arrived damaged", "changed my mind"]
CANCEL_REASONS = ["customer changed their mind", "found it cheaper", "ordered by mistake", "delivery too slow"]


def order_days(total: int, *, days: int, end: datetime) -> list[int]:
    """How many of `total` orders each of the `days` days up to `end` gets: season, weekday, growth."""
    start = end - timedelta(days=days)
    weights = []
    for n in range(days):
        day = start + timedelta(days=n)
        weights.append(MONTH_WEIGHT[day.month - 1] * WEEKDAY_WEIGHT[day.weekday()] * (0.8 + 0.4 * n / days))
    scale, carried = total / sum(weights), 0.0
    counts: list[int] = []
    for weight in weights:  # rounding carried forward, so the counts add up to `total`
        carried += weight * scale
        counts.append(math.floor(carried + 1e-9) - sum(counts))
    counts[-1] += total - sum(counts)
    return counts
