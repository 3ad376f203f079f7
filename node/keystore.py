"""The node's Ed25519 keys on disk: `<home>/keys/<slug>-<n>.pem`, the highest n in use."""

from __future__ import annotations

import re
from pathlib import Path

from federation.service import KeyPair, generate_keypair, load_private_key, save_private_key

KEY_DIR = "keys"


def _numbered(home: Path, slug: str) -> list[tuple[int, Path]]:
    pattern = re.compile(rf"^{re.escape(slug)}-(\d+)\.pem$")
    found = []
    directory = home / KEY_DIR
    if directory.is_dir():
        for path in directory.iterdir():
            match = pattern.match(path.name)
            if match:
                found.append((int(match.group(1)), path))
    return sorted(found)


def load_keys(home: Path, slug: str) -> list[KeyPair]:
    """Every key of the node, oldest first; the last one signs. Refuses insecure files."""
    return [load_private_key(path, path.stem) for _n, path in _numbered(home, slug)]


def create_key(home: Path, slug: str) -> KeyPair:
    """A new key numbered after the existing ones, saved 0600 in a 0700 folder."""
    directory = home / KEY_DIR
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    existing = _numbered(home, slug)
    number = existing[-1][0] + 1 if existing else 1
    pair = generate_keypair(f"{slug}-{number}")
    save_private_key(directory / f"{pair.key_id}.pem", pair)
    return pair


def current_key(home: Path, slug: str) -> KeyPair:
    """The signing key, created on first use."""
    keys = load_keys(home, slug)
    return keys[-1] if keys else create_key(home, slug)


class KeyWatcher:
    """The current key, re-read only when the key folder changes (one stat per call)."""

    def __init__(self, home: Path, slug: str) -> None:
        self.home = home
        self.slug = slug
        self._stamp: int | None = None
        self._pair: KeyPair | None = None

    def __call__(self) -> KeyPair:
        stamp = (self.home / KEY_DIR).stat().st_mtime_ns if (self.home / KEY_DIR).is_dir() else 0
        if self._pair is None or stamp != self._stamp:
            self._pair = current_key(self.home, self.slug)
            self._stamp = stamp
        return self._pair
