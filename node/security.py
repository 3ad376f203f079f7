"""Secrets of the local API: password hashing (Argon2id) and random API/session tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
TOKEN_PREFIX = "arch_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches; a malformed hash counts as a mismatch."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    """A new bearer token: a recognisable prefix and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database stores of a token: its SHA-256 (tokens are random, so no KDF)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_password() -> str:
    """A readable random password for a first admin account."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))
