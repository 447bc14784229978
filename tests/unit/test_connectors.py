"""What a connector's adapter needs, and its health from its last outcomes: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oms_graph.domain.connectors import ConnectorHealth, ConnectorKind, check_connector, health
from oms_graph.domain.errors import ErrorList

T = datetime(2026, 12, 6, 12, tzinfo=UTC)


def problems(**given: object) -> list[tuple[str, ...]]:
    errors = ErrorList()
    arguments = {
        "kind": ConnectorKind.CARRIER,
        "adapter": "http",
        "settings": {"baseUrl": "http://x"},
        "secrets": {},
        "kept_secrets": frozenset(),
    } | given
    check_connector(errors, **arguments)  # type: ignore[arg-type]
    return [tuple(str(part) for part in e.field or []) for e in errors.errors]


def test_an_adapter_takes_its_own_settings_and_secrets_only():
    assert problems() == []
    assert problems(secrets={"apiKey": "k"}, settings={"baseUrl": "u", "timeoutSeconds": 3}) == []
    assert problems(settings={}) == [("input", "settings", "baseUrl")]
    assert problems(settings={"baseUrl": "u", "x": 1}) == [("input", "settings", "x")]
    assert problems(secrets={"token": "t"}) == [("input", "secrets", "token")]
    assert problems(adapter="nope") == [("input", "adapter")]
    assert problems(kind=ConnectorKind.PAYMENT) == [("input", "adapter")]  # http is a carrier adapter


def test_health_follows_the_last_outcome():
    assert health(last_ok_at=None, last_error_at=None) is ConnectorHealth.UNKNOWN
    assert health(last_ok_at=T, last_error_at=None) is ConnectorHealth.OK
    assert health(last_ok_at=None, last_error_at=T) is ConnectorHealth.FAILING
    assert health(last_ok_at=T, last_error_at=T - timedelta(seconds=1)) is ConnectorHealth.OK
    assert health(last_ok_at=T - timedelta(seconds=1), last_error_at=T) is ConnectorHealth.FAILING
