"""Canonical JSON (RFC 8785) and the SHA-256 hex digests the hash chain is made of."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

__all__ = ["canonical_bytes", "sha256_hex"]


def canonical_bytes(value: Any) -> bytes:
    """The one byte string every node derives from `value` (RFC 8785, JCS).

    Raises `rfc8785.CanonicalizationError` (a `ValueError`) for values JSON cannot carry
    exactly, such as integers beyond 2**53 or non-finite floats.
    """
    data: bytes = rfc8785.dumps(value)
    return data


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
