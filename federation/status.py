"""The federation status the node shows operators: per peer and per origin, how far and how well."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.bodies import missing_by_origin
from federation.metrics import FederationMetrics
from federation.models import FedCursor, FedOrigin, FedPeer

__all__ = [
    "CursorStatus",
    "FederationStatus",
    "OriginStatus",
    "PeerClaim",
    "PeerStatus",
    "read_status",
]


class PeerClaim(BaseModel):
    """A claim of a peer about an origin that does not count towards the lag: refused (its
    page was, for `reason`), or heads that went back (`went_back`, from `seq`)."""

    peer: str
    seq: int
    reason: str
    at: datetime | None


class CursorStatus(BaseModel):
    """What a peer holds of an origin, and how far behind it we are."""

    origin: str
    seq: int
    remote_seq: int
    lag: int
    updated_at: datetime | None
    refused_seq: int | None = None
    refused_reason: str | None = None
    refused_at: datetime | None = None
    went_back_from: int | None = None
    went_back_at: datetime | None = None


class PeerStatus(BaseModel):
    """A peer, the health of pulling it, and its cursors."""

    slug: str
    url: str
    state: str
    fingerprint: str
    added_at: datetime
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    next_attempt_at: datetime | None
    cursors: list[CursorStatus]


class OriginStatus(BaseModel):
    """An origin's log as held here; `lag` is the most any peer reported beyond our copy."""

    origin: str
    name: str
    url: str
    head_seq: int
    known_seq: int
    lag: int
    blocked: bool
    via_peer: str | None
    last_applied_at: datetime | None
    complete: bool = True
    """False while records of it are held back: their latest entry came without its body."""
    missing_bodies: int = 0
    """How many records wait for their body (fetched from the origin or another peer)."""
    incomplete_since: datetime | None = None
    """When the oldest of those records was noted."""
    refused_claims: list[PeerClaim] = []
    went_back: list[PeerClaim] = []


class FederationStatus(BaseModel):
    """The whole picture `GET /api/federation/status` serves."""

    node: str
    peers: list[PeerStatus]
    origins: list[OriginStatus]


def read_status(session: Session, *, node: str, metrics: FederationMetrics) -> FederationStatus:
    """Build the status from the tables, and refresh the lag gauge on the way."""
    origins = {o.slug: o for o in session.scalars(select(FedOrigin).order_by(FedOrigin.slug))}
    cursors = session.scalars(select(FedCursor).order_by(FedCursor.peer, FedCursor.origin)).all()
    known: dict[str, int] = {}
    by_peer: dict[str, list[CursorStatus]] = {}
    refused: dict[str, list[PeerClaim]] = {}
    went_back: dict[str, list[PeerClaim]] = {}
    for cursor in cursors:
        origin = origins.get(cursor.origin)
        held = origin.head_seq if origin is not None else 0
        known[cursor.origin] = max(known.get(cursor.origin, 0), cursor.remote_seq)
        by_peer.setdefault(cursor.peer, []).append(
            CursorStatus(
                origin=cursor.origin,
                seq=held,
                remote_seq=cursor.remote_seq,
                lag=max(0, cursor.remote_seq - held),
                updated_at=cursor.updated_at,
                refused_seq=cursor.refused_seq,
                refused_reason=cursor.refused_reason,
                refused_at=cursor.refused_at,
                went_back_from=cursor.went_back_from,
                went_back_at=cursor.went_back_at,
            )
        )
        if cursor.refused_seq is not None:
            refused.setdefault(cursor.origin, []).append(
                PeerClaim(
                    peer=cursor.peer,
                    seq=cursor.refused_seq,
                    reason=cursor.refused_reason or "",
                    at=cursor.refused_at,
                )
            )
        if cursor.went_back_from is not None:
            went_back.setdefault(cursor.origin, []).append(
                PeerClaim(
                    peer=cursor.peer,
                    seq=cursor.went_back_from,
                    reason="went_back",
                    at=cursor.went_back_at,
                )
            )
    missing = missing_by_origin(session)
    origin_status = []
    for slug, origin in origins.items():
        held_back = missing.get(slug)
        metrics.origin_missing_bodies.labels(origin=slug).set(
            0 if held_back is None else held_back.records
        )
        seen = max(known.get(slug, 0), origin.head_seq)
        lag = 0 if origin.blocked or slug == node else seen - origin.head_seq
        metrics.origin_lag.labels(origin=slug).set(lag)
        origin_status.append(
            OriginStatus(
                origin=slug,
                name=origin.name,
                url=origin.url,
                head_seq=origin.head_seq,
                known_seq=seen,
                lag=lag,
                blocked=origin.blocked,
                via_peer=origin.via_peer,
                last_applied_at=origin.last_applied_at,
                complete=held_back is None,
                missing_bodies=0 if held_back is None else held_back.records,
                incomplete_since=None if held_back is None else held_back.since,
                refused_claims=refused.get(slug, []),
                went_back=went_back.get(slug, []),
            )
        )
    peers = [
        PeerStatus(
            slug=p.slug,
            url=p.url,
            state=p.state,
            fingerprint=p.fingerprint,
            added_at=p.added_at,
            last_success_at=p.last_success_at,
            last_error=p.last_error,
            last_error_at=p.last_error_at,
            failures=p.failures,
            next_attempt_at=p.next_attempt_at,
            cursors=by_peer.get(p.slug, []),
        )
        for p in session.scalars(select(FedPeer).order_by(FedPeer.slug))
    ]
    return FederationStatus(node=node, peers=peers, origins=origin_status)
