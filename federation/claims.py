"""What peers claim to hold of each origin: the cursors that lag is measured against.

A peer's heads are a claim until its pages verify. A claim whose page was refused does not
count towards the lag (it would raise the lag alert for as long as the peer repeats it): it
is kept on the cursor as refused, with the reason, until the peer's pages reach it. Heads
that fall below what the same peer claimed before (a restored backup, a rewritten log) are
flagged on the cursor, not silently taken.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.models import FedCursor, FedOrigin
from schemas.federation import Heads

__all__ = ["note_heads", "reached", "refuse_claim"]

log = logging.getLogger(__name__)


def note_heads(
    session: Session, *, peer: str, heads: Heads, own: str, now: datetime, only_forward: bool
) -> None:
    """Remember how far `peer` holds each origin, as its (signature-checked) heads say.

    With `only_forward`, a cursor's remote seq never moves back (the heads came with a
    notify, and pages applied since may have seen the peer further). A claim no greater than
    one refused before is not counted again."""
    cursors = {
        c.origin: c for c in session.scalars(select(FedCursor).where(FedCursor.peer == peer))
    }
    held: dict[str, int] | None = None  # read once, for all the new cursors
    for head in heads.origins:
        if head.origin == own:
            continue
        cursor = cursors.get(head.origin)
        if cursor is None:
            if held is None:
                rows = session.execute(select(FedOrigin.slug, FedOrigin.head_seq))
                held = {slug: seq for slug, seq in rows}
            cursor = FedCursor(peer=peer, origin=head.origin, seq=held.get(head.origin, 0))
            session.add(cursor)
        previous = cursor.remote_seq
        if not only_forward and previous is not None and head.seq < previous:
            log.warning(
                "%s's heads of %s went back from %d to %d", peer, head.origin, previous, head.seq
            )
            cursor.went_back_from = max(previous, cursor.went_back_from or 0)
            cursor.went_back_at = now
        elif cursor.went_back_from is not None and head.seq >= cursor.went_back_from:
            cursor.went_back_from = cursor.went_back_at = None
        cursor.updated_at = now
        if cursor.refused_seq is not None and head.seq <= cursor.refused_seq:
            continue  # the claim we refused: it stays out of the lag
        remote = head.seq
        if only_forward and previous is not None:
            remote = max(remote, previous)
        cursor.remote_seq = remote


def refuse_claim(
    session: Session, *, peer: str, origin: str, seq: int, reason: str, now: datetime
) -> None:
    """`peer` claimed `origin` up to `seq` and what it served for it was refused: the claim
    leaves the lag (the cursor falls back to what we hold) and is recorded as refused."""
    held_row = session.get(FedOrigin, origin)
    held = held_row.head_seq if held_row is not None else 0
    cursor = session.get(FedCursor, (peer, origin))
    if cursor is None:
        cursor = FedCursor(peer=peer, origin=origin, seq=held, remote_seq=held)
        session.add(cursor)
    cursor.remote_seq = min(cursor.remote_seq or 0, held)
    cursor.refused_seq = max(seq, cursor.refused_seq or 0)
    cursor.refused_reason, cursor.refused_at = reason, now


def reached(cursor: FedCursor, seq: int) -> None:
    """Pages of the peer verified up to `seq`: flags that seq answers are lifted."""
    if cursor.refused_seq is not None and seq >= cursor.refused_seq:
        cursor.refused_seq = cursor.refused_reason = cursor.refused_at = None
    if cursor.went_back_from is not None and seq >= cursor.went_back_from:
        cursor.went_back_from = cursor.went_back_at = None
