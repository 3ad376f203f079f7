"""Wire models of the federation protocol: identities, signed log pages, heads and messages.

Every model is strict (no coercion: `"1"` is not a sequence number), immutable, and keeps the
fields it does not know, so that a page from a newer peer is stored and relayed unchanged.
Timestamps (`signed_at`) are integer Unix seconds: a signed payload must serialise to the
same bytes on every node, which a datetime's many spellings would not guarantee.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "SCHEMA_VERSION",
    "Checkpoint",
    "Hash",
    "Heads",
    "IdentityDocument",
    "InboxMessage",
    "KeyRotation",
    "LogEntry",
    "LogPage",
    "Notify",
    "OriginHead",
    "PublicKey",
    "Slug",
]

SCHEMA_VERSION = 1

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
"""A node's short name (`lyon`): lowercase letters, digits, `-` and `_`."""

Hash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""A SHA-256 digest in lowercase hex."""

Seq = Annotated[int, Field(ge=0)]

# Bounds a peer's strings meet on arrival (the columns they are stored in): what does not
# fit is a malformed answer, refused before it reaches the database.
Kind = Annotated[str, StringConstraints(max_length=100)]
Name = Annotated[str, StringConstraints(max_length=200)]
Url = Annotated[str, StringConstraints(max_length=500)]


class WireModel(BaseModel):
    """Base of every wire model: strict, immutable, unknown fields kept."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


class PublicKey(WireModel):
    """One of a node's public keys, by the id its signatures name."""

    id: Name
    public_key_pem: Annotated[str, StringConstraints(max_length=1_000)]


class IdentityDocument(WireModel):
    """What `GET /federation/node` answers, and the first entry of a node's own log."""

    schema_version: int = SCHEMA_VERSION
    slug: Slug
    name: Name
    territory: Name
    url: Url
    software_version: Name
    keys: Annotated[list[PublicKey], Field(max_length=100)]


class LogEntry(WireModel):
    """One change in an origin's log; `body` is None for a tombstone or a compacted upsert."""

    origin: Slug
    seq: Annotated[int, Field(ge=1)]
    kind: Kind
    id: Name
    version: Seq
    op: Literal["upsert", "delete"]
    body: dict[str, Any] | None
    body_hash: Hash
    prev: Hash
    hash: Hash


class Checkpoint(WireModel):
    """The origin's signature over its log head; `signature` is base64."""

    origin: Slug
    seq: Seq
    head: Hash
    key_id: Name
    signed_at: int
    signature: Name


class LogPage(WireModel):
    """A run of one origin's entries after a cursor, with the checkpoint that covers them."""

    origin: Slug
    entries: list[LogEntry]
    checkpoint: Checkpoint | None
    head_seq: Seq


class OriginHead(WireModel):
    """How far a node holds one origin's log."""

    origin: Slug
    seq: Seq
    head: Hash
    checkpoint: Checkpoint | None


class Heads(WireModel):
    """Every origin log a node holds, and how far."""

    node: Slug
    origins: list[OriginHead]


class Notify(WireModel):
    """A hint that these origins' logs grew: pull them now."""

    origins: list[Slug]


class InboxMessage(WireModel):
    """A cross-bureau message; `idempotency_key` makes redelivery harmless."""

    id: Name
    kind: Kind
    sender: Slug
    recipient: Slug
    body: dict[str, Any]
    idempotency_key: Name


class KeyRotation(WireModel):
    """A new key announced under the signature (base64) of the key it replaces."""

    old_key_id: Name
    new_key: PublicKey
    signed_at: int
    signature: Name
