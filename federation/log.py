"""Per-origin append-only logs in the database: writing the own log, row conversions, compaction."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from federation.canonical import canonical_bytes
from federation.chain import GENESIS, build_entry, sign_checkpoint
from federation.keys import KeyPair
from federation.models import FedCheckpoint, FedEntry, FedOrigin
from federation.registry import NODE_KIND, RESERVED_PREFIX
from federation.trust import keyset_from_identity
from schemas.federation import Checkpoint, IdentityDocument, LogEntry

__all__ = [
    "LogWriter",
    "checkpoint_row",
    "checkpoint_wire",
    "compact",
    "entry_row",
    "entry_wire",
]


def entry_row(entry: LogEntry) -> FedEntry:
    """The row storing `entry`, its body as canonical JSON text (the bytes its hash covers)."""
    body = None if entry.body is None else canonical_bytes(entry.body).decode("utf-8")
    return FedEntry(
        origin=entry.origin,
        seq=entry.seq,
        kind=entry.kind,
        record_id=entry.id,
        version=entry.version,
        op=entry.op,
        body=body,
        body_hash=entry.body_hash,
        prev=entry.prev,
        hash=entry.hash,
    )


def entry_wire(row: FedEntry) -> LogEntry:
    """The wire form of a stored entry, served verbatim (a compacted body stays null).

    Built without validation: every stored entry was a valid `LogEntry` when it was written
    (our own, or verified on arrival), and validating each body again was most of the cost
    of serving a page.
    """
    op: Literal["upsert", "delete"] = "delete" if row.op == "delete" else "upsert"
    return LogEntry.model_construct(
        origin=row.origin,
        seq=row.seq,
        kind=row.kind,
        id=row.record_id,
        version=row.version,
        op=op,
        body=None if row.body is None else json.loads(row.body),
        body_hash=row.body_hash,
        prev=row.prev,
        hash=row.hash,
    )


def checkpoint_row(cp: Checkpoint) -> FedCheckpoint:
    return FedCheckpoint(
        origin=cp.origin,
        seq=cp.seq,
        head=cp.head,
        key_id=cp.key_id,
        signed_at=cp.signed_at,
        signature=cp.signature,
    )


def checkpoint_wire(row: FedCheckpoint) -> Checkpoint:
    return Checkpoint(
        origin=row.origin,
        seq=row.seq,
        head=row.head,
        key_id=row.key_id,
        signed_at=row.signed_at,
        signature=row.signature,
    )


def compact(session: Session, *, origin: str, kind: str, record_id: str, before_seq: int) -> int:
    """Drop the bodies of a record's entries older than `before_seq`; return how many.

    Federation's own kinds are never compacted: an origin's identity (entry 1) and its key
    rotations are what lets a newcomer verify a relayed log from the start.
    """
    if kind.startswith(RESERVED_PREFIX):
        return 0
    result = session.execute(
        update(FedEntry)
        .where(
            FedEntry.origin == origin,
            FedEntry.kind == kind,
            FedEntry.record_id == record_id,
            FedEntry.seq < before_seq,
            FedEntry.body.is_not(None),
        )
        .values(body=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class LogWriter:
    """Appends this node's shared changes to its own log, in the caller's transaction."""

    def __init__(
        self,
        origin: str,
        *,
        signer: Callable[[], KeyPair],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.origin = origin
        self._signer = signer
        self._clock = clock

    def append(
        self,
        session: Session,
        *,
        kind: str,
        record_id: str,
        version: int,
        body: dict[str, Any] | None,
    ) -> LogEntry:
        """Append an upsert (`body` given) or a tombstone (`body` None) of a record.

        Call it in the transaction that makes the domain change, so both commit or neither.
        Earlier bodies of the record are compacted away: only the live body is kept.
        """
        if kind.startswith(RESERVED_PREFIX):
            raise ValueError(f"kind {kind!r} is reserved for federation itself")
        return self._append(session, kind=kind, record_id=record_id, version=version, body=body)

    def ensure_genesis(self, session: Session, identity: IdentityDocument) -> None:
        """Start the own log with the identity document, or log the identity if it changed."""
        origin = session.get(FedOrigin, self.origin, with_for_update=True)
        if origin is None:
            origin = FedOrigin(slug=self.origin, head_seq=0, head_hash=GENESIS, blocked=False)
            session.add(origin)
        origin.name, origin.url, origin.territory = identity.name, identity.url, identity.territory
        if not origin.keys:
            origin.keys = keyset_from_identity(identity)
        session.flush()
        body = identity.model_dump(mode="json")
        latest = session.scalars(
            select(FedEntry)
            .where(FedEntry.origin == self.origin, FedEntry.kind == NODE_KIND)
            .order_by(FedEntry.seq.desc())
            .limit(1)
        ).first()
        if latest is not None and latest.body == canonical_bytes(body).decode("utf-8"):
            return
        version = 1 if latest is None else latest.version + 1
        self._append(session, kind=NODE_KIND, record_id=self.origin, version=version, body=body)

    def append_internal(
        self, session: Session, *, kind: str, record_id: str, version: int, body: dict[str, Any]
    ) -> LogEntry:
        """Append one of federation's own entries (key rotation, identity update)."""
        return self._append(session, kind=kind, record_id=record_id, version=version, body=body)

    def checkpoint_at(self, session: Session, seq: int) -> Checkpoint:
        """A checkpoint over the own log at `seq`, signed now by the current key if needed.

        A stored one is reused while it is signed by the current key; after a rotation the
        page end is re-signed, so direct peers, who pin only the current key, can verify it.
        """
        pair = self._signer()
        stored = session.get(FedCheckpoint, (self.origin, seq))
        if stored is not None and stored.key_id == pair.key_id:
            return checkpoint_wire(stored)
        entry = session.get(FedEntry, (self.origin, seq))
        head = GENESIS if entry is None else entry.hash
        cp = sign_checkpoint(
            pair, origin=self.origin, seq=seq, head=head, signed_at=int(self._clock())
        )
        try:
            with session.begin_nested():
                if stored is not None:
                    session.delete(stored)
                    session.flush()
                session.add(checkpoint_row(cp))
        except IntegrityError:
            pass  # another request signed this page end at the same moment; both are valid
        return cp

    def _append(
        self,
        session: Session,
        *,
        kind: str,
        record_id: str,
        version: int,
        body: dict[str, Any] | None,
    ) -> LogEntry:
        # The row lock serialises concurrent appenders on PostgreSQL; SQLite has one writer.
        origin = session.get(FedOrigin, self.origin, with_for_update=True)
        if origin is None:
            raise RuntimeError("the own log has no genesis yet: call ensure_genesis first")
        entry = build_entry(
            origin=self.origin,
            seq=origin.head_seq + 1,
            kind=kind,
            record_id=record_id,
            version=version,
            op="delete" if body is None else "upsert",
            body=body,
            prev_hash=origin.head_hash,
        )
        session.add(entry_row(entry))
        compact(session, origin=self.origin, kind=kind, record_id=record_id, before_seq=entry.seq)
        origin.head_seq, origin.head_hash = entry.seq, entry.hash
        session.flush()
        return entry
