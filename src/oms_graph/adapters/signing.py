"""Carrier webhooks are signed: `X-OMS-Signature: sha256=<hex HMAC-SHA256 of the raw body>`."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-OMS-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str | None, body: bytes, header: str | None) -> bool:
    """True only with a configured secret and a header that matches the body (compared in constant time)."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body), header.strip())
