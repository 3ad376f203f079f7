"""Canonical JSON (RFC 8785) and the SHA-256 hex digests the hash chain is made of.

The bytes are those of the `rfc8785` package; most values take a faster, exact path through
the standard library's C JSON encoder. For values made only of objects with string keys,
arrays, strings, booleans, null and integers within ±(2**53 - 1), that encoder (compact
separators, keys sorted, non-ASCII kept, `\\uXXXX` in lowercase hex) writes what RFC 8785
prescribes, provided no key holds a character beyond U+FFFF: only then could Python's code
point order differ from RFC 8785's UTF-16 order. Anything else (floats, such keys, subclasses
of the JSON types, tuples, lone surrogates) goes through `rfc8785` itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import rfc8785

__all__ = ["INT_MAX", "canonical_bytes", "sha256_hex"]

INT_MAX = 2**53 - 1
"""The largest integer JSON carries exactly (RFC 8785 writes numbers as IEEE doubles)."""
_encode = json.JSONEncoder(
    ensure_ascii=False,
    check_circular=False,
    allow_nan=False,
    sort_keys=True,
    separators=(",", ":"),
).encode


def canonical_bytes(value: Any) -> bytes:
    """The one byte string every node derives from `value` (RFC 8785, JCS).

    Raises `rfc8785.CanonicalizationError` (a `ValueError`) for values JSON cannot carry
    exactly, such as integers beyond 2**53 or non-finite floats.
    """
    if _plain(value):
        try:
            return _encode(value).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: `rfc8785` refuses it with its own error
    data: bytes = rfc8785.dumps(value)
    return data


def _plain(value: Any) -> bool:
    """Whether `value` holds only what the fast path writes exactly as RFC 8785 does."""
    kind = type(value)
    if kind is dict:
        return _plain_keys(value) and _plain_items(value.values())
    if kind is list:
        return _plain_items(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-INT_MAX <= value <= INT_MAX)
    return False


def _plain_keys(value: dict[Any, Any]) -> bool:
    """String keys only, none holding a character beyond U+FFFF (checked at C speed)."""
    if value and set(map(type, value)) != _STR:
        return False
    return all(map(str.isascii, value)) or max(map(max, filter(None, value))) <= "\uffff"


def _plain_items(items: Iterable[Any]) -> bool:
    for item in items:
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not -INT_MAX <= item <= INT_MAX:
                return False
        elif kind is dict or kind is list:
            if not _plain(item):
                return False
        else:
            return False
    return True


_STR = {str}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
