"""The dashboard: what changed in the archipelago since an account's last visit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.db import write_beside
from node.models import AccountVisit, DirectoryCard, NetworkResource, NetworkTourDate, TourDate
from node.services.browse import bureau_cities
from node.text import fold

# A gap longer than this between two page views starts a new visit.
VISIT_GAP = timedelta(minutes=30)
# Views closer than this to the last one noted are not written down again.
VISIT_NOTED = timedelta(minutes=1)
# What a first visit looks back on.
FIRST_VISIT_WINDOW = timedelta(days=30)
SHOWN = 8


@dataclass(frozen=True)
class News:
    """What the dashboard shows."""

    since: datetime
    new_cards: Sequence[DirectoryCard]
    dates_nearby: Sequence[NetworkTourDate]
    new_resources: Sequence[NetworkResource]
    next_dates: Sequence[TourDate]


def record_visit(session: Session, *, account_id: str, now: datetime | None = None) -> datetime:
    """Note that the account is looking now; return the start of its previous visit.

    The dashboard is a read: the visit is noted beside it (`write_beside`), at most once a
    minute, and skipped when the database is busy (the visit then counts at the next view).
    """
    now = now or datetime.now(UTC)
    visit = session.get(AccountVisit, account_id)
    if visit is None:
        since = now - FIRST_VISIT_WINDOW
    else:
        since = (
            visit.last_seen_at if now - visit.last_seen_at > VISIT_GAP else visit.previous_at
        ) or now - FIRST_VISIT_WINDOW
        if now - visit.last_seen_at < VISIT_NOTED:
            return since

    def note(writing: Session) -> None:
        row = writing.get(AccountVisit, account_id)
        if row is None:
            writing.add(AccountVisit(account_id=account_id, last_seen_at=now, previous_at=None))
            return
        if now - row.last_seen_at > VISIT_GAP:
            row.previous_at = row.last_seen_at
        row.last_seen_at = now

    write_beside(session, note)
    return since


def news(session: Session, *, own: str, since: datetime, now: datetime | None = None) -> News:
    """Cards, dates coming to the bureau's cities and resources other bureaus added since."""
    now = now or datetime.now(UTC)
    cards = session.scalars(
        select(DirectoryCard)
        .where(DirectoryCard.origin != own, DirectoryCard.received_at > since)
        .order_by(DirectoryCard.received_at.desc())
        .limit(SHOWN)
    ).all()
    cities = bureau_cities(session)
    upcoming = session.scalars(
        select(NetworkTourDate)
        .where(
            NetworkTourDate.origin != own,
            NetworkTourDate.starts_at >= now,
            NetworkTourDate.received_at > since,
        )
        .order_by(NetworkTourDate.starts_at)
        .limit(500)
    ).all()
    nearby = [d for d in upcoming if fold(d.city) in cities][:SHOWN]
    resources = session.scalars(
        select(NetworkResource)
        .where(NetworkResource.origin != own, NetworkResource.received_at > since)
        .order_by(NetworkResource.received_at.desc())
        .limit(SHOWN)
    ).all()
    mine = session.scalars(
        select(TourDate)
        .where(TourDate.starts_at >= now, TourDate.status != "cancelled")
        .order_by(TourDate.starts_at)
        .limit(SHOWN)
    ).all()
    return News(since, cards, nearby, resources, mine)
