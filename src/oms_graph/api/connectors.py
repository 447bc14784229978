"""Connectors (ADMIN): carriers', marketplaces' and gateways' APIs set up as data; their secrets are taken,
sealed, and never answered (only their names); health and the calls made are there to look at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON

from oms_graph.adapters.carriers import CarrierError, Subscribing, connected_carrier
from oms_graph.api.context import Info
from oms_graph.api.errors import UserError, command, reading
from oms_graph.api.node import encode_id
from oms_graph.api.pagination import check_page_size
from oms_graph.api.permissions import roles
from oms_graph.db import models
from oms_graph.domain.connectors import ConnectorHealth, ConnectorKind, health
from oms_graph.domain.errors import ErrorCode
from oms_graph.services import connectors

ConnectorKindType = strawberry.enum(ConnectorKind)
ConnectorHealthType = strawberry.enum(ConnectorHealth)


@strawberry.type(description="A call made through a connector: no body is kept.")
class ConnectorCall:
    operation: str
    ok: bool
    duration_ms: int
    error: str | None
    at: datetime


@strawberry.type(description="A carrier's, marketplace's or payment gateway's API, set up as data.")
class Connector:
    row: strawberry.Private[models.Connector]
    id: strawberry.ID
    name: str
    kind: ConnectorKindType  # type: ignore[valid-type]
    adapter: str
    settings: JSON
    secret_names: list[str] = strawberry.field(description="The secrets it holds, by name; never their values.")
    enabled: bool
    health: ConnectorHealthType  # type: ignore[valid-type]
    last_ok_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None

    @classmethod
    def from_model(cls, m: models.Connector) -> Connector:
        return cls(
            row=m,
            id=encode_id("Connector", m.id),
            name=m.name,
            kind=ConnectorKind(m.kind),
            adapter=m.adapter,
            settings=cast(JSON, dict(m.settings)),
            secret_names=connectors.secret_names(m),
            enabled=m.enabled,
            health=health(last_ok_at=m.last_ok_at, last_error_at=m.last_error_at),
            last_ok_at=m.last_ok_at,
            last_error=m.last_error,
            last_error_at=m.last_error_at,
        )

    @strawberry.field(description="Its calls, newest first.")
    async def calls(self, info: Info, first: int = 20) -> list[ConnectorCall]:
        check_page_size(first)
        async with reading(info) as session:
            found = await connectors.recent_calls(session, connector_id=self.row.id, first=first)
        return [
            ConnectorCall(
                operation=c.operation,
                ok=c.ok,
                duration_ms=c.duration_ms,
                error=c.error,
                at=c.at,
            )
            for c in found
        ]


@strawberry.input
class ConnectorInput:
    name: str = strawberry.field(description="What shipments' carrier (or a channel) names it by.")
    kind: ConnectorKindType  # type: ignore[valid-type]
    adapter: str = strawberry.field(description="Which adapter speaks its API (`http`: oms-graph's own protocol).")
    settings: JSON = strawberry.field(description="The adapter's settings, e.g. {baseUrl}.")
    secrets: JSON | None = strawberry.field(
        default=None, description="Name to value; sealed at rest and never answered. A name left out is kept."
    )
    enabled: bool = True


@strawberry.type
class ConnectorPayload:
    connector: Connector | None
    errors: list[UserError]


@strawberry.type
class ConnectorQuery:
    @strawberry.field(extensions=roles(), description="Every connector, by name, with its health.")
    async def connectors(self, info: Info, kind: ConnectorKindType | None = None) -> list[Connector]:  # type: ignore[valid-type]
        async with reading(info) as session:
            return [Connector.from_model(c) for c in await connectors.list_connectors(session, kind=kind)]


@strawberry.type
class ConnectorMutation:
    @strawberry.mutation(extensions=roles(), description="Create or update a connector by name.")
    async def save_connector(self, info: Info, input: ConnectorInput) -> ConnectorPayload:
        for field, value in (("settings", input.settings), ("secrets", input.secrets)):
            if value is not None and not isinstance(value, dict):
                message = f"{field} is an object of names to values"
                return ConnectorPayload(connector=None, errors=[_invalid(["input", field], message)])
        settings, secrets = cast(dict[str, Any], input.settings or {}), cast(dict[str, str] | None, input.secrets)
        fields = _Fields(input.name, input.kind, input.adapter, settings, secrets, input.enabled)

        async def save(session: AsyncSession) -> Connector:
            return Connector.from_model(await connectors.save_connector(session, fields=fields))

        done, errors = await command(info, save)
        return ConnectorPayload(connector=done, errors=errors)

    @strawberry.mutation(
        extensions=roles(),
        description="Have a carrier connector's carrier send its status webhooks here: `baseUrl` is where "
        "oms-graph is reached from outside; the URL registered carries the connector's webhookToken.",
    )
    async def subscribe_carrier_webhooks(self, info: Info, name: str, base_url: str) -> SubscribedPayload:
        return await _subscribe(info, name, base_url)


@strawberry.type
class SubscribedPayload:
    subscribed: bool
    errors: list[UserError]


async def _subscribe(info: Info, name: str, base_url: str) -> SubscribedPayload:
    """Register the connector's status webhook URL (base URL, path, its webhookToken) with its carrier."""
    async with reading(info) as session:
        found = await connectors.configured(session, name=name, kind=ConnectorKind.CARRIER)
    if found is None:
        return SubscribedPayload(subscribed=False, errors=[_invalid(["name"], f"no carrier connector {name!r}")])
    carrier = connected_carrier(found.adapter, found.name, found.settings, found.secrets)
    token = found.secrets.get("webhookToken")
    if not isinstance(carrier, Subscribing) or not token:
        message = f"{found.adapter} connectors take no webhook subscription (or {name} has no webhookToken)"
        return SubscribedPayload(subscribed=False, errors=[_invalid(["name"], message)])
    if not base_url.startswith(("http://", "https://")):
        return SubscribedPayload(subscribed=False, errors=[_invalid(["baseUrl"], "an http:// or https:// URL")])
    try:
        async with connectors.called(info.context.db, found, "subscribe"):
            await carrier.subscribe(f"{base_url.rstrip('/')}/webhooks/{found.adapter}/{found.name}/{token}")
    except CarrierError as refused:
        return SubscribedPayload(subscribed=False, errors=[_invalid(["name"], str(refused))])
    return SubscribedPayload(subscribed=True, errors=[])


def _invalid(field: list[str], message: str) -> UserError:
    return UserError(code=ErrorCode.INVALID_INPUT, field=field, message=message)


@dataclass(frozen=True)
class _Fields:
    name: str
    kind: ConnectorKind
    adapter: str
    settings: dict[str, Any]
    secrets: dict[str, str] | None
    enabled: bool
