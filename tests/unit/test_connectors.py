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
    assert problems(secrets={"apiKey": "k"}, settings={"baseUrl": "http://u", "timeoutSeconds": 3}) == []
    assert problems(settings={}) == [("input", "settings", "baseUrl")]
    assert problems(settings={"baseUrl": "http://u", "x": 1}) == [("input", "settings", "x")]
    assert problems(secrets={"token": "t"}) == [("input", "secrets", "token")]
    assert problems(adapter="nope") == [("input", "adapter")]
    assert problems(kind=ConnectorKind.PAYMENT) == [("input", "adapter")]  # http is a carrier adapter


def test_setting_values_are_checked_by_their_name():
    cdek = {"adapter": "cdek", "secrets": {"clientId": "i", "clientSecret": "s"}}
    right = {"baseUrl": "https://api.edu.cdek.ru/v2", "tariffCode": 136, "shipmentPoint": "MSK5"}
    assert problems(**cdek, settings=right) == []
    assert problems(**cdek, settings=right | {"tariffCode": "136"}) == [("input", "settings", "tariffCode")]
    assert problems(**cdek, settings=right | {"polls": 0}) == [("input", "settings", "polls")]
    assert problems(**cdek, settings=right | {"baseUrl": "ftp://x"}) == [("input", "settings", "baseUrl")]
    assert problems(**cdek, settings=right | {"shipmentPoint": " "}) == [("input", "settings", "shipmentPoint")]
    dhl = {"adapter": "dhl_parcel_de", "secrets": {"apiKey": "k", "user": "u", "password": "p"}}
    shipper = {"name1": "A", "addressStreet": "B 1", "postalCode": "1", "city": "C", "country": "DE"}
    settings = {"baseUrl": "https://x", "product": "V01PAK", "billingNumber": "3", "shipper": shipper}
    assert problems(**dhl, settings=settings) == []
    no_city = settings | {"shipper": {k: v for k, v in shipper.items() if k != "city"}}
    assert problems(**dhl, settings=no_city) == [("input", "settings", "shipper")]


def test_health_follows_the_last_outcome():
    assert health(last_ok_at=None, last_error_at=None) is ConnectorHealth.UNKNOWN
    assert health(last_ok_at=T, last_error_at=None) is ConnectorHealth.OK
    assert health(last_ok_at=None, last_error_at=T) is ConnectorHealth.FAILING
    assert health(last_ok_at=T, last_error_at=T - timedelta(seconds=1)) is ConnectorHealth.OK
    assert health(last_ok_at=T - timedelta(seconds=1), last_error_at=T) is ConnectorHealth.FAILING


def test_kept_carrier_prices_stay_bounded():
    from decimal import Decimal

    from oms_graph.adapters.carriers import Rate
    from oms_graph.services import carrier_rates

    carrier_rates._cache.clear()
    try:
        for i in range(carrier_rates.MAX_KEPT + 5):
            carrier_rates._keep(("cdek", i), Rate(Decimal(1), "RUB", 2))
        assert len(carrier_rates._cache) <= carrier_rates.MAX_KEPT
        assert ("cdek", carrier_rates.MAX_KEPT + 4) in carrier_rates._cache  # the newest is kept
        assert ("cdek", 0) not in carrier_rates._cache  # the oldest went
    finally:
        carrier_rates._cache.clear()
