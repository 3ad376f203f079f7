"""Verifying a pulled log page against its origin's keys and applying it in one transaction."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from federation.bodies import note_final_states
from federation.bulk import insert_rows
from federation.chain import GENESIS, verify_page
from federation.errors import (
    BadCheckpoint,
    BrokenChain,
    ChainError,
    FederationError,
    RecordTooLarge,
)
from federation.gcpause import gc_paused
from federation.log import checkpoint_row, entry_wire
from federation.models import FedCheckpoint, FedEntry, FedMissingBody, FedOrigin, FedPeer
from federation.registry import (
    KEYS_KIND,
    NODE_KIND,
    RESERVED_PREFIX,
    BatchRecordKind,
    Registry,
    Upsert,
)
from federation.trust import KeySet, add_rotation, checkpoint_resolver, keyset_from_identity
from schemas.federation import IdentityDocument, KeyRotation, LogEntry, LogPage
from schemas.shared import MAX_BODY_BYTES, OverLimit, check_limits

__all__ = ["OriginBlocked", "PageApplier", "PageGap", "PageResult"]


class OriginBlocked(FederationError):
    """An admin blocked this origin: its entries are refused, even relayed."""

    reason = "blocked_origin"
    status = 403


class PageGap(ChainError):
    """The page starts beyond what we hold of the origin, so it cannot be linked yet."""

    reason = "page_gap"


class OwnOrigin(ChainError):
    """A peer offered entries of our own log, which only we may write."""

    reason = "own_origin"


@dataclass(frozen=True)
class PageResult:
    """What applying a page changed."""

    origin: str
    applied: int
    head_seq: int
    purged: bool


class PageApplier:
    """Checks a page end to end, then applies its new entries; a refused page changes nothing."""

    def __init__(
        self, *, own_slug: str, registry: Registry, clock: Callable[[], float] = time.time
    ) -> None:
        self._own = own_slug
        self._registry = registry
        self._clock = clock

    def apply_page(self, session: Session, page: LogPage, *, via_peer: str) -> PageResult:
        """Verify `page` and apply what it adds to our copy of its origin, in `session`.

        The caller commits. Entries we already hold must be the ones we hold (else the
        origin forked, or a relay lies), so a page applied twice changes nothing.
        """
        with gc_paused():
            return self._apply_page(session, page, via_peer=via_peer)

    def _apply_page(self, session: Session, page: LogPage, *, via_peer: str) -> PageResult:
        origin = page.origin
        if origin == self._own:
            raise OwnOrigin("a peer offered entries of our own log")
        row = session.get(FedOrigin, origin, with_for_update=True)
        if row is not None and row.blocked:
            raise OriginBlocked(f"origin {origin!r} is blocked on this node")
        held_seq = row.head_seq if row is not None else 0
        held_hash = row.head_hash if row is not None else GENESIS
        entries = page.entries
        if not entries:
            return PageResult(origin=origin, applied=0, head_seq=held_seq, purged=False)
        if page.checkpoint is None:
            raise BadCheckpoint("a page with entries must end at a checkpoint")
        start = entries[0].seq - 1
        if start > held_seq:
            raise PageGap(f"page starts after seq {start}, we hold {origin!r} up to {held_seq}")
        after_hash = held_hash if start == held_seq else self._hash_at(session, origin, start)
        keys = self._page_keys(row.keys if row is not None else [], entries, held_seq, origin)
        bodies = verify_page(
            entries,
            origin=origin,
            after_seq=start,
            after_hash=after_hash,
            checkpoint=page.checkpoint,
            resolve_key=checkpoint_resolver(keys, signed_at=page.checkpoint.signed_at),
        )
        self._check_overlap(session, entries, held_seq)
        fresh = [(e, body) for e, body in zip(entries, bodies, strict=True) if e.seq > held_seq]
        _check_bounds(fresh)
        new = [e for e, _body in fresh]
        if not new:
            return PageResult(origin=origin, applied=0, head_seq=held_seq, purged=False)
        if row is None:
            row = FedOrigin(slug=origin, head_seq=0, head_hash=GENESIS, blocked=False, keys=[])
            session.add(row)
        last = _final_states(new)
        superseded = _superseded_in_page(new, last)
        session.flush()
        # Before the insert, every stored entry of these records is older than the page.
        purged = self._compact_stored(session, origin, last)
        texts = {e.seq: body.decode("utf-8") for e, body in fresh if body is not None}
        insert_rows(
            session,
            _ENTRIES,
            _ENTRY_COLUMNS,
            [
                _entry_values(e, None if e.seq in superseded else texts.get(e.seq))
                for e, _b in fresh
            ],
        )
        purged = self._apply_records(session, origin, last, texts) or purged or bool(superseded)
        note_final_states(session, origin=origin, last=last, via_peer=via_peer, now=self._now())
        if session.get(FedCheckpoint, (origin, page.checkpoint.seq)) is None:
            session.add(checkpoint_row(page.checkpoint))
        if keys != row.keys:
            row.keys = keys
            peer = session.get(FedPeer, origin)
            if peer is not None:
                # A direct peer signs its messages with the key its log rotated to.
                peer.keys = keys
        row.head_seq, row.head_hash = new[-1].seq, new[-1].hash
        row.via_peer = via_peer
        row.last_applied_at = self._now()
        session.flush()
        return PageResult(origin=origin, applied=len(new), head_seq=row.head_seq, purged=purged)

    def apply_fetched_body(self, session: Session, *, origin: str, seq: int, body: str) -> bool:
        """Store the body of entry `seq`, fetched for a record noted without one, and apply
        the record; whether it was still the record's latest entry (else nothing changes).

        `body` is canonical JSON text the caller checked against the entry's body hash. The
        record's older bodies are dropped now that its latest one is held (§5.7).
        """
        row = session.get(FedEntry, (origin, seq))
        if row is None or row.body is not None:
            return False
        note = session.get(FedMissingBody, (origin, row.kind, row.record_id))
        if note is None or note.seq != seq:
            return False
        entry = entry_wire(row).model_copy(update={"body": json.loads(body)})
        final = {(row.kind, row.record_id): entry}
        self._compact_stored(session, origin, final)
        row.body = body
        self._apply_records(session, origin, final, {seq: body})
        session.delete(note)
        session.flush()
        return True

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _page_keys(
        self, held: KeySet, entries: Sequence[LogEntry], held_seq: int, origin: str
    ) -> KeySet:
        """The origin's keys at the page end: a newcomer takes them from entry 1 (vouched for
        by the relaying peer), and each rotation must be signed by the key it replaces."""
        keys = list(held)
        for entry in entries:
            if entry.seq <= held_seq:
                continue
            if entry.kind == NODE_KIND and entry.seq == 1 and not keys:
                keys = keyset_from_identity(_model(IdentityDocument, entry))
            elif entry.kind == KEYS_KIND:
                rotation = _model(KeyRotation, entry)
                if not _knows(keys, rotation):
                    keys = add_rotation(keys, rotation, origin=origin)
        return keys

    def _compact_stored(
        self, session: Session, origin: str, last: dict[tuple[str, str], LogEntry]
    ) -> bool:
        """Drop the stored bodies the page supersedes: a few batched UPDATEs, not one per
        record (the rows `compact` drops record by record); whether any body was dropped.

        Called before the page is inserted, so it needs no `seq` bound: with one, planners
        may scan the origin's whole log by primary key instead of using the record index.
        """
        by_kind: dict[str, list[str]] = {}
        for (kind_name, record_id), entry in last.items():
            if _compactable(kind_name, entry):
                by_kind.setdefault(kind_name, []).append(record_id)
        dropped = 0
        for kind_name, ids in by_kind.items():
            for start in range(0, len(ids), _IN_CHUNK):
                result = session.execute(
                    update(FedEntry)
                    .where(
                        FedEntry.origin == origin,
                        FedEntry.kind == kind_name,
                        FedEntry.record_id.in_(ids[start : start + _IN_CHUNK]),
                        FedEntry.body.is_not(None),
                    )
                    .values(body=None)
                    .execution_options(synchronize_session=False)
                )
                dropped += int(getattr(result, "rowcount", 0) or 0)
        return dropped > 0

    def _apply_records(
        self,
        session: Session,
        origin: str,
        last: dict[tuple[str, str], LogEntry],
        texts: dict[int, str],
    ) -> bool:
        """Hand each record's final state in the page to its kind (upserts of a kind that
        can batch them in one call, with the bodies' canonical `texts` by seq); whether a
        record was deleted."""
        purged = False
        batches: dict[str, list[Upsert]] = {}
        batchable: dict[str, bool] = {}  # a runtime Protocol check is slow: once per kind
        for (kind_name, record_id), entry in last.items():
            if entry.op == "upsert" and entry.body is None:
                continue  # superseded further on in the log: the live body comes later
            purged = purged or entry.op == "delete"
            if kind_name == NODE_KIND:
                self._update_identity(session, origin, entry)
                continue
            kind = self._registry.get(kind_name)
            if kind is None:
                continue  # unknown kind: stored and relayed, applied by no one here
            batch = batchable.get(kind_name)
            if batch is None:
                batch = batchable[kind_name] = isinstance(kind, BatchRecordKind)
            if entry.op == "delete":
                kind.remove(session, origin=origin, record_id=record_id)
            elif batch:
                assert entry.body is not None
                batches.setdefault(kind_name, []).append(
                    Upsert(record_id, entry.version, dict(entry.body), texts.get(entry.seq))
                )
            else:
                assert entry.body is not None
                kind.apply(
                    session,
                    origin=origin,
                    record_id=record_id,
                    version=entry.version,
                    body=dict(entry.body),
                )
        for kind_name, records in batches.items():
            batch_kind = self._registry.get(kind_name)
            assert isinstance(batch_kind, BatchRecordKind)
            batch_kind.apply_many(session, origin=origin, records=records)
        return purged

    def _update_identity(self, session: Session, origin: str, entry: LogEntry) -> None:
        if entry.op != "upsert" or entry.id != origin:
            return
        identity = _model(IdentityDocument, entry)
        row = session.get(FedOrigin, origin)
        if row is not None:
            row.name, row.url, row.territory = identity.name, identity.url, identity.territory

    @staticmethod
    def _hash_at(session: Session, origin: str, seq: int) -> str:
        if seq == 0:
            return GENESIS
        found = session.scalar(
            select(FedEntry.hash).where(FedEntry.origin == origin, FedEntry.seq == seq)
        )
        if found is None:
            raise PageGap(f"we hold no entry {seq} of {origin!r} to link the page to")
        return found

    @staticmethod
    def _check_overlap(session: Session, entries: Sequence[LogEntry], held_seq: int) -> None:
        old = [e for e in entries if e.seq <= held_seq]
        if not old:
            return
        rows = session.execute(
            select(FedEntry.seq, FedEntry.hash).where(
                FedEntry.origin == old[0].origin,
                FedEntry.seq >= old[0].seq,
                FedEntry.seq <= old[-1].seq,
            )
        )
        stored = {seq: digest for seq, digest in rows}
        for entry in old:
            if stored.get(entry.seq) != entry.hash:
                raise BrokenChain(f"entry {entry.seq} differs from the one we hold (a fork)")


_IN_CHUNK = 500
"""Record ids per `IN (...)` list: well under SQLite's bound-parameter limit."""

