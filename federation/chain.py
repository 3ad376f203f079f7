"""The per-origin hash chain: entry hashes, signed checkpoints, and page verification.

An entry's hash covers its body's hash, never the body, so a body may be dropped from every
copy of the log (compaction, erasure) while the chain still verifies. One checkpoint signature
over the last hash vouches for a whole page of entries.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from json.encoder import encode_basestring
from typing import Any, Literal

from federation.canonical import INT_MAX, canonical_bytes, sha256_hex
from federation.errors import (
    BadCheckpoint,
    BadSignature,
    BodyHashMismatch,
    BrokenChain,
    OriginMismatch,
)
from federation.keys import KeyPair, KeyResolver, lookup_key, verify
from schemas.federation import Checkpoint, LogEntry

__all__ = [
    "EMPTY_BODY_HASH",
    "GENESIS",
    "body_hash",
    "build_entry",
    "checkpoint_payload",
    "entry_hash",
    "sign_checkpoint",
    "verify_checkpoint",
    "verify_page",
]

GENESIS = "0" * 64
"""The `prev` of an origin's first entry, and the head of an empty log."""

EMPTY_BODY_HASH = sha256_hex(b"")
"""The `body_hash` of a tombstone."""


def body_hash(body: dict[str, Any] | None) -> str:
    """SHA-256 hex of the body's canonical JSON; a tombstone (None) hashes the empty string."""
    if body is None:
        return EMPTY_BODY_HASH
    return sha256_hex(canonical_bytes(body))


def entry_hash(
    *,
    origin: str,
    seq: int,
    kind: str,
    record_id: str,
    version: int,
    op: str,
    body_hash: str,
    prev_hash: str,
) -> str:
    """SHA-256 hex of the canonical JSON of the entry's fields, its body's hash included."""
    text = [origin, kind, record_id, op, body_hash, prev_hash]
    if (
        all(type(value) is str for value in text)
        and type(seq) is int
        and type(version) is int
        and -INT_MAX <= seq <= INT_MAX
        and -INT_MAX <= version <= INT_MAX
    ):
        # The object's keys are fixed, so its RFC 8785 form is this template: keys in order,
        # strings escaped as the standard encoder (and so `canonical_bytes`) writes them.
        o, k, i, op_, b, p = map(encode_basestring, text)
        try:
            return sha256_hex(
                (
                    f'{{"body_hash":{b},"id":{i},"kind":{k},"op":{op_},'
                    f'"origin":{o},"prev":{p},"seq":{seq},"version":{version}}}'
                ).encode()
            )
        except UnicodeEncodeError:
            pass  # a lone surrogate: refused below, as `canonical_bytes` refuses it
    return sha256_hex(
        canonical_bytes(
            {
                "origin": origin,
                "seq": seq,
                "kind": kind,
                "id": record_id,
                "version": version,
                "op": op,
                "body_hash": body_hash,
                "prev": prev_hash,
            }
        )
    )


def build_entry(
    *,
    origin: str,
    seq: int,
    kind: str,
    record_id: str,
    version: int,
    op: Literal["upsert", "delete"],
    body: dict[str, Any] | None,
    prev_hash: str,
) -> LogEntry:
    """A new log entry with its body hash and hash computed."""
    if (op == "delete") != (body is None):
        raise ValueError("an upsert carries a body and a delete carries none")
    digest = body_hash(body)
    return LogEntry(
        origin=origin,
        seq=seq,
        kind=kind,
        id=record_id,
        version=version,
        op=op,
        body=body,
        body_hash=digest,
        prev=prev_hash,
        hash=entry_hash(
            origin=origin,
            seq=seq,
            kind=kind,
            record_id=record_id,
            version=version,
            op=op,
            body_hash=digest,
            prev_hash=prev_hash,
        ),
    )


def checkpoint_payload(*, origin: str, seq: int, head: str, key_id: str, signed_at: int) -> bytes:
    """The canonical JSON bytes a checkpoint's signature covers."""
    return canonical_bytes(
        {"origin": origin, "seq": seq, "head": head, "key_id": key_id, "signed_at": signed_at}
    )


