"""A node's Ed25519 keys: generation, private key files kept at mode 0600, fingerprints."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation.errors import BadSignature, InsecureKeyFile, UnknownKey

__all__ = [
    "KeyPair",
    "KeyResolver",
    "fingerprint",
    "generate_keypair",
    "load_private_key",
    "load_public_pem",
    "lookup_key",
    "save_private_key",
    "verify",
]

KeyResolver: TypeAlias = Callable[[str], Ed25519PublicKey]
"""Maps a key id to the public key it names; raises `UnknownKey` (or `KeyError`) otherwise."""

# Any permission for group or others refuses the file, as OpenSSH does.
_INSECURE_BITS = stat.S_IRWXG | stat.S_IRWXO


@dataclass(frozen=True)
class KeyPair:
    """A private key and the id peers know its public half by."""

    key_id: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def public_pem(self) -> str:
        """The public key as SPKI PEM text, as published in the identity document."""
        return (
            self.public_key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
            .strip()
            + "\n"
        )

    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)


def generate_keypair(key_id: str) -> KeyPair:
    return KeyPair(key_id=key_id, private_key=Ed25519PrivateKey.generate())


def save_private_key(path: Path, pair: KeyPair) -> None:
    """Write the private key as PKCS#8 PEM to a new file of mode 0600.

    Raises `FileExistsError` rather than replace a key: losing a node's key loses its identity.
    """
    pem = pair.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        # The mode given to open() is filtered by the umask; set it outright.
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)


def load_private_key(path: Path, key_id: str) -> KeyPair:
    """Read a private key file written by `save_private_key`.

    Raises `InsecureKeyFile` when group or others have any permission on it, and
    `ValueError` when it does not hold an Ed25519 private key.
    """
    mode = path.stat().st_mode
    if mode & _INSECURE_BITS:
        raise InsecureKeyFile(
            f"{path} has mode {stat.S_IMODE(mode):04o}; run `chmod 600 {path}` and retry"
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return KeyPair(key_id=key_id, private_key=key)


def load_public_pem(pem: str) -> Ed25519PublicKey:
    """Parse SPKI PEM text; raises `ValueError` unless it is an Ed25519 public key."""
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """`SHA256:` and the unpadded base64 SHA-256 of the raw key, as OpenSSH prints it."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def verify(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> None:
    """Return when `signature` is `public_key`'s signature of `data`; else raise `BadSignature`."""
    try:
        public_key.verify(signature, data)
    except InvalidSignature as exc:
        raise BadSignature("signature does not verify") from exc


def lookup_key(resolve_key: KeyResolver, key_id: str) -> Ed25519PublicKey:
    """Call a resolver, turning its `KeyError` into `UnknownKey` so that callers fail closed."""
    try:
        return resolve_key(key_id)
    except KeyError as exc:
        raise UnknownKey(f"unknown key id {key_id!r}") from exc
