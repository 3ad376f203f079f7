"""Helpers every service uses: pagination, optimistic locking, the audit trail, sharing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import AuditEvent
from node.problems import NotFound, PreconditionRequired, VersionConflict

T = TypeVar("T")


class Versioned(Protocol):
    id: str
    version: int


def paginate(
    session: Session, stmt: Select[T], *, limit: int, offset: int
) -> tuple[Sequence[T], int]:
    """One page of `stmt` and the total count of rows it matches."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.limit(limit).offset(offset)).all()
    return rows, total


def get_or_404(session: Session, model: type[T], record_id: str, label: str) -> T:
    row = session.get(model, record_id)
    if row is None:
        raise NotFound(f"no {label} with id {record_id!r}")
    return row


def check_version(record: Versioned, expected: int | None, label: str) -> None:
    """Refuse a change made from a stale copy: the caller must say which version they edited."""
    if expected is None:
        raise PreconditionRequired(
            f'say which version of the {label} you edited: send `If-Match: "{record.version}"`'
            " or a `version` field"
        )
    if expected != record.version:
        raise VersionConflict(
            f"the {label} was changed by someone else (you edited version {expected}, "
            f"it is now at version {record.version}); reload it and apply your change again",
            current_version=record.version,
        )


def audit(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str,
    summary: str = "",
    fields: Sequence[str] = (),
    extra: dict[str, Any] | None = None,
) -> None:
    """Record who did what to which record; only field names, never private values."""
    session.add(
        AuditEvent(
            actor=actor.name,
            action=action,
            entity=entity,
            entity_id=entity_id,
            summary=summary[:300],
            fields=sorted(fields),
            extra=extra or {},
        )
    )


class Publisher(Protocol):
    """Receives the shared records a transaction changes (the federation log writer)."""

    def publish(
        self,
        session: Session,
        *,
        kind: str,
        record_id: str,
        version: int,
        body: dict[str, Any] | None,
        replica_body: dict[str, Any] | None,
    ) -> None: ...


PUBLISHER_KEY = "archipel.publisher"


def publish(
    session: Session,
    *,
    kind: str,
    record_id: str,
    version: int,
    body: dict[str, Any] | None,
    replica_body: dict[str, Any] | None = None,
) -> None:
    """Hand a shared record's new state (or its tombstone, `body=None`) to the publisher.

    `replica_body` is what this bureau's own network views show when it differs from what
    leaves the bureau (a `local` member's card: in the bureau's directory, never in the log).
    The publisher is set on the session factory by the app; it writes the federation log
    entry in this same transaction. Without one, nothing is published.
    """
    publisher: Publisher | None = session.info.get(PUBLISHER_KEY)
    if publisher is not None:
        publisher.publish(
            session,
            kind=kind,
            record_id=record_id,
            version=version,
            body=body,
            replica_body=body if replica_body is None else replica_body,
        )
