"""What the node may read of federation's tables, as plain values: origins, messages, own log.

The node reaches these through `federation.service`; it never selects from a `fed_*` table
itself, so the tables can change without the node noticing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from federation.chain import body_hash
from federation.models import FedEntry, FedInbox, FedOrigin, FedOutbox, FedPeer

__all__ = [
    "LatestEntry",
    "Origin",
    "QueuedMessage",
    "active_peers",
    "applied_at",
    "inbox_pending",
    "known_origins",
    "latest_entry",
    "queued_message",
    "withdraw_message",
]


@dataclass(frozen=True)
class Origin:
    """A bureau this node holds the log of (itself included)."""

    slug: str
    name: str
    territory: str
    last_applied_at: datetime | None
    """When entries of it were last applied here (None: never, or only its own)."""


def known_origins(session: Session) -> list[Origin]:
    """Every origin this node holds records of (itself included), blocked ones left out."""
    rows = session.scalars(
        select(FedOrigin).where(FedOrigin.blocked.is_(False)).order_by(FedOrigin.slug)
    )
    return [Origin(r.slug, r.name, r.territory, r.last_applied_at) for r in rows]


def applied_at(session: Session, origins: Collection[str]) -> dict[str, datetime | None]:
    """When entries of each of `origins` were last applied here (blocked ones left out)."""
    if not origins:
        return {}
    rows = session.execute(
        select(FedOrigin.slug, FedOrigin.last_applied_at).where(
            FedOrigin.slug.in_(sorted(origins)), FedOrigin.blocked.is_(False)
        )
    )
    return {slug: applied for slug, applied in rows}


def active_peers(session: Session) -> list[str]:
    """The slugs of the peers this node trusts now, in order."""
    return list(
        session.scalars(
            select(FedPeer.slug).where(FedPeer.state == "active").order_by(FedPeer.slug)
        ).all()
    )


@dataclass(frozen=True)
class QueuedMessage:
    """A message in the outbox: whether the recipient's inbox took it, since when it waits,
    how often delivery failed and when it is tried next."""

    recipient: str
    idempotency_key: str
    delivered: bool
    created_at: datetime | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None


def queued_message(
    session: Session, *, recipient: str, idempotency_key: str
) -> QueuedMessage | None:
    """The message queued to `recipient` under `idempotency_key`, if it is in the outbox."""
    row = session.execute(
        select(
            FedOutbox.delivered_at,
            FedOutbox.created_at,
            FedOutbox.attempts,
            FedOutbox.next_attempt_at,
        ).where(
            FedOutbox.recipient == recipient,  # the (recipient, key) index answers
            FedOutbox.idempotency_key == idempotency_key,
        )
    ).first()
    if row is None:
        return None
    return QueuedMessage(
        recipient,
        idempotency_key,
        row.delivered_at is not None,
        row.created_at,
        row.attempts,
        row.next_attempt_at,
    )


def withdraw_message(session: Session, message: QueuedMessage) -> None:
    """Take `message` out of the outbox, in the caller's transaction: it is never sent."""
    session.execute(
        delete(FedOutbox).where(
            FedOutbox.recipient == message.recipient,
            FedOutbox.idempotency_key == message.idempotency_key,
        )
    )


def inbox_pending(session: Session, *, sender: str, idempotency_key: str) -> bool:
    """Whether a message of `sender` under `idempotency_key` waits in the inbox to be handled
    (again, after a failure)."""
    found = session.scalar(
        select(FedInbox.id).where(
            FedInbox.sender == sender,
            FedInbox.idempotency_key == idempotency_key,
            FedInbox.state == "pending",
        )
    )
    return found is not None


@dataclass(frozen=True)
class LatestEntry:
    """The latest entry of one record in an origin's log."""

    op: str
    version: int
    body_hash: str

    def carries(self, body: dict[str, Any]) -> bool:
        """Whether this entry is an upsert of exactly `body`."""
        return self.op == "upsert" and self.body_hash == body_hash(body)


def latest_entry(session: Session, *, origin: str, kind: str, record_id: str) -> LatestEntry | None:
    """The latest entry of record `record_id` of `kind` in `origin`'s log, if any."""
    row = session.execute(
        select(FedEntry.op, FedEntry.version, FedEntry.body_hash)
        .where(FedEntry.origin == origin, FedEntry.kind == kind, FedEntry.record_id == record_id)
        .order_by(FedEntry.seq.desc())
        .limit(1)
    ).first()
    return LatestEntry(*row) if row is not None else None
