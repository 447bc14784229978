"""Connectors: a carrier's, a marketplace's or a payment gateway's API, set up as data (ADMIN) rather than in
the environment. What each adapter needs is a rule here; the adapters themselves live in adapters/."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.domain.marketplaces import hand_over_address
from oms_graph.domain.placement import check_address


class ConnectorKind(StrEnum):
    CARRIER = "CARRIER"
    MARKETPLACE = "MARKETPLACE"
    PAYMENT = "PAYMENT"


class ConnectorHealth(StrEnum):
    UNKNOWN = "UNKNOWN"  # never called yet
    OK = "OK"  # its last call answered
    FAILING = "FAILING"  # its last call failed


@dataclass(frozen=True)
class Adapter:
    """An adapter's needs: the settings (plain) and the secrets (sealed at rest, never shown) it must have."""

    kind: ConnectorKind
    settings: frozenset[str]
    secrets: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()  # settings it may have
    optional_secrets: frozenset[str] = frozenset()
    quotes: bool = False  # a carrier that prices deliveries itself (deliveryOptions asks it)
    ships: bool = False  # a marketplace that carries its own postings (their orders name it as carrier)


ADAPTERS: dict[str, Adapter] = {
    # oms-graph's own carrier protocol over REST (adapters/carriers/http.py)
    # (an apiKey secret, when given, goes as `Authorization: Bearer`)
    "http": Adapter(
        ConnectorKind.CARRIER,
        frozenset({"baseUrl"}),
        optional=frozenset({"timeoutSeconds"}),
        optional_secrets=frozenset({"apiKey"}),
    ),
    # CDEK API v2 (adapters/carriers/cdek.py): a tariff (e.g. 136, warehouse to pickup point) from a CDEK
    # office the chain hands parcels to
    "cdek": Adapter(
        ConnectorKind.CARRIER,
        frozenset({"baseUrl", "tariffCode", "shipmentPoint"}),
        frozenset({"clientId", "clientSecret"}),
        optional=frozenset({"timeoutSeconds", "pollSeconds", "polls"}),
        optional_secrets=frozenset({"webhookToken"}),  # the last part of the status webhook's URL
        quotes=True,
    ),
    # DHL Parcel DE Shipping API v2 (adapters/carriers/dhl.py): the contract's product (V01PAK) and billing
    # number, the shipper's address ({name1, addressStreet, postalCode, city, country}); the app's API key
    # and the business customer portal's user and password
    "dhl_parcel_de": Adapter(
        ConnectorKind.CARRIER,
        frozenset({"baseUrl", "product", "billingNumber", "shipper"}),
        frozenset({"apiKey", "user", "password"}),
        optional=frozenset({"profile", "timeoutSeconds", "trackingUrl"}),
    ),
    # Ozon Seller API, FBS (adapters/marketplaces/ozon.py): the channel its postings are placed on, the Ozon
    # warehouse whose stock the channel's figures set, where the chain hands Ozon its parcels
    # ({line1, city, country, postalCode?, carrier?}: the orders' delivery address); the seller's Client-Id and
    # Api-Key. firstDays: how far back the first pull looks; pageSize: postings per page (up to 1000).
    "ozon": Adapter(
        ConnectorKind.MARKETPLACE,
        frozenset({"baseUrl", "channel", "warehouseId", "handOver"}),
        frozenset({"clientId", "apiKey"}),
        optional=frozenset({"firstDays", "pageSize", "timeoutSeconds"}),
        ships=True,
    ),
    # A card gateway speaking oms-graph's own payment protocol over REST (adapters/payments/http.py); an
    # apiKey secret, when given, goes as `Authorization: Bearer`
    "card_gateway": Adapter(
        ConnectorKind.PAYMENT,
        frozenset({"baseUrl"}),
        optional=frozenset({"timeoutSeconds"}),
        optional_secrets=frozenset({"apiKey"}),
    ),
    # Wildberries marketplace API, FBS (adapters/marketplaces/wildberries.py): as Ozon's, with the seller's
    # token; stock goes by the products' EANs.
    "wildberries": Adapter(
        ConnectorKind.MARKETPLACE,
        frozenset({"baseUrl", "channel", "warehouseId", "handOver"}),
        frozenset({"token"}),
        optional=frozenset({"firstDays", "timeoutSeconds"}),
    ),
}


