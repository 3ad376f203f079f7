"""Records whose latest entry came without its body: noting them, and fetching the body.

An upsert served without body is what a compacted entry looks like, so a relay could pass a
record's update on without its content and hold the update back. A receiver cannot tell at
once: the body may have been dropped because a later entry of the record supersedes it, and
that entry may be pages further on. So the applier notes every record whose latest entry
held here has no body (`fed_missing_bodies`); a later entry of the record clears the note,
and once a pull caught up with a peer the notes left are fetched again, from the origin and
the other peers, and accepted only if they hash to the body hash the chain covers
(`docs/protocol.md` §8.4).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

from pydantic import ValidationError
from sqlalchemy import Table, delete, func, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from federation.bulk import insert_rows
from federation.canonical import canonical_bytes, sha256_hex
from federation.errors import FederationError
from federation.models import FedEntry, FedMissingBody, FedOrigin, FedPeer
from schemas.federation import LogEntry, LogPage

if TYPE_CHECKING:
    from federation.apply import PageApplier

__all__ = [
    "BodyRecovery",
    "MissingBodies",
    "fetched_bodies",
    "missing_by_origin",
    "note_final_states",
    "sources",
]

log = logging.getLogger(__name__)

_IN_CHUNK = 300
"""Records per `IN (...)` list: (kind, id) pairs, well under SQLite's bound-parameter limit."""

_NOTES = cast(Table, FedMissingBody.__table__)
_NOTE_COLUMNS = ("origin", "kind", "record_id", "seq", "via_peer", "noted_at")


@dataclass(frozen=True)
class MissingBodies:
    """How many records of an origin wait for their body, and since when."""

    records: int
    since: datetime


def note_final_states(
    session: Session,
    *,
    origin: str,
    last: Mapping[tuple[str, str], LogEntry],
    via_peer: str,
    now: datetime,
) -> None:
    """Note the records whose final entry in an applied page is an upsert without body, and
    forget the notes of the records the page brought further (a body, a tombstone).

    The page's entries are newer than every entry held of these records, so their final
    entry here is their latest: one probe when the origin has no note (the usual case).
    """
    missing = [key for key, entry in last.items() if entry.op == "upsert" and entry.body is None]
    held = session.scalar(
        select(FedMissingBody.origin).where(FedMissingBody.origin == origin).limit(1)
    )
    if held is not None:
        keys = list(last)
        for start in range(0, len(keys), _IN_CHUNK):
            session.execute(
                delete(FedMissingBody)
                .where(
                    FedMissingBody.origin == origin,
                    tuple_(FedMissingBody.kind, FedMissingBody.record_id).in_(
                        keys[start : start + _IN_CHUNK]
                    ),
                )
                .execution_options(synchronize_session=False)
            )
    if missing:
        # Through the driver, as the entries are: a catch-up through a relay notes records
        # on most pages (their later entries are further on).
        insert_rows(
            session,
            _NOTES,
            _NOTE_COLUMNS,
            [
                (origin, kind, record_id, last[(kind, record_id)].seq, via_peer, now)
                for kind, record_id in missing
            ],
        )
        log.debug("%s served %d latest entries of %s without body", via_peer, len(missing), origin)


def missing_by_origin(session: Session) -> dict[str, MissingBodies]:
    """Per origin with notes, how many records wait for their body and the oldest note."""
    rows = session.execute(
        select(FedMissingBody.origin, func.count(), func.min(FedMissingBody.noted_at)).group_by(
            FedMissingBody.origin
        )
    )
    return {origin: MissingBodies(records=count, since=since) for origin, count, since in rows}


def sources(session: Session, *, origin: str, last_resort: Iterable[str]) -> list[str]:
    """The active peers to ask for bodies of `origin`: the origin itself first, the peers in
    `last_resort` (those that served the entries without body) last. A cursor says only how
    far a peer held the origin when last pulled, so none is skipped for being behind: one
    that does not hold that far answers an empty page."""
    active = session.scalars(select(FedPeer.slug).where(FedPeer.state == "active")).all()
    late = set(last_resort)
    return sorted(active, key=lambda p: (p != origin, p in late, p))


