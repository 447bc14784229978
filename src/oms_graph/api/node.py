"""Global object ids and the Node interface."""

from __future__ import annotations

import base64
import binascii
import uuid

import strawberry


@strawberry.interface
class Node:
    id: strawberry.ID


def encode_id(type_name: str, value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{value.hex}".encode()).decode().rstrip("="))


def decode_id(global_id: str) -> tuple[str, uuid.UUID] | None:
    """(type name, uuid), or None when the id is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
        type_name, _, hex_id = raw.partition(":")
        return type_name, uuid.UUID(hex=hex_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