_ENTRIES = cast(Table, FedEntry.__table__)
"""Entries are inserted through the driver (`insert_rows`), not the ORM."""


def _final_states(new: Sequence[LogEntry]) -> dict[tuple[str, str], LogEntry]:
    """Each record's last entry in the page, in the order of those last entries."""
    last: dict[tuple[str, str], LogEntry] = {}
    for entry in new:
        last.pop((entry.kind, entry.id), None)  # re-insert so order follows the last seq
        last[(entry.kind, entry.id)] = entry
    return last


def _compactable(kind_name: str, entry: LogEntry) -> bool:
    """Whether a record's final entry compacts its older bodies (see `log.compact`)."""
    if entry.op == "upsert" and entry.body is None:
        return False  # superseded further on in the log: the live body comes later
    return not kind_name.startswith(RESERVED_PREFIX)


def _superseded_in_page(new: Sequence[LogEntry], last: dict[tuple[str, str], LogEntry]) -> set[int]:
    """Seqs of the page's entries whose body a later entry of the same page compacts."""
    return {
        e.seq
        for e in new
        if e.body is not None
        and _compactable(e.kind, final := last[(e.kind, e.id)])
        and e.seq < final.seq
    }


_ENTRY_COLUMNS = (
    "origin",
    "seq",
    "kind",
    "record_id",
    "version",
    "op",
    "body",
    "body_hash",
    "prev",
    "hash",
)


