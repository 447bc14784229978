"""API keys (ADMIN): list, create, revoke and rotate them; a secret is shown once, when it is made."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.api.context import Info
from oms_graph.api.errors import UserError, command, reading, user_errors
from oms_graph.api.node import decode_id, encode_id
from oms_graph.api.permissions import EVERY_ROLE, roles
from oms_graph.domain.access import KeyStatus, Role
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.services import auth

KeyStatusType = strawberry.enum(KeyStatus, name="ApiKeyStatus")


@strawberry.type(description="An API key; its secret is never shown after it was made, only its first characters.")
class ApiKey:
    id: strawberry.ID
    name: str
    role: str = strawberry.field(description="ADMIN, INTEGRATION, STOREFRONT, STORE or ANALYST.")
    channel: str | None = strawberry.field(description="A STOREFRONT key's channel code.")
    location: str | None = strawberry.field(description="A STORE key's location code.")
    prefix: str = strawberry.field(description="The secret's first characters, to tell keys apart.")
    status: KeyStatusType  # type: ignore[valid-type]
    created_at: datetime
    created_by: str | None = strawberry.field(description="The name of the key that made it, or 'cli'.")
    last_used_at: datetime | None = strawberry.field(description="Written at most once a minute.")
    expires_at: datetime | None = strawberry.field(description="It stops working then (a rotated key's grace).")
    revoked_at: datetime | None
    note: str | None
    replaced_by: strawberry.ID | None = strawberry.field(description="The key it was rotated to.")

    @classmethod
    def from_view(cls, view: auth.KeyView) -> ApiKey:
        key = view.key
        return cls(
            id=encode_id("ApiKey", key.id),
            name=key.name,
            role=Role(key.role).value,
            channel=view.channel_code,
            location=view.location_code,
            prefix=key.prefix,
            status=view.status,
            created_at=key.created_at,
            created_by=key.created_by,
            last_used_at=key.last_used_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            note=key.note,
            replaced_by=encode_id("ApiKey", key.replaced_by_id) if key.replaced_by_id else None,
        )


@strawberry.input
class ApiKeyInput:
    name: str
    role: str = strawberry.field(description="ADMIN, INTEGRATION, STOREFRONT, STORE or ANALYST.")
    channel: str | None = strawberry.field(default=None, description="Required for a STOREFRONT key.")
    location: str | None = strawberry.field(default=None, description="Required for a STORE key.")
    expires_at: datetime | None = strawberry.field(default=None, description="Unset: it works until revoked.")
    note: str | None = None


@strawberry.type
class ApiKeyPayload:
    key: ApiKey | None
    secret: str | None = strawberry.field(description="The new key's secret, shown this once (create and rotate).")
    replaced: ApiKey | None = strawberry.field(description="rotateApiKey: the old key, working until its expiry.")
    errors: list[UserError]


def _failed(error: DomainError) -> ApiKeyPayload:
    return ApiKeyPayload(key=None, secret=None, replaced=None, errors=user_errors(error))


def _key_id(id: strawberry.ID) -> Any:
    decoded = decode_id(id)
    if decoded is None or decoded[0] != "ApiKey":
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such API key")
    return decoded[1]


async def _viewed(session: AsyncSession, *keys: Any) -> list[ApiKey]:
    views = {v.key.id: v for v in await auth.list_api_keys(session, ids=[k.id for k in keys])}
    return [ApiKey.from_view(views[k.id]) for k in keys]


@strawberry.type(description="The key a request is made with: what a client shows follows its role and scope.")
class Viewer:
    name: str
    role: str = strawberry.field(description="ADMIN, INTEGRATION, STOREFRONT, STORE or ANALYST.")
    channel: str | None = strawberry.field(description="A STOREFRONT key's channel code.")
    location: str | None = strawberry.field(description="A STORE key's location code.")
    expires_at: datetime | None


@strawberry.type
class KeyQuery:
    @strawberry.field(extensions=roles(*EVERY_ROLE), description="The key this request is made with.")
    def viewer(self, info: Info) -> Viewer:
        caller = info.context.caller
        return Viewer(
            name=caller.name,
            role=caller.role.value,
            channel=caller.channel_code,
            location=caller.location_code,
            expires_at=caller.expires_at,
        )

    @strawberry.field(extensions=roles(), description="Every API key, oldest first.")
    async def api_keys(self, info: Info, include_ended: bool = True) -> list[ApiKey]:
        async with reading(info) as session:
            return [ApiKey.from_view(v) for v in await auth.list_api_keys(session, include_ended=include_ended)]


@strawberry.type
class KeyMutation:
    @strawberry.mutation(extensions=roles(), description="A new key; its secret is in the answer, and only there.")
    async def create_api_key(self, info: Info, input: ApiKeyInput) -> ApiKeyPayload:
        try:
            role = Role(input.role)
        except ValueError:
            return _failed(DomainError.one(ErrorCode.INVALID_INPUT, ["input", "role"], f"no role {input.role!r}"))

        async def create(session: AsyncSession) -> ApiKeyPayload:
            key, secret = await auth.create_api_key(
                session,
                role=role,
                name=input.name,
                channel_code=input.channel,
                location_code=input.location,
                expires_at=input.expires_at,
                note=input.note,
                created_by=info.context.caller.name,
            )
            (shown,) = await _viewed(session, key)
            return ApiKeyPayload(key=shown, secret=secret, replaced=None, errors=[])

        return await _run(info, create)

    @strawberry.mutation(
        extensions=roles(),
        description="The key stops working in every API process within a second; its subscriptions end.",
    )
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> ApiKeyPayload:
        async def revoke(session: AsyncSession) -> ApiKeyPayload:
            key = await auth.revoke_api_key(session, key_id=_key_id(id))
            (shown,) = await _viewed(session, key)
            return ApiKeyPayload(key=shown, secret=None, replaced=None, errors=[])

        return await _run(info, revoke)

    @strawberry.mutation(
        extensions=roles(),
        description="A new key in the old one's place (name, role, scope, note); the old one works for "
        "graceSeconds more (default a day), then expires.",
    )
    async def rotate_api_key(
        self, info: Info, id: strawberry.ID, grace_seconds: int = int(auth.DEFAULT_GRACE.total_seconds())
    ) -> ApiKeyPayload:
        async def rotate(session: AsyncSession) -> ApiKeyPayload:
            old, new, secret = await auth.rotate_api_key(
                session, key_id=_key_id(id), grace_seconds=grace_seconds, created_by=info.context.caller.name
            )
            shown_new, shown_old = await _viewed(session, new, old)
            return ApiKeyPayload(key=shown_new, secret=secret, replaced=shown_old, errors=[])

        return await _run(info, rotate)


async def _run(info: Info, step: Callable[[AsyncSession], Awaitable[ApiKeyPayload]]) -> ApiKeyPayload:
    done, errors = await command(info, step)
    return done if done is not None else ApiKeyPayload(key=None, secret=None, replaced=None, errors=errors)
