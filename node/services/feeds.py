"""iCalendar feeds (RFC 5545): a production's, the bureau's, a member's and the network's dates.

Each feed lives at a stable address carrying a secret token, so a phone's calendar can
subscribe without logging in; the token's owner can revoke it, which ends the address.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.models import FeedToken, NetworkTourDate, Organisation, Production, TeamMember, TourDate
from node.problems import DomainError, NotFound

KINDS = ("production", "bureau", "member", "network")
# Dates carry no end time; calendars show this much.
DEFAULT_LENGTH = timedelta(hours=2)
STATUS = {"option": "TENTATIVE", "confirmed": "CONFIRMED", "cancelled": "CANCELLED"}


@dataclass(frozen=True)
class Occurrence:
    """One date as a feed shows it, whichever bureau it comes from."""

    uid: str
    starts_at: datetime
    title: str
    city: str
    venue: str
    status: str
    changed_at: datetime


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise DomainError(
            f"unknown feed kind {kind!r}; one of {', '.join(KINDS)}", code="feed_kind_unknown"
        )


def active_feed(
    session: Session, *, account_id: str, kind: str, target_id: str = ""
) -> FeedToken | None:
    """The account's current address for this calendar, if it has one."""
    return session.scalar(
        select(FeedToken).where(
            FeedToken.account_id == account_id,
            FeedToken.kind == kind,
            FeedToken.target_id == target_id,
            FeedToken.revoked_at.is_(None),
        )
    )


def create_feed(session: Session, *, account_id: str, kind: str, target_id: str = "") -> FeedToken:
    """The account's address for this calendar: the existing one, or a new secret one."""
    _check_kind(kind)
    existing = active_feed(session, account_id=account_id, kind=kind, target_id=target_id)
    if existing is not None:
        return existing
    feed = FeedToken(
        token=secrets.token_urlsafe(32), kind=kind, target_id=target_id, account_id=account_id
    )
    session.add(feed)
    session.flush()
    return feed


def revoke_feed(session: Session, *, account_id: str, kind: str, target_id: str = "") -> bool:
    """End the account's address for this calendar; False when it had none."""
    feed = active_feed(session, account_id=account_id, kind=kind, target_id=target_id)
    if feed is None:
        return False
    feed.revoked_at = datetime.now(UTC)
    return True


def resolve(session: Session, *, token: str) -> FeedToken:
    """The live feed of `token`; a revoked or unknown token is a 404 (nothing to tell)."""
    feed = session.scalar(select(FeedToken).where(FeedToken.token == token))
    if feed is None or feed.revoked_at is not None:
        raise NotFound(
            "no calendar at this address (it may have been revoked)", code="feed_revoked"
        )
    return feed


def _own(session: Session, dates: Iterable[TourDate], origin: str) -> list[Occurrence]:
    rows = list(dates)
    titles = {
        p.id: p.title
        for p in session.scalars(
            select(Production).where(Production.id.in_({d.production_id for d in rows}))
        )
    }
    venue_ids = {d.venue_id for d in rows if d.venue_id}
    venues = {
        o.id: o.name
        for o in session.scalars(select(Organisation).where(Organisation.id.in_(venue_ids)))
    }
    return [
        Occurrence(
            uid=f"{origin}-{d.id}@archipel",
            starts_at=d.starts_at,
            title=titles.get(d.production_id, ""),
            city=d.city,
            venue=venues.get(d.venue_id or "", ""),
            status=d.status,
            changed_at=d.updated_at,
        )
        for d in rows
    ]


def occurrences(session: Session, *, feed: FeedToken, origin: str) -> list[Occurrence]:
    """The dates a feed shows, by start."""
    if feed.kind == "network":
        rows = session.scalars(select(NetworkTourDate).order_by(NetworkTourDate.starts_at)).all()
        return [
            Occurrence(
                uid=f"{r.origin}-{r.record_id}@archipel",
                starts_at=r.starts_at,
                title=r.production_title,
                city=r.city,
                venue=r.venue_name,
                status=r.status,
                changed_at=r.received_at,
            )
            for r in rows
        ]
    stmt = select(TourDate).order_by(TourDate.starts_at)
    if feed.kind == "production":
        stmt = stmt.where(TourDate.production_id == feed.target_id)
    elif feed.kind == "member":
        engaged = select(TeamMember.production_id).where(TeamMember.member_id == feed.target_id)
        stmt = stmt.where(TourDate.production_id.in_(engaged))
    return _own(session, session.scalars(stmt).all(), origin)


def calendar_bytes(name: str, items: Iterable[Occurrence]) -> bytes:
    """An RFC 5545 calendar of `items`."""
    # Imported here: icalendar (with dateutil) is only needed once a feed is asked for.
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Archipel//Bureau de production//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for item in items:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", item.changed_at.astimezone(UTC))
        event.add("dtstart", item.starts_at.astimezone(UTC))
        event.add("dtend", item.starts_at.astimezone(UTC) + DEFAULT_LENGTH)
        summary = f"{item.title} — {item.city}" if item.city else item.title
        event.add("summary", summary)
        location = ", ".join(p for p in (item.venue, item.city) if p)
        if location:
            event.add("location", location)
        event.add("status", STATUS.get(item.status, "TENTATIVE"))
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
