"""Who may call a field, declared in one line on the field:

    @strawberry.mutation(extensions=roles(Role.INTEGRATION))

ADMIN may call everything. Scope (a STOREFRONT key's channel, a STORE key's location)
depends on the arguments, so resolvers check it with `Principal.may_use_*`.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from oms_graph.domain.access import Role


class HasRole(BasePermission):
    error_extensions = {"code": "PERMISSION_DENIED"}

    def __init__(self, allowed: tuple[Role, ...]) -> None:
        self.allowed = allowed
        names = ", ".join(r.value for r in (Role.ADMIN, *allowed))
        self.message = f"permission denied: this needs a key with role {names}"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and principal.has_role(*self.allowed)


def roles(*allowed: Role) -> list[FieldExtension]:
    """Field extensions that let ADMIN and the given roles through, and refuse everyone else."""
    return [PermissionExtension(permissions=[HasRole(allowed)], use_directives=False)]


EVERY_ROLE = tuple(Role)