NUMBERS = frozenset({"tariffCode", "timeoutSeconds", "pollSeconds", "polls", "warehouseId", "firstDays", "pageSize"})
SHIPPER = ("name1", "addressStreet", "postalCode", "city", "country")  # what an address setting holds
HAND_OVER = ("line1", "city", "country")  # what a hand-over address must hold


def _setting_problem(name: str, value: object) -> str | None:
    """What is wrong with a setting's value, by the setting's name; None when it is right."""
    if name in NUMBERS:
        right = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        return None if right else "must be a positive number"
    if name in ("baseUrl", "trackingUrl"):
        right = isinstance(value, str) and value.startswith(("http://", "https://"))
        return None if right else "must be an http:// or https:// URL"
    if name in ("shipper", "handOver"):
        needs = SHIPPER if name == "shipper" else HAND_OVER
        if not isinstance(value, dict) or any(not isinstance(value.get(k), str) or not value[k] for k in needs):
            return f"must be an address with {', '.join(needs)}"
        return None
    return None if isinstance(value, str) and value.strip() else "must be a non-empty string"


def health(*, last_ok_at: object | None, last_error_at: object | None) -> ConnectorHealth:
    """FAILING when the last call failed (its error is newer than the last success)."""
    if last_error_at is None:
        return ConnectorHealth.OK if last_ok_at is not None else ConnectorHealth.UNKNOWN
    if last_ok_at is None or last_error_at > last_ok_at:  # type: ignore[operator]
        return ConnectorHealth.FAILING
    return ConnectorHealth.OK


def check_connector(
    errors: ErrorList,
    *,
    kind: ConnectorKind,
    adapter: str,
    settings: Mapping[str, object],
    secrets: Mapping[str, str],
    kept_secrets: frozenset[str],
) -> None:
    """The adapter exists for the kind, and the settings and secrets are the ones it takes (secrets already
    stored count as given)."""
    known = ADAPTERS.get(adapter)
    if known is None or known.kind is not kind:
        names = sorted(name for name, a in ADAPTERS.items() if a.kind is kind)
        errors.add(ErrorCode.INVALID_INPUT, ["input", "adapter"], f"no {kind.value} adapter {adapter!r} ({names})")
        return
    for name in sorted(known.settings - set(settings)):
        errors.add(ErrorCode.INVALID_INPUT, ["input", "settings", name], f"{adapter} needs the setting {name}")
    for name in sorted(set(settings) - known.settings - known.optional):
        errors.add(ErrorCode.INVALID_INPUT, ["input", "settings", name], f"{adapter} takes no setting {name}")
    for name in sorted(set(settings) & (known.settings | known.optional)):
        if problem := _setting_problem(name, settings[name]):
            errors.add(ErrorCode.INVALID_INPUT, ["input", "settings", name], f"{name} {problem}")
        elif name == "handOver":  # the orders' delivery address: held to the rules a placed order's is
            check_address(
                hand_over_address(cast(Mapping[str, Any], settings[name])), errors, ("input", "settings", name)
            )
    for name in sorted(known.secrets - set(secrets) - kept_secrets):
        errors.add(ErrorCode.INVALID_INPUT, ["input", "secrets", name], f"{adapter} needs the secret {name}")
    for name in sorted(set(secrets) - known.secrets - known.optional_secrets):
        errors.add(ErrorCode.INVALID_INPUT, ["input", "secrets", name], f"{adapter} takes no secret {name}")