def sign_checkpoint(
    pair: KeyPair, *, origin: str, seq: int, head: str, signed_at: int
) -> Checkpoint:
    """The origin's signature over its log head at `seq`."""
    payload = checkpoint_payload(
        origin=origin, seq=seq, head=head, key_id=pair.key_id, signed_at=signed_at
    )
    return Checkpoint(
        origin=origin,
        seq=seq,
        head=head,
        key_id=pair.key_id,
        signed_at=signed_at,
        signature=base64.b64encode(pair.sign(payload)).decode("ascii"),
    )


def verify_checkpoint(cp: Checkpoint, resolve_key: KeyResolver) -> None:
    """Return when `cp` is signed by the key it names; else raise `BadCheckpoint`.

    `resolve_key` must only know the keys of `cp.origin`; an unknown key id raises `UnknownKey`.
    """
    try:
        signature = base64.b64decode(cp.signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadCheckpoint("checkpoint signature is not base64") from exc
    public_key = lookup_key(resolve_key, cp.key_id)
    payload = checkpoint_payload(
        origin=cp.origin, seq=cp.seq, head=cp.head, key_id=cp.key_id, signed_at=cp.signed_at
    )
    try:
        verify(public_key, signature, payload)
    except BadSignature as exc:
        raise BadCheckpoint(f"checkpoint at seq {cp.seq} does not verify") from exc


def verify_page(
    entries: Sequence[LogEntry],
    *,
    origin: str,
    after_seq: int,
    after_hash: str,
    checkpoint: Checkpoint,
    resolve_key: KeyResolver,
) -> list[bytes | None]:
    """Check that `entries` continue `origin`'s chain from `after_seq` up to `checkpoint`.

    Checks that every entry is `origin`'s, that seqs run on from `after_seq + 1`, that each
    `prev` links and each hash recomputes, that each present body matches its `body_hash` (an
    upsert whose body was compacted away has none), that a delete carries no body, and that
    the checkpoint is `origin`'s signature over the last entry. An empty page must end at
    `after_seq`/`after_hash`. Raises a `ChainError` subclass (or `UnknownKey`) otherwise.

    Returns each entry's body as the canonical bytes its `body_hash` covers (None for a
    tombstone or a compacted body), so that storing it needs no second canonicalisation.
    """
    if checkpoint.origin != origin:
        raise OriginMismatch(f"checkpoint is {checkpoint.origin!r}'s, not {origin!r}'s")
    seq, head = after_seq, after_hash
    bodies: list[bytes | None] = []
    for entry in entries:
        if entry.origin != origin:
            raise OriginMismatch(f"entry {entry.seq} is {entry.origin!r}'s, not {origin!r}'s")
        if entry.seq != seq + 1:
            raise BrokenChain(f"expected seq {seq + 1}, got {entry.seq}")
        if entry.prev != head:
            raise BrokenChain(f"entry {entry.seq} does not link to the previous hash")
        recomputed = entry_hash(
            origin=entry.origin,
            seq=entry.seq,
            kind=entry.kind,
            record_id=entry.id,
            version=entry.version,
            op=entry.op,
            body_hash=entry.body_hash,
            prev_hash=entry.prev,
        )
        if recomputed != entry.hash:
            raise BrokenChain(f"entry {entry.seq} hash does not recompute")
        bodies.append(_check_body(entry))
        seq, head = entry.seq, entry.hash
    if checkpoint.seq != seq or checkpoint.head != head:
        raise BadCheckpoint(
            f"checkpoint is for seq {checkpoint.seq}, the page ends at seq {seq} or at another hash"
        )
    verify_checkpoint(checkpoint, resolve_key)
    return bodies


def _check_body(entry: LogEntry) -> bytes | None:
    """The canonical bytes of the entry's body, once checked against its `body_hash`."""
    if entry.op == "delete":
        if entry.body is not None or entry.body_hash != EMPTY_BODY_HASH:
            raise BodyHashMismatch(f"delete entry {entry.seq} carries a body")
        return None
    if entry.body is None:
        return None  # compacted: the body was dropped, its hash stays in the chain
    try:
        data = canonical_bytes(entry.body)
    except ValueError as exc:  # not canonicalisable, so not what the origin hashed
        raise BodyHashMismatch(f"entry {entry.seq} body cannot be canonicalised") from exc
    if sha256_hex(data) != entry.body_hash:
        raise BodyHashMismatch(f"entry {entry.seq} body does not match its body_hash")
    return data