def _entry_values(entry: LogEntry, body: str | None) -> tuple[Any, ...]:
    """The `fed_entries` row of `entry` (as `log.entry_row` makes it) in `_ENTRY_COLUMNS`
    order: `body` is its canonical body as verified, or None when compacted or a tombstone."""
    return (
        entry.origin,
        entry.seq,
        entry.kind,
        entry.id,
        entry.version,
        entry.op,
        body,
        entry.body_hash,
        entry.prev,
        entry.hash,
    )


def _check_bounds(fresh: Sequence[tuple[LogEntry, bytes | None]]) -> None:
    """Refuse the page when one of its new records is over a bound: the body's size, or a
    field limit of its kind (the local API's). Messages name the entry, never its text."""
    for entry, body in fresh:
        if body is None or entry.body is None:
            continue
        if len(body) > MAX_BODY_BYTES:
            raise RecordTooLarge(
                f"entry {entry.seq} ({entry.kind!r}): a body of {len(body)} bytes,"
                f" more than {MAX_BODY_BYTES}"
            )
        try:
            check_limits(entry.kind, entry.body)
        except OverLimit as exc:
            raise RecordTooLarge(f"entry {entry.seq}: {exc}") from None


def _knows(keys: KeySet, rotation: KeyRotation) -> bool:
    """Whether the rotation was already followed (a peer's identity document taught it)."""
    return any(
        k["id"] == rotation.new_key.id and k["public_key_pem"] == rotation.new_key.public_key_pem
        for k in keys
    )


def _model(model: type[Any], entry: LogEntry) -> Any:
    """Parse a federation-internal entry's body; a missing or invalid one refuses the page."""
    if entry.body is None:
        raise BadCheckpoint(f"entry {entry.seq} ({entry.kind}) lost the body it must carry")
    try:
        return model.model_validate(entry.body)
    except ValidationError as exc:
        # The error's text quotes the peer's input: say where, not what.
        raise BadCheckpoint(
            f"entry {entry.seq} ({entry.kind}) is not valid: {exc.error_count()} invalid field(s)"
        ) from None
