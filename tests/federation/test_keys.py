"""Tests for federation.keys: key files, fingerprints, raw signatures."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.errors import BadSignature, InsecureKeyFile, UnknownKey
from federation.keys import (
    fingerprint,
    generate_keypair,
    load_private_key,
    load_public_pem,
    lookup_key,
    save_private_key,
    verify,
)

RFC_PUBLIC_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n"
    "-----END PUBLIC KEY-----\n"
)


def test_saved_key_loads_back_as_the_same_key(tmp_path: Path) -> None:
    """A saved private key loads back, with the key id the caller gives."""
    pair = generate_keypair("lyon#1")
    path = tmp_path / "node.key"
    save_private_key(path, pair)
    loaded = load_private_key(path, "lyon#1")
    assert loaded.key_id == "lyon#1"
    assert loaded.public_pem() == pair.public_pem()
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_saved_key_file_has_mode_0600_whatever_the_umask(tmp_path: Path) -> None:
    """The key file is created 0600 even under a permissive umask."""
    old = os.umask(0)
    try:
        save_private_key(tmp_path / "node.key", generate_keypair("k"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "node.key").stat().st_mode) == 0o600


def test_saving_never_overwrites_an_existing_key(tmp_path: Path) -> None:
    """An existing file is left untouched: losing a key loses the node's identity."""
    path = tmp_path / "node.key"
    save_private_key(path, generate_keypair("k"))
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        save_private_key(path, generate_keypair("k"))
    assert path.read_bytes() == before


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_loading_a_key_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    """A key file readable by group or others raises InsecureKeyFile."""
    path = tmp_path / "node.key"
    save_private_key(path, generate_keypair("k"))
    path.chmod(mode)
    with pytest.raises(InsecureKeyFile) as info:
        load_private_key(path, "k")
    assert info.value.reason == "insecure_key_file"


def test_loading_a_file_that_is_not_an_ed25519_key_fails(tmp_path: Path) -> None:
    """A PEM file with no Ed25519 private key is refused with ValueError."""
    path = tmp_path / "node.key"
    path.write_text(RFC_PUBLIC_PEM)
    path.chmod(0o600)
    with pytest.raises(ValueError):
        load_private_key(path, "k")


def test_fingerprint_is_openssh_style_sha256_of_the_raw_key() -> None:
    """`SHA256:` then 43 unpadded base64 characters of the raw key's SHA-256."""
    key = load_public_pem(RFC_PUBLIC_PEM)
    raw = bytes.fromhex("26b40b8f93fff3d897112f7ebc582b232dbd72517d082fe83cfb30ddce43d1bb")
    expected = base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")
    assert fingerprint(key) == "SHA256:" + expected
    assert re.fullmatch(r"SHA256:[A-Za-z0-9+/]{43}", fingerprint(key))


def test_keypair_fingerprint_matches_its_published_public_key() -> None:
    """The fingerprint an admin reads out is that of the PEM the node publishes."""
    pair = generate_keypair("k")
    assert pair.fingerprint() == fingerprint(load_public_pem(pair.public_pem()))


def test_load_public_pem_refuses_a_non_ed25519_key() -> None:
    """Only Ed25519 public keys are accepted."""
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError):
        load_public_pem(pem.decode())


def test_sign_then_verify_round_trips_and_other_data_fails() -> None:
    """verify returns on a good signature and raises BadSignature otherwise."""
    pair = generate_keypair("k")
    signature = pair.sign(b"data")
    verify(pair.public_key, signature, b"data")
    with pytest.raises(BadSignature):
        verify(pair.public_key, signature, b"dat4")
    with pytest.raises(BadSignature):
        verify(generate_keypair("other").public_key, signature, b"data")


def test_lookup_key_turns_a_resolver_keyerror_into_unknown_key() -> None:
    """A resolver that raises KeyError yields UnknownKey, never a silent None."""
    known: dict[str, Ed25519PublicKey] = {}
    with pytest.raises(UnknownKey):
        lookup_key(known.__getitem__, "nobody")
