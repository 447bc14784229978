"""Payment providers behind one small Protocol, found by name in a registry."""

from oms_graph.adapters.payments.base import (
    PaymentError,
    PaymentProvider,
    PaymentRequest,
    connected_provider,
    provider_named,
)

__all__ = ["PaymentError", "PaymentProvider", "PaymentRequest", "connected_provider", "provider_named"]
