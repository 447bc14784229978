"""A small GraphQL-over-HTTP client for tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from oms_graph.db.engine import Database


@dataclass
class Api:
    client: httpx.AsyncClient
    db: Database

    async def post(self, key: str | None, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"authorization": f"Bearer {key}"} if key else {}
        return await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    async def run(self, key: str | None, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON body of a 200 answer (data and errors)."""
        response = await self.post(key, query, variables)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, key: str | None, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The data of an answer that must have no GraphQL errors."""
        body = await self.run(key, query, variables)
        assert not body.get("errors"), body["errors"]
        return body["data"]
