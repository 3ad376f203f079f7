"""The read side of the protocol: which entries and checkpoint make a page, and the heads."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.gcpause import gc_paused
from federation.log import LogWriter, checkpoint_wire, entry_wire
from federation.models import FedCheckpoint, FedEntry, FedOrigin
from schemas.federation import Checkpoint, Heads, LogPage, OriginHead

__all__ = ["read_heads", "read_page"]


def read_heads(session: Session, *, node: str, checkpoints: bool = True) -> Heads:
    """Every origin log this node holds and serves (blocked ones excepted), and how far.

    A notify's heads leave the checkpoints out (`checkpoints=False`): a puller does not need
    them to ask for pages, and reading them costs one query per origin."""
    origins = session.scalars(
        select(FedOrigin)
        .where(FedOrigin.blocked.is_(False), FedOrigin.head_seq > 0)
        .order_by(FedOrigin.slug)
    ).all()
    heads = []
    for origin in origins:
        cp = (
            None
            if not checkpoints
            else session.scalars(
                select(FedCheckpoint)
                .where(FedCheckpoint.origin == origin.slug)
                .order_by(FedCheckpoint.seq.desc())
                .limit(1)
            ).first()
        )
        heads.append(
            OriginHead(
                origin=origin.slug,
                seq=origin.head_seq,
                head=origin.head_hash,
                checkpoint=None if cp is None else checkpoint_wire(cp),
            )
        )
    return Heads(node=node, origins=heads)


def read_page(
    session: Session, *, origin: FedOrigin, after: int, limit: int, writer: LogWriter
) -> LogPage:
    """Entries of `origin` after `after`, ending at a checkpoint.

    Our own log is signed wherever the page ends. A relayed log can only end where its origin
    signed: at the largest checkpoint we hold within the limit, else the first one beyond it.
    """
    if origin.slug == writer.origin:
        end = min(after + limit, origin.head_seq)
        if end < after:
            return LogPage(origin=origin.slug, entries=[], checkpoint=None, head_seq=end)
        return _page(session, origin, after, end, writer.checkpoint_at(session, end))
    cp = session.scalars(
        select(FedCheckpoint)
        .where(
            FedCheckpoint.origin == origin.slug,
            FedCheckpoint.seq > after,
            FedCheckpoint.seq <= after + limit,
        )
        .order_by(FedCheckpoint.seq.desc())
        .limit(1)
    ).first()
    if cp is None:
        first_beyond = session.scalar(
            select(func.min(FedCheckpoint.seq)).where(
                FedCheckpoint.origin == origin.slug, FedCheckpoint.seq > after
            )
        )
        if first_beyond is not None:
            cp = session.get(FedCheckpoint, (origin.slug, first_beyond))
    if cp is None:
        held = session.get(FedCheckpoint, (origin.slug, after))
        checkpoint = None if held is None else checkpoint_wire(held)
        return LogPage(
            origin=origin.slug, entries=[], checkpoint=checkpoint, head_seq=origin.head_seq
        )
    return _page(session, origin, after, cp.seq, checkpoint_wire(cp))


def _page(
    session: Session, origin: FedOrigin, after: int, end: int, checkpoint: Checkpoint
) -> LogPage:
    with gc_paused():
        rows = session.scalars(
            select(FedEntry)
            .where(FedEntry.origin == origin.slug, FedEntry.seq > after, FedEntry.seq <= end)
            .order_by(FedEntry.seq)
        ).all()
        return LogPage(
            origin=origin.slug,
            entries=[entry_wire(row) for row in rows],
            checkpoint=checkpoint,
            head_seq=origin.head_seq,
        )