def fetched_bodies(page: LogPage, wanted: Mapping[int, str]) -> dict[int, str]:
    """The bodies `page` carries for the `wanted` entries (seq to the body hash held here),
    as canonical JSON text. Each must hash to the body hash of the entry held here, which the
    chain covers: no peer can slip another body in."""
    found: dict[int, str] = {}
    for entry in page.entries:
        digest = wanted.get(entry.seq)
        if digest is None or entry.body is None:
            continue
        try:
            data = canonical_bytes(entry.body)
        except ValueError:
            continue  # not canonicalisable, so not what the origin hashed
        if sha256_hex(data) != digest:
            log.warning(
                "a body offered for entry %d of %s does not match its hash", entry.seq, page.origin
            )
            continue
        found[entry.seq] = data.decode("utf-8")
    return found


Fetch = Callable[[str, str, int], LogPage]
"""`fetch(peer, origin, after)`: the peer's page of `origin` after seq `after`, parsed."""


class BodyRecovery:
    """Fetches the bodies of an origin's noted records from the origin or other peers, and
    applies each record it gets a verified body for."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        fetch: Fetch,
        applier: PageApplier,
        lock: threading.Lock,
    ) -> None:
        self._sessions = session_factory
        self._fetch = fetch
        self._applier = applier
        self._lock = lock

    def recover(self, origin: str, *, caught_up_at: int) -> int:
        """Fetch what is missing of `origin` once we hold it up to `caught_up_at` (a peer's
        head, so what is noted now is not just waiting for the rest of that peer's log);
        return how many records got their body."""
        with self._sessions() as session:
            notes = session.execute(
                select(FedMissingBody.seq, FedEntry.body_hash, FedMissingBody.via_peer)
                .join(FedEntry, FedEntry.seq == FedMissingBody.seq)
                .where(FedMissingBody.origin == origin, FedEntry.origin == origin)
            ).all()
            if not notes:
                return 0
            held = session.scalar(select(FedOrigin.head_seq).where(FedOrigin.slug == origin))
            if held is None or held < caught_up_at:
                return 0
            wanted = {seq: digest for seq, digest, _via in notes}
            askable = sources(
                session,
                origin=origin,
                last_resort={via for _seq, _digest, via in notes if via is not None},
            )
        found: dict[int, str] = {}
        for peer in askable:
            found |= self._ask(peer, origin, {s: d for s, d in wanted.items() if s not in found})
            if len(found) == len(wanted):
                break
        if len(found) < len(wanted):
            log.warning(
                "%d record(s) of %s held back: no peer served the body of their latest entry "
                "(it came from %s)",
                len(wanted) - len(found),
                origin,
                ", ".join(sorted({via for _s, _d, via in notes if via is not None})) or "?",
            )
        if not found:
            return 0
        with self._lock, self._sessions() as session, session.begin():
            applied = sum(
                self._applier.apply_fetched_body(session, origin=origin, seq=seq, body=body)
                for seq, body in sorted(found.items())
            )
        log.info("%d body(ies) of %s fetched and applied", applied, origin)
        return applied

    def _ask(self, peer: str, origin: str, wanted: dict[int, str]) -> dict[int, str]:
        """The bodies `peer` serves of the `wanted` entries: pages from the first one on,
        skipping what a page covered; a peer that fails is left for the next one."""
        found: dict[int, str] = {}
        remaining = sorted(wanted)
        while remaining:
            try:
                page = self._fetch(peer, origin, remaining[0] - 1)
            except (FederationError, ValidationError) as exc:
                log.info("could not ask %s for bodies of %s: %s", peer, origin, exc)
                break
            if page.origin != origin or not page.entries or page.entries[-1].seq < remaining[0]:
                break
            found |= fetched_bodies(page, {s: wanted[s] for s in remaining})
            end = page.entries[-1].seq
            remaining = [s for s in remaining if s > end]
        return found
