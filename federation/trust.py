"""Which keys speak for an origin: key sets learned from identities and rotation statements.

A key set is the JSON list stored in `fed_origins.keys` and `fed_peers.keys`:
`[{"id", "public_key_pem", "revoked_at": unix seconds | None}]`. A rotated-out key stays in
the set with its `revoked_at`, because checkpoints it signed before the rotation are still
served by relays and must keep verifying.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.canonical import canonical_bytes
from federation.errors import BadSignature, UnknownKey
from federation.keys import KeyPair, KeyResolver, fingerprint, load_public_pem, verify
from schemas.federation import IdentityDocument, KeyRotation, PublicKey

KeySet = list[dict[str, Any]]

__all__ = [
    "KeySet",
    "add_rotation",
    "checkpoint_resolver",
    "current_key_resolver",
    "identity_fingerprint",
    "keyset_from_identity",
    "rotation_payload",
    "sign_rotation",
    "verify_rotation",
]


def identity_fingerprint(identity: IdentityDocument) -> str:
    """The fingerprint an admin confirms: that of the identity's current (last listed) key."""
    if not identity.keys:
        raise UnknownKey(f"identity of {identity.slug!r} lists no key")
    return fingerprint(load_public_pem(identity.keys[-1].public_key_pem))


def keyset_from_identity(identity: IdentityDocument, *, current_only: bool = False) -> KeySet:
    """The key set an identity document announces (only its current key if `current_only`)."""
    keys = identity.keys[-1:] if current_only else identity.keys
    return [{"id": k.id, "public_key_pem": k.public_key_pem, "revoked_at": None} for k in keys]


def rotation_payload(*, origin: str, old_key_id: str, new_key: PublicKey, signed_at: int) -> bytes:
    """The canonical bytes a rotation statement's signature covers (the origin included, so a
    statement cannot be replayed as another origin's)."""
    return canonical_bytes(
        {
            "origin": origin,
            "old_key_id": old_key_id,
            "new_key": {"id": new_key.id, "public_key_pem": new_key.public_key_pem},
            "signed_at": signed_at,
        }
    )


def sign_rotation(old: KeyPair, new: KeyPair, *, origin: str, signed_at: int) -> KeyRotation:
    """The statement, signed by `old`, that `new` now speaks for `origin`."""
    new_key = PublicKey(id=new.key_id, public_key_pem=new.public_pem())
    payload = rotation_payload(
        origin=origin, old_key_id=old.key_id, new_key=new_key, signed_at=signed_at
    )
    return KeyRotation(
        old_key_id=old.key_id,
        new_key=new_key,
        signed_at=signed_at,
        signature=base64.b64encode(old.sign(payload)).decode("ascii"),
    )


def verify_rotation(keys: KeySet, rotation: KeyRotation, *, origin: str) -> None:
    """Return when `rotation` is signed by a current key of `keys`; else raise.

    Raises `UnknownKey` when the old key is not in the set (or already rotated out) and
    `BadSignature` when the signature does not verify.
    """
    old = _find(keys, rotation.old_key_id)
    if old is None or old.get("revoked_at") is not None:
        raise UnknownKey(f"rotation names key {rotation.old_key_id!r}, not a current key")
    try:
        signature = base64.b64decode(rotation.signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadSignature("rotation signature is not base64") from exc
    payload = rotation_payload(
        origin=origin,
        old_key_id=rotation.old_key_id,
        new_key=rotation.new_key,
        signed_at=rotation.signed_at,
    )
    verify(load_public_pem(str(old["public_key_pem"])), signature, payload)


def add_rotation(keys: KeySet, rotation: KeyRotation, *, origin: str) -> KeySet:
    """The key set after a verified rotation: the old key revoked, the new one added."""
    verify_rotation(keys, rotation, origin=origin)
    updated: KeySet = []
    for key in keys:
        if key["id"] == rotation.old_key_id:
            key = {**key, "revoked_at": rotation.signed_at}
        if key["id"] != rotation.new_key.id:
            updated.append(key)
    updated.append(
        {
            "id": rotation.new_key.id,
            "public_key_pem": rotation.new_key.public_key_pem,
            "revoked_at": None,
        }
    )
    return updated


def current_key_resolver(keys: KeySet, *, now: float, grace: int) -> KeyResolver:
    """Resolve keys allowed to sign messages now: current ones, and rotated-out ones for
    `grace` seconds (so requests in flight during a rotation are not refused)."""

    def resolve(key_id: str) -> Ed25519PublicKey:
        key = _find(keys, key_id)
        if key is None:
            raise UnknownKey(f"unknown key id {key_id!r}")
        revoked_at = key.get("revoked_at")
        if revoked_at is not None and now > float(revoked_at) + grace:
            raise UnknownKey(f"key {key_id!r} was rotated out")
        return load_public_pem(str(key["public_key_pem"]))

    return resolve


def checkpoint_resolver(keys: KeySet, *, signed_at: int) -> KeyResolver:
    """Resolve keys that could sign a checkpoint dated `signed_at`: a rotated-out key only
    vouches for checkpoints it signed before its rotation."""

    def resolve(key_id: str) -> Ed25519PublicKey:
        key = _find(keys, key_id)
        if key is None:
            raise UnknownKey(f"unknown key id {key_id!r}")
        revoked_at = key.get("revoked_at")
        if revoked_at is not None and signed_at > int(revoked_at):
            raise UnknownKey(f"key {key_id!r} was rotated out before this checkpoint")
        return load_public_pem(str(key["public_key_pem"]))

    return resolve


def _find(keys: Sequence[dict[str, Any]], key_id: str) -> dict[str, Any] | None:
    for key in keys:
        if key.get("id") == key_id:
            return key
    return None
