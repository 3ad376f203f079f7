"""Origin logs for the benchmarks, built with the same chain and checkpoints an origin writes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from federation.canonical import canonical_bytes
from federation.chain import GENESIS, build_entry, sign_checkpoint
from federation.keys import KeyPair, generate_keypair
from federation.models import FedEntry, FedOrigin
from federation.registry import NODE_KIND
from schemas import shared
from schemas.federation import IdentityDocument, LogEntry, LogPage, PublicKey


@dataclass
class OriginLog:
    """An origin's log held in memory: its key, its entries, and pages cut at checkpoints."""

    slug: str
    pair: KeyPair
    entries: list[LogEntry]

    def pages(self, limit: int) -> list[LogPage]:
        """The log cut into pages of `limit` entries, each ending at a signed checkpoint."""
        out = []
        now = int(time.time())
        for start in range(0, len(self.entries), limit):
            chunk = self.entries[start : start + limit]
            last = chunk[-1]
            cp = sign_checkpoint(
                self.pair, origin=self.slug, seq=last.seq, head=last.hash, signed_at=now
            )
            out.append(
                LogPage(origin=self.slug, entries=chunk, checkpoint=cp, head_seq=len(self.entries))
            )
        return out


def card_entries(
    origin: str, bodies: Sequence[dict[str, Any]], *, after_seq: int, after_hash: str
) -> list[LogEntry]:
    """Upserts of one card per body, chained after (`after_seq`, `after_hash`)."""
    entries = []
    prev = after_hash
    for i, body in enumerate(bodies):
        seq = after_seq + 1 + i
        entry = build_entry(
            origin=origin,
            seq=seq,
            kind=shared.KIND_CARD,
            record_id=f"m{seq:07d}",
            version=1,
            op="upsert",
            body=body,
            prev_hash=prev,
        )
        entries.append(entry)
        prev = entry.hash
    return entries


def origin_log(slug: str, territory: str, bodies: Sequence[dict[str, Any]]) -> OriginLog:
    """A whole log of a (simulated) origin: its identity as entry 1, then its cards."""
    pair = generate_keypair(f"{slug}-k1")
    identity = IdentityDocument(
        slug=slug,
        name=f"Bureau de {slug.title()}",
        territory=territory,
        url=f"http://{slug}.bench.invalid",
        software_version="bench",
        keys=[PublicKey(id=pair.key_id, public_key_pem=pair.public_pem())],
    )
    genesis = build_entry(
        origin=slug,
        seq=1,
        kind=NODE_KIND,
        record_id=slug,
        version=1,
        op="upsert",
        body=identity.model_dump(mode="json"),
        prev_hash=GENESIS,
    )
    cards = card_entries(slug, bodies, after_seq=1, after_hash=genesis.hash)
    return OriginLog(slug=slug, pair=pair, entries=[genesis, *cards])


def extend_own_log(session: Session, origin: str, bodies: Sequence[dict[str, Any]]) -> int:
    """Append card upserts to a node's own log in bulk (one INSERT of many rows); new head.

    Only the origin's log is written, as its `LogWriter` would chain it; the benchmark needs
    the log a peer pulls, not the origin's own replica.
    """
    row = session.get(FedOrigin, origin)
    assert row is not None, "the node's genesis comes first"
    entries = card_entries(origin, bodies, after_seq=row.head_seq, after_hash=row.head_hash)
    batch = 5000
    for start in range(0, len(entries), batch):
        session.execute(
            insert(FedEntry),
            [
                {
                    "origin": e.origin,
                    "seq": e.seq,
                    "kind": e.kind,
                    "record_id": e.id,
                    "version": e.version,
                    "op": e.op,
                    "body": canonical_bytes(e.body).decode("utf-8") if e.body else None,
                    "body_hash": e.body_hash,
                    "prev": e.prev,
                    "hash": e.hash,
                }
                for e in entries[start : start + batch]
            ],
        )
    if entries:
        row.head_seq, row.head_hash = entries[-1].seq, entries[-1].hash
    return row.head_seq
