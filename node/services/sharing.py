"""What of the bureau's records leaves it: projections to shared bodies, with consent.

A record is shared while its visibility (or `lendable`, for resources) allows it; otherwise
its tombstone is published, so every replica purges it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.models import Loan, Member, Organisation, Production, Resource, TourDate
from node.services.common import publish
from schemas import shared
from schemas.loans import HOLDING_STATES, BusyPeriod


def card_body(member: Member) -> dict[str, Any]:
    """The directory card of `member`: what a peer sees when the member consents to it."""
    card = shared.DirectoryCard(
        display_name=member.display_name,
        city=member.city,
        territory=member.territory,
        trades=list(member.trades),
        skills=list(member.skills),
        languages=list(member.languages),
        bio=member.bio,
        # A link stored before links were bounded once encoded may not fit: peers refuse it.
        links=[link for link in member.links if len(link) <= shared.MAX_LINK_LENGTH],
        availability=[shared.AvailabilityPeriod(**p) for p in member.availability],
        visibility=member.visibility,
    )
    return card.model_dump(mode="json")


def production_body(production: Production) -> dict[str, Any] | None:
    if production.visibility == "local":
        return None
    return shared.SharedProduction(
        title=production.title,
        discipline=production.discipline,
        synopsis=production.synopsis,
        artistic_lead=production.artistic_lead,
        visibility=production.visibility,
    ).model_dump(mode="json")


def tour_date_body(
    date: TourDate, production: Production, venue: Organisation | None
) -> dict[str, Any] | None:
    """A date is shared when its production is."""
    if production.visibility == "local":
        return None
    return shared.SharedTourDate(
        production_id=production.id,
        production_title=production.title,
        starts_at=date.starts_at,
        timezone=date.timezone,
        city=date.city,
        venue_name=venue.name if venue else "",
        postal_code=venue.postal_code if venue else "",
        status=date.status,
    ).model_dump(mode="json")


def venue_body(org: Organisation) -> dict[str, Any] | None:
    if not org.is_venue:
        return None
    return shared.SharedVenue(
        name=org.name, city=org.city, technical_specs=org.technical_specs
    ).model_dump(mode="json")


def resource_body(
    resource: Resource, busy: list[BusyPeriod] | None = None
) -> dict[str, Any] | None:
    """A lendable resource, with the periods it is lent (never to whom)."""
    if not resource.lendable:
        return None
    return shared.SharedResource(
        name=resource.name,
        kind=resource.kind,
        description=resource.description,
        location=resource.location,
        # The nearest periods (they come sorted): peers refuse a longer list.
        busy=[
            shared.BusyPeriod(start=p.start, end=p.end)
            for p in (busy or [])[: shared.MAX_BUSY_PERIODS]
        ],
    ).model_dump(mode="json")


def busy_periods(
    session: Session, resource_id: str, *, since: date | None = None
) -> list[BusyPeriod]:
    """When an own resource is lent (accepted or picked up), from `since` (today) on."""
    since = since or datetime.now(UTC).date()
    rows = session.execute(
        select(Loan.starts_on, Loan.ends_on)
        .where(
            Loan.role == "owner",
            Loan.resource_id == resource_id,
            Loan.state.in_([s.value for s in HOLDING_STATES]),
            Loan.ends_on >= since,
        )
        .order_by(Loan.starts_on)
    ).all()
    return [BusyPeriod(start=start, end=end) for start, end in rows]


def contact_hint_body(org: Organisation, person: str) -> dict[str, Any]:
    """Only the fact of contact and the bureau's contact person: never the history."""
    return shared.SharedContactHint(
        organisation_name=org.name, city=org.city, person=person
    ).model_dump(mode="json")


def share_contact_hint(
    session: Session, org: Organisation, *, person: str, version: int, deleted: bool = False
) -> None:
    body = None if deleted else contact_hint_body(org, person)
    publish(session, kind=shared.KIND_CONTACT_HINT, record_id=org.id, version=version, body=body)


def share_member(session: Session, member: Member, *, deleted: bool = False) -> None:
    """Publish the card of a member who consents; their own bureau's directory always has it.

    A member of another bureau engaged here (`home_bureau`) is never published: their card
    is their own bureau's."""
    if member.home_bureau:
        return
    card = None if deleted else card_body(member)
    leaves = card is not None and member.visibility != "local" and member.active
    publish(
        session,
        kind=shared.KIND_CARD,
        record_id=member.id,
        version=member.version,
        body=card if leaves else None,
        replica_body=card,
    )


def share_production(session: Session, production: Production, *, deleted: bool = False) -> None:
    body = None if deleted else production_body(production)
    publish(
        session,
        kind=shared.KIND_PRODUCTION,
        record_id=production.id,
        version=production.version,
        body=body,
    )


def share_tour_date(session: Session, date: TourDate, *, deleted: bool = False) -> None:
    production = session.get(Production, date.production_id)
    venue = session.get(Organisation, date.venue_id) if date.venue_id else None
    body = None if deleted or production is None else tour_date_body(date, production, venue)
    publish(session, kind=shared.KIND_TOUR_DATE, record_id=date.id, version=date.version, body=body)


def share_venue(session: Session, org: Organisation, *, deleted: bool = False) -> None:
    body = None if deleted else venue_body(org)
    publish(session, kind=shared.KIND_VENUE, record_id=org.id, version=org.version, body=body)


def share_resource(session: Session, resource: Resource, *, deleted: bool = False) -> None:
    body = None if deleted else resource_body(resource, busy_periods(session, resource.id))
    publish(
        session,
        kind=shared.KIND_RESOURCE,
        record_id=resource.id,
        version=resource.version,
        body=body,
    )
