"""A Nominatim search service on loopback, as its documentation describes it: GET /search?q=...&format=json
answers a JSON array of places (`lat`/`lon` as strings, `display_name`, `class`/`type`, `place_rank` in
newer versions), an empty array when nothing matches. It can be told to fail (HTTP 503) and records what it
was asked, with the User-Agent the usage policy requires."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fakes.http import Loopback

# From the documentation's example of the JSON format (https://nominatim.org/release-docs/latest/api/Output/),
# moved to a Berlin house: what a search for a full address answers.
HOUSE = {
    "place_id": 100149,
    "licence": "Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright",
    "osm_type": "node",
    "osm_id": "107775",
    "boundingbox": ["52.5161", "52.5171", "13.3884", "13.3894"],
    "lat": "52.5166",
    "lon": "13.3889",
    "display_name": "1, Unter den Linden, Mitte, Berlin, 10117, Deutschland",
    "class": "place",
    "type": "house",
    "place_rank": 30,
    "importance": 0.2,
}


class FakeNominatim(Loopback):
    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []
        self.places: list[dict[str, Any]] = [HOUSE]
        self.failing = False

    def start(self) -> FakeNominatim:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.asked.append({"path": url.path, "query": query, "agent": self.headers.get("User-Agent")})
                if fake.failing:
                    self.send_response(503)
                    self.end_headers()
                    return
                body = json.dumps(fake.places if url.path == "/search" else []).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.serve(Handler)
        return self
