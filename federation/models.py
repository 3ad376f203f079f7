"""The federation tables (prefixed `fed_`), on metadata of their own the node's Alembic adds."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from federation.chain import GENESIS
from federation.columns import NAMING, JSONType, UTCDateTime


class FedBase(DeclarativeBase):
    """Base of the federation tables; separate from the node's so federation never imports it."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[dict[str, Any]]: JSONType,
    }


class FedOrigin(FedBase):
    """An origin whose log this node holds (itself included), how far, and its keys."""

    __tablename__ = "fed_origins"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    territory: Mapped[str] = mapped_column(String(200), default="")
    # [{"id", "public_key_pem", "revoked_at"?: unix seconds}], learned from the origin's log.
    keys: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    head_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
    blocked: Mapped[bool] = mapped_column(default=False)
    via_peer: Mapped[str | None] = mapped_column(String(64))
    last_applied_at: Mapped[datetime | None]


class FedEntry(FedBase):
    """One entry of an origin's log; `body` is canonical JSON text, NULL once compacted."""

    __tablename__ = "fed_entries"
    # With seq last, "the latest entry of a record" is one index probe, not a log scan.
    __table_args__ = (Index("ix_fed_entries_record", "origin", "kind", "record_id", "seq"),)

    origin: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(BigInteger)
    op: Mapped[str] = mapped_column(String(10))
    body: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str] = mapped_column(String(64))
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class FedMissingBody(FedBase):
    """A record whose latest entry held here is an upsert that came without its body.

    Its body was either compacted by the relay because a later entry supersedes it (the row
    goes when that entry arrives) or withheld: until the body is fetched from another peer
    or the origin, the record keeps its previous state and the origin shows incomplete.
    """

    __tablename__ = "fed_missing_bodies"

    origin: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(100), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    via_peer: Mapped[str | None] = mapped_column(String(64))
    noted_at: Mapped[datetime]


class FedCheckpoint(FedBase):
    """An origin's signed checkpoint over its log at `seq`, kept so pages can be relayed."""

    __tablename__ = "fed_checkpoints"

    origin: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    head: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[str] = mapped_column(String(200))


class FedPeer(FedBase):
    """A node an admin accepted (or removed), its pinned keys and the health of its sync."""

    __tablename__ = "fed_peers"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    fingerprint: Mapped[str] = mapped_column(String(100))
    keys: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(20), default="active")
    added_at: Mapped[datetime]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]


class FedCursor(FedBase):
    """What a peer reported holding of an origin, and what we held after pulling it from them.

    `remote_seq` counts towards the lag; a claim whose page we refused does not, and is kept
    in `refused_*` instead (cleared once the peer's pages reach it). `went_back_*` flags a
    peer whose heads of the origin fell below what it claimed before."""

    __tablename__ = "fed_cursors"

    peer: Mapped[str] = mapped_column(String(64), primary_key=True)
    origin: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    remote_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime | None]
    refused_seq: Mapped[int | None] = mapped_column(BigInteger)
    refused_reason: Mapped[str | None] = mapped_column(String(64))
    refused_at: Mapped[datetime | None]
    went_back_from: Mapped[int | None] = mapped_column(BigInteger)
    went_back_at: Mapped[datetime | None]


class FedNonce(FedBase):
    """A request nonce already seen, kept until its signature expires (replay protection)."""

    __tablename__ = "fed_nonces"

    key_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(200), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class FedInbox(FedBase):
    """A message received from a peer: stored on receipt, processed later by its handler."""

    __tablename__ = "fed_inbox"
    __table_args__ = (UniqueConstraint("sender", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(200))
    sender: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(100))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    # pending -> handled | unhandled (no handler yet) | failed (handler kept raising)
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class FedOutbox(FedBase):
    """A message to a peer, retried with backoff until its inbox accepts it."""

    __tablename__ = "fed_outbox"
    __table_args__ = (UniqueConstraint("recipient", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class FedLeader(FedBase):
    """The scheduler's lease on SQLite: who leads, until when (PostgreSQL uses an advisory
    lock instead)."""

    __tablename__ = "fed_leader"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
