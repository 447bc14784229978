"""A fault inside a resolver is logged, and answered as an internal error without its internals."""

from __future__ import annotations

import uuid

from starlette.requests import Request

from oms_graph.api.context import Context
from oms_graph.api.schema import schema
from oms_graph.config import Settings
from oms_graph.domain.access import Principal, Role


class BrokenDatabase:
    def read(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("connection to server at 10.0.0.5 failed: SELECT secret FROM internals")


async def test_a_fault_is_logged_and_masked_and_a_denial_is_not(caplog):
    admin = Principal(key_id=uuid.uuid4(), name="t", role=Role.ADMIN)
    context = Context(request=Request({"type": "http"}), db=BrokenDatabase(), settings=Settings(), principal=admin)  # type: ignore[arg-type]
    result = await schema.execute("{ locations { code } }", context_value=context)
    assert [e.message for e in result.errors] == ["internal error"]
    assert "10.0.0.5" in caplog.text
    analyst = Principal(key_id=uuid.uuid4(), name="t", role=Role.ANALYST)
    context.principal = analyst
    denied = await schema.execute(
        'mutation { adjustStock(input: {sku: "a", locationCode: "b", delta: 1, reason: "r"}) { errors { code } } }',
        context_value=context,
    )
    assert (
        denied.errors[0].extensions["code"] == "PERMISSION_DENIED" and "permission denied" in denied.errors[0].message
    )
