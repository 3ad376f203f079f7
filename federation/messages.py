"""Cross-bureau messages: a signed inbox stored on receipt and processed later, and an outbox
retried with backoff until the recipient's inbox accepts it.

The backoff only spaces out attempts at a peer that stays away: any sign of life from it (a
request it signed, a pull from it that succeeded) makes every message waiting for it due at
once (`peer_seen`), so a message leaves as soon as its recipient is back.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from federation.canonical import canonical_bytes
from federation.errors import FederationError, WrongAudience
from federation.models import FedInbox, FedOutbox, FedPeer
from federation.registry import Registry
from schemas.federation import InboxMessage

__all__ = [
    "SenderMismatch",
    "deliver_outbox_once",
    "enqueue_message",
    "peer_seen",
    "process_inbox_once",
    "store_inbox_message",
]

log = logging.getLogger(__name__)

Deliver = Callable[[FedPeer, InboxMessage], None]


class SenderMismatch(FederationError):
    """A message claims another sender than the peer that signed it."""

    reason = "sender_mismatch"
    status = 403


def store_inbox_message(
    session: Session, *, message: InboxMessage, peer: str, own_slug: str, now: datetime
) -> bool:
    """Store a received message once per (sender, idempotency key); False for a duplicate."""
    if message.sender != peer:
        raise SenderMismatch(f"message is from {message.sender!r}, signed by {peer!r}")
    if message.recipient != own_slug:
        raise WrongAudience(f"message is for {message.recipient!r}, this node is {own_slug!r}")
    existing = session.scalar(
        select(FedInbox.id).where(
            FedInbox.sender == peer, FedInbox.idempotency_key == message.idempotency_key
        )
    )
    if existing is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                FedInbox(
                    message_id=message.id,
                    sender=peer,
                    kind=message.kind,
                    idempotency_key=message.idempotency_key,
                    body=canonical_bytes(message.model_dump(mode="json")).decode("utf-8"),
                    received_at=now,
                    state="pending",
                    attempts=0,
                )
            )
    except IntegrityError:
        return False  # the same message raced in through another request
    return True


def process_inbox_once(
    session: Session, *, registry: Registry, now: datetime, max_attempts: int, batch: int = 100
) -> int:
    """Hand pending messages (and unhandled ones whose kind gained a handler) to their handler.

    Each message runs in its own savepoint: one failing handler neither blocks nor undoes the
    others; it is retried on later runs and parked as 'failed' after `max_attempts`.
    Returns how many messages were handled.
    """
    rows = session.scalars(
        select(FedInbox)
        .where(FedInbox.state.in_(("pending", "unhandled")))
        .order_by(FedInbox.id)
        .limit(batch)
    ).all()
    handled = 0
    for row in rows:
        handler = registry.message_handler(row.kind)
        if handler is None:
            row.state = "unhandled"
            continue
        message = InboxMessage.model_validate(json.loads(row.body))
        try:
            with session.begin_nested():
                handler(session, message)
        except Exception as exc:  # a handler's bug must not stop the loop; it is recorded
            row.attempts += 1
            row.last_error = f"{exc.__class__.__name__}: {exc}"
            row.state = "failed" if row.attempts >= max_attempts else "pending"
            log.warning("inbox message %s (%s) failed: %s", row.message_id, row.kind, exc)
            continue
        row.attempts += 1
        row.state, row.processed_at, row.last_error = "handled", now, None
        handled += 1
    session.flush()
    return handled


def enqueue_message(
    session: Session,
    *,
    sender: str,
    recipient: str,
    kind: str,
    body: dict[str, Any],
    idempotency_key: str,
    now: datetime,
) -> InboxMessage:
    """Queue a message for `recipient` in the caller's transaction (once per idempotency key)."""
    existing = session.scalar(
        select(FedOutbox).where(
            FedOutbox.recipient == recipient, FedOutbox.idempotency_key == idempotency_key
        )
    )
    if existing is not None:
        return InboxMessage.model_validate(json.loads(existing.body))
    message = InboxMessage(
        id=uuid.uuid4().hex,
        kind=kind,
        sender=sender,
        recipient=recipient,
        body=body,
        idempotency_key=idempotency_key,
    )
    session.add(
        FedOutbox(
            message_id=message.id,
            recipient=recipient,
            kind=kind,
            body=canonical_bytes(message.model_dump(mode="json")).decode("utf-8"),
            idempotency_key=idempotency_key,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )
    session.flush()
    return message


def peer_seen(session: Session, *, peer: str, now: datetime) -> int:
    """`peer` just showed it is up: every message waiting for it is due now, whatever its
    backoff said, in the caller's transaction. Returns how many were waiting."""
    result = session.execute(
        update(FedOutbox)
        .where(
            FedOutbox.recipient == peer,  # the (recipient, key) index answers
            FedOutbox.delivered_at.is_(None),
            FedOutbox.next_attempt_at > now,
        )
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def deliver_outbox_once(
    factory: sessionmaker[Session],
    *,
    deliver: Deliver,
    now: datetime,
    backoff: Callable[[int], float],
    batch: int = 50,
) -> int:
    """Try each due undelivered message once; returns how many were delivered."""
    with factory() as session:
        ids = session.scalars(
            select(FedOutbox.id)
            .where(
                FedOutbox.delivered_at.is_(None),
                or_(FedOutbox.next_attempt_at.is_(None), FedOutbox.next_attempt_at <= now),
            )
            .order_by(FedOutbox.id)
            .limit(batch)
        ).all()
    delivered = 0
    unreachable: set[str] = set()
    for outbox_id in ids:
        with factory() as session:
            row = session.get(FedOutbox, outbox_id)
            if row is None or row.delivered_at is not None or row.recipient in unreachable:
                # A recipient that just failed is not tried again in this run: one peer that
                # is down costs one timeout per run, not one per message queued for it.
                continue
            peer = session.get(FedPeer, row.recipient)
            message = InboxMessage.model_validate(json.loads(row.body))
        # The network call runs outside any transaction: SQLite would otherwise hold its one
        # write lock for as long as the peer takes to answer.
        error: str | None = None
        try:
            if peer is None or peer.state != "active":
                raise FederationError(f"{message.recipient!r} is not an active peer")
            deliver(peer, message)
        except FederationError as exc:
            error = f"{exc.reason}: {exc}"
        with factory() as session, session.begin():
            row = session.get(FedOutbox, outbox_id)
            if row is None:
                continue
            row.attempts += 1
            if error is None:
                row.delivered_at, row.last_error = now, None
                delivered += 1
            else:
                unreachable.add(row.recipient)
                delay = backoff(row.attempts)
                row.last_error = error
                row.next_attempt_at = now + timedelta(seconds=delay)
                log.warning(
                    "message %s (%s) to %s not delivered, attempt %d: %s; next attempt in %.0f s,"
                    " or as soon as %s shows a sign of life",
                    row.message_id,
                    row.kind,
                    row.recipient,
                    row.attempts,
                    error,
                    delay,
                    row.recipient,
                )
    return delivered
