"""Secrets at rest: what the database keeps of a secret (a webhook endpoint's signing secret) is sealed with a
key from the environment, and named by that key's id so the key can be rotated.

`OMS_SECRET_KEYS` holds `id=key` pairs separated by commas (a key is 32 url-safe base64 bytes, as
`oms-graph secrets new-key` prints); the first seals, every one opens. Without it, the key in the file
`OMS_SECRET_KEY_FILE` (default `oms-secret.key` in the working folder) is used, made on first need: right
for the embedded default, while a production setup sets the variable. To rotate: put a new key first, keep
the old one after it, run `oms-graph secrets reseal`, then drop the old key.

A sealed value reads `sealed:<key id>:<Fernet token>` (AES-128-CBC with HMAC-SHA256, from `cryptography`).
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets as random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "sealed:"
FILE_KEY_ID = "file"


class SealingError(Exception):
    """A sealed value whose key is not configured, or that does not open with it."""


@dataclass(frozen=True)
class KeyRing:
    """The keys that open sealed values, by id; the first seals."""

    keys: dict[str, Fernet]
    current: str

    def seal(self, value: str) -> str:
        token = self.keys[self.current].encrypt(value.encode()).decode()
        return f"{PREFIX}{self.current}:{token}"

    def open(self, stored: str) -> str:
        if not is_sealed(stored):
            return stored  # kept from before sealing (the migration seals every one it finds)
        key_id, _, token = stored[len(PREFIX) :].partition(":")
        key = self.keys.get(key_id)
        if key is None:
            raise SealingError(f"the secret was sealed with key {key_id!r}, which OMS_SECRET_KEYS does not hold")
        try:
            return key.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SealingError(f"the secret does not open with key {key_id!r}") from None

    def sealed_with_current(self, stored: str) -> bool:
        return stored.startswith(f"{PREFIX}{self.current}:")


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def new_key() -> str:
    return base64.urlsafe_b64encode(random.token_bytes(32)).decode()


def parse_keys(text: str) -> KeyRing:
    """A key ring from `id=key,id=key` (the first seals)."""
    keys: dict[str, Fernet] = {}
    order: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key_id, sep, key = part.partition("=")
        key_id = key_id.strip()
        if not sep or not key_id or ":" in key_id:
            raise SealingError("OMS_SECRET_KEYS holds id=key pairs separated by commas (an id has no ':')")
        try:
            keys[key_id] = Fernet(key.strip().encode())
        except ValueError:
            raise SealingError(f"the key {key_id!r} in OMS_SECRET_KEYS is not 32 url-safe base64 bytes") from None
        order.append(key_id)
    if not order:
        raise SealingError("OMS_SECRET_KEYS holds no key")
    return KeyRing(keys, order[0])


def _file_key(path: Path) -> str:
    """The key in the file, made (readable by its owner only) when there is none; processes starting
    together agree, as the file appears whole or not at all."""
    with contextlib.suppress(FileNotFoundError):
        return path.read_text().strip()
    draft = path.with_name(f".{path.name}.{os.getpid()}.{random.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(new_key() + "\n")
    try:
        os.link(draft, path)  # fails when another process made it first: then its key is the key
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()


@lru_cache(maxsize=1)
def configured() -> KeyRing:
    """The process's key ring, from the environment (read once)."""
    text = os.environ.get("OMS_SECRET_KEYS", "").strip()
    if text:
        return parse_keys(text)
    path = Path(os.environ.get("OMS_SECRET_KEY_FILE", "oms-secret.key"))
    return parse_keys(f"{FILE_KEY_ID}={_file_key(path)}")


def seal(value: str) -> str:
    return configured().seal(value)


@lru_cache(maxsize=1024)
def unseal(stored: str) -> str:
    """The secret a stored value holds (kept once opened: webhooks sign with it on every delivery)."""
    return configured().open(stored)
