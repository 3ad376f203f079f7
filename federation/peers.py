"""Peering and trust administration: pin a peer's key, remove it, block or unblock an origin."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from federation.chain import GENESIS
from federation.errors import FederationError
from federation.models import (
    FedCheckpoint,
    FedCursor,
    FedEntry,
    FedMissingBody,
    FedOrigin,
    FedPeer,
)
from federation.registry import Registry
from federation.trust import KeySet, add_rotation, identity_fingerprint, keyset_from_identity
from schemas.federation import IdentityDocument, KeyRotation

__all__ = [
    "ConfirmationRequired",
    "FingerprintMismatch",
    "accept_peer",
    "add_peer",
    "block_origin",
    "list_peers",
    "refresh_peer_keys",
    "remove_peer",
    "unblock_origin",
]


class FingerprintMismatch(FederationError):
    """The key the node presents is not the one the admin confirmed."""

    reason = "fingerprint_mismatch"
    status = 400


class ConfirmationRequired(FederationError):
    """The admin must confirm the fingerprint (shown to them) before the peer is pinned."""

    reason = "confirmation_required"
    status = 400

    def __init__(self, identity: IdentityDocument, fingerprint: str) -> None:
        super().__init__(f"confirm {identity.slug!r} ({identity.url}) has key {fingerprint}")
        self.identity = identity
        self.fingerprint = fingerprint


def add_peer(
    session: Session,
    *,
    url: str,
    fetch_identity: Callable[[str], IdentityDocument],
    own_slug: str,
    now: datetime,
    fingerprint: str | None = None,
    yes: bool = False,
    registry: Registry | None = None,
    replace: bool = False,
) -> FedPeer:
    """Fetch the node at `url` and pin it; without `fingerprint` (and not `yes`) raise
    `ConfirmationRequired` carrying the fingerprint for the admin to check and pass back."""
    identity = fetch_identity(url)
    if urlsplit(identity.url).netloc.lower() != urlsplit(url).netloc.lower():
        raise FederationError(
            f"the node at {url} says its public URL is {identity.url}; add it by that URL"
        )
    if fingerprint is None:
        if not yes:
            raise ConfirmationRequired(identity, identity_fingerprint(identity))
        fingerprint = identity_fingerprint(identity)
    return accept_peer(
        session,
        identity,
        fingerprint,
        own_slug=own_slug,
        now=now,
        registry=registry,
        replace=replace,
    )


def accept_peer(
    session: Session,
    identity: IdentityDocument,
    fingerprint: str,
    *,
    own_slug: str,
    now: datetime,
    registry: Registry | None = None,
    replace: bool = False,
) -> FedPeer:
    """Pin `identity`'s current key as a peer (or re-activate it); refuses another fingerprint."""
    if identity.slug == own_slug:
        raise FederationError("a node cannot peer with itself")
    actual = identity_fingerprint(identity)
    if not hmac.compare_digest(actual.encode(), fingerprint.strip().encode()):
        raise FingerprintMismatch(f"{identity.slug!r} presents key {actual}, not {fingerprint}")
    origin = session.get(FedOrigin, identity.slug)
    if origin is not None and origin.blocked:
        raise FederationError(f"origin {identity.slug!r} is blocked; unblock it first")
    pinned = keyset_from_identity(identity, current_only=True)
    peer = session.get(FedPeer, identity.slug)
    if peer is None:
        peer = FedPeer(slug=identity.slug, added_at=now)
        session.add(peer)
    elif peer.state == "active" and peer.fingerprint != actual and not replace:
        # Same name, another key: a rekeyed bureau or an impostor. Never swap silently.
        raise FingerprintMismatch(
            f"{identity.slug!r} is already a peer with key {peer.fingerprint}; it now presents "
            f"{actual}. Check with its admin, then add it again with --replace"
        )
    peer.url, peer.fingerprint, peer.keys, peer.state = identity.url, actual, pinned, "active"
    peer.failures, peer.next_attempt_at, peer.last_error, peer.last_error_at = 0, None, None, None
    if origin is None:
        origin = FedOrigin(slug=identity.slug, head_seq=0, head_hash=GENESIS, blocked=False)
        session.add(origin)
        origin.keys = pinned
    elif not {k["public_key_pem"] for k in pinned} <= {k["public_key_pem"] for k in origin.keys}:
        # What we hold of this origin came through relays and its keys do not lead to the key
        # the admin just confirmed: it may be a forgery. Drop it and pull the real log anew.
        purge_origin_copy(session, row=origin, registry=registry)
        origin.keys = pinned
    origin.name, origin.url, origin.territory = identity.name, identity.url, identity.territory
    session.flush()
    return peer


