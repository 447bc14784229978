"""UserError in the schema, and how service errors reach the caller.

Mutations answer `errors` in their payload; queries answer a GraphQL error whose
extensions carry the same code and field.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.api.context import Info
from oms_graph.domain import errors as domain
from oms_graph.domain.errors import DomainError
from oms_graph.services import audit

T = TypeVar("T")

ErrorCode = domain.ErrorCode
strawberry.enum(ErrorCode)


@strawberry.type(description="A problem with the request that the caller can fix. Nothing was written.")
class UserError:
    code: ErrorCode
    field: list[str] | None = strawberry.field(
        description='Path to the offending input, e.g. ["input", "lines", "2", "quantity"].'
    )
    message: str


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError(code=e.code, field=list(e.field) if e.field else None, message=e.message) for e in error.errors]


def graphql_error(error: DomainError) -> GraphQLError:
    first = error.errors[0]
    return GraphQLError(
        first.message,
        extensions={
            "code": first.code.value,
            "field": list(first.field) if first.field else None,
            "errors": [
                {"code": e.code.value, "field": e.field and list(e.field), "message": e.message} for e in error.errors
            ],
        },
    )


def denied(message: str) -> DomainError:
    return DomainError.one(domain.ErrorCode.PERMISSION_DENIED, None, message)


async def command(info: Info, run: Callable[[AsyncSession], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Run a use case in one write transaction: (result, []) on commit, (None, errors) after a rollback."""
    try:
        async with info.context.db.write() as session:
            if info.context.principal is not None:
                audit.acting(session, info.context.principal.name)
            done = await run(session)
    except DomainError as error:
        return None, user_errors(error)
    if info.context.after_commit is not None:
        info.context.after_commit()
    return done, []


@asynccontextmanager
async def reading(info: Info, *, replica: bool = False) -> AsyncIterator[AsyncSession]:
    """A read-only transaction whose service errors become GraphQL errors; with `replica`, on the read
    replica when one is configured (heavy reads that may lag a moment)."""
    db = info.context.read_db if replica and info.context.read_db is not None else info.context.db
    try:
        async with db.read() as session:
            yield session
    except DomainError as error:
        raise graphql_error(error) from None


def check(condition: bool, error: Callable[[], DomainError]) -> None:
    """Raise as a GraphQL error when condition is false (query-side authorisation and argument checks)."""
    if not condition:
        raise graphql_error(error())