def list_peers(session: Session) -> list[FedPeer]:
    """Every peer ever accepted, active ones first."""
    return list(session.scalars(select(FedPeer).order_by(FedPeer.state, FedPeer.slug)).all())


def remove_peer(session: Session, *, slug: str) -> bool:
    """Stop trusting a peer at once: its requests are refused, it is no longer pulled."""
    peer = session.get(FedPeer, slug)
    if peer is None or peer.state == "removed":
        return False
    peer.state, peer.next_attempt_at = "removed", None
    session.flush()
    return True


def block_origin(session: Session, *, origin: str, registry: Registry, own_slug: str) -> None:
    """Refuse an origin everywhere: purge its log copy and replica records, refuse it relayed.

    A direct peer of that name is removed too. Run the after-purge hooks once committed.
    """
    if origin == own_slug:
        raise FederationError("a node cannot block its own origin")
    row = session.get(FedOrigin, origin)
    if row is None:
        row = FedOrigin(slug=origin, keys=[])
        session.add(row)
    row.blocked = True
    purge_origin_copy(session, row=row, registry=registry)
    remove_peer(session, slug=origin)
    session.flush()


def purge_origin_copy(session: Session, *, row: FedOrigin, registry: Registry | None) -> None:
    """Forget everything held of an origin: its log copy, cursors and replica records."""
    row.head_seq, row.head_hash, row.last_applied_at = 0, GENESIS, None
    for model in (FedEntry, FedCheckpoint, FedCursor, FedMissingBody):
        session.execute(
            delete(model)
            .where(model.origin == row.slug)
            .execution_options(synchronize_session=False)
        )
    if registry is not None:
        for kind in registry.kinds():
            kind.purge_origin(session, origin=row.slug)


def unblock_origin(session: Session, *, origin: str) -> bool:
    """Accept an origin again; its log is pulled anew from the start."""
    row = session.get(FedOrigin, origin)
    if row is None or not row.blocked:
        return False
    row.blocked = False
    session.flush()
    return True


def refresh_peer_keys(session: Session, *, slug: str, identity: IdentityDocument) -> bool:
    """Follow the rotation statements a peer's identity document carries from its pinned key.

    A peer that rotated signs with a key we have not pinned; its `GET /federation/node` lists
    its rotations, each signed by the key it replaces, so a chain of them from a pinned key
    is as good as a confirmed fingerprint. Returns whether the pinned keys changed.
    """
    peer = session.get(FedPeer, slug)
    if peer is None or identity.slug != slug:
        return False
    keys: KeySet = list(peer.keys)
    raw = (identity.model_extra or {}).get("rotations", [])
    try:
        rotations = [KeyRotation.model_validate(item) for item in raw]
    except ValidationError as exc:
        raise FederationError(f"{slug!r} published invalid rotations: {exc}") from exc
    for rotation in rotations:
        if any(k["id"] == rotation.new_key.id for k in keys):
            continue
        keys = add_rotation(keys, rotation, origin=slug)
    if keys == peer.keys:
        return False
    peer.keys = keys
    origin = session.get(FedOrigin, slug)
    if origin is not None:
        known = {k["id"]: k for k in origin.keys}
        known.update({k["id"]: k for k in keys})
        origin.keys = list(known.values())
    session.flush()
    return True
