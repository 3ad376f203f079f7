"""Day sheets (feuilles de route): what the team needs on the day, per audience, shareable.

The team version leaves out what is marked technical; the technical version shows it all.
Internal notes are for the bureau only: no rendered version (HTML, PDF, link) carries them.
A share link works without an account until it is revoked; only its hash is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.actors import Actor, Role
from node.models import (
    DaySheet,
    DaySheetLink,
    Engagement,
    Member,
    Organisation,
    Production,
    TourDate,
)
from node.models.base import utcnow
from node.problems import Forbidden, NotFound
from node.services import documents
from node.services.common import audit, check_version, get_or_404
from node.services.editing import require_staff
from node.services.engagements import performance_day
from schemas.daysheets import Audience, DaySheetBody, DaySheetPublic
from schemas.tourdates import zone

LINK_PATH = "/feuille-de-route/"


def _sheet(session: Session, tour_date_id: str) -> DaySheet | None:
    return session.scalar(select(DaySheet).where(DaySheet.tour_date_id == tour_date_id))


def get_sheet(session: Session, *, tour_date_id: str) -> DaySheetPublic:
    """The sheet as staff edit it (internal notes included); empty if none yet."""
    get_or_404(session, TourDate, tour_date_id, "tour date")
    row = _sheet(session, tour_date_id)
    body = DaySheetBody.model_validate(
        {k: getattr(row, k) for k in DaySheetBody.model_fields} if row else {}
    )
    return DaySheetPublic(
        tour_date_id=tour_date_id, version=row.version if row else 0, **body.model_dump()
    )


def save_sheet(
    session: Session,
    *,
    actor: Actor,
    tour_date_id: str,
    data: DaySheetBody,
    expected_version: int | None,
) -> DaySheetPublic:
    """Replace the date's sheet, edited from `expected_version` (0 while there is none)."""
    require_staff(actor, "edit day sheets")
    get_or_404(session, TourDate, tour_date_id, "tour date")
    row = _sheet(session, tour_date_id)
    if row is None:
        row = DaySheet(tour_date_id=tour_date_id, version=0)
        check_version(row, expected_version, "day sheet")
        session.add(row)
    else:
        check_version(row, expected_version, "day sheet")
    for key, value in data.model_dump(include=set(DaySheetBody.model_fields)).items():
        setattr(row, key, value)
    row.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="day_sheet",
        entity_id=tour_date_id,
        fields=sorted(data.model_fields_set),
    )
    return get_sheet(session, tour_date_id=tour_date_id)


def audience_of(
    session: Session, actor: Actor, tour_date_id: str, wanted: Audience | None
) -> Audience:
    """Staff see the version they ask for; an engaged member sees theirs (technicians the
    technical one); anyone else is refused."""
    if actor.can(Role.staff):
        return wanted or Audience.team
    category = session.scalar(
        select(Engagement.category).where(
            Engagement.tour_date_id == tour_date_id, Engagement.member_id == actor.member_id
        )
    )
    if category is None:
        raise Forbidden(
            "only the team of this date and staff see its day sheet", code="daysheet_team_only"
        )
    return Audience.technical if category == "technicien" else Audience.team


def context(session: Session, tour_date_id: str, audience: Audience) -> dict[str, Any]:
    """What the template receives: never the internal notes."""
    tour_date = get_or_404(session, TourDate, tour_date_id, "tour date")
    production = session.get(Production, tour_date.production_id)
    venue = session.get(Organisation, tour_date.venue_id) if tour_date.venue_id else None
    sheet = get_sheet(session, tour_date_id=tour_date_id)
    technical = audience == Audience.technical
    team = session.execute(
        select(Member.display_name, Engagement.role, Engagement.profession)
        .join(Member, Member.id == Engagement.member_id)
        .where(Engagement.tour_date_id == tour_date_id)
        .order_by(Member.display_name)
    ).all()
    return {
        "version": audience.value,
        "spectacle": {"title": production.title if production else ""},
        "date": {
            "day": performance_day(tour_date),
            "time": tour_date.starts_at.astimezone(zone(tour_date.timezone)).strftime("%H:%M"),
            "city": tour_date.city,
            "venue": venue.name if venue else "",
            "address": ", ".join(p for p in (venue.address, venue.postal_code, venue.city) if p)
            if venue
            else "",
        },
        "horaires": [i.model_dump() for i in sheet.schedule if technical or not i.technical],
        "lieux": [p.model_dump() for p in sheet.places if technical or not p.technical],
        "hebergement": sheet.accommodation,
        "repas": sheet.meals,
        "contacts": [c.model_dump() for c in sheet.contacts],
        "equipe": [{"name": n, "role": r or p} for n, r, p in team],
        "notes_techniques": sheet.technical_notes if technical else "",
    }


def render_html(session: Session, *, tour_date_id: str, audience: Audience) -> str:
    return documents.render(session, "feuille-de-route", context(session, tour_date_id, audience))


def render_pdf(session: Session, *, tour_date_id: str, audience: Audience) -> bytes:
    html = render_html(session, tour_date_id=tour_date_id, audience=audience)
    return documents.to_pdf(html, title="Feuille de route")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(
    session: Session, *, actor: Actor, tour_date_id: str, audience: Audience
) -> tuple[DaySheetLink, str]:
    """A new share link and its token (shown once)."""
    require_staff(actor, "share day sheets")
    get_or_404(session, TourDate, tour_date_id, "tour date")
    token = secrets.token_urlsafe(24)
    link = DaySheetLink(
        token_hash=_hash(token),
        tour_date_id=tour_date_id,
        audience=audience.value,
        created_by=actor.name,
    )
    session.add(link)
    session.flush()
    audit(
        session,
        actor=actor,
        action="share",
        entity="day_sheet",
        entity_id=tour_date_id,
        extra={"link": link.id},
    )
    return link, token


def list_links(session: Session, *, tour_date_id: str) -> Sequence[DaySheetLink]:
    return session.scalars(
        select(DaySheetLink)
        .where(DaySheetLink.tour_date_id == tour_date_id)
        .order_by(DaySheetLink.created_at)
    ).all()


def revoke_link(session: Session, *, actor: Actor, link_id: str) -> DaySheetLink:
    """Stop a link working at once."""
    require_staff(actor, "revoke day sheet links")
    link = get_or_404(session, DaySheetLink, link_id, "day sheet link")
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        session.flush()
        audit(
            session,
            actor=actor,
            action="revoke",
            entity="day_sheet",
            entity_id=link.tour_date_id,
            extra={"link": link.id},
        )
    return link


def by_token(session: Session, token: str) -> DaySheetLink:
    """The live link a token opens; unknown and revoked tokens alike are a 404."""
    link = session.scalar(select(DaySheetLink).where(DaySheetLink.token_hash == _hash(token)))
    if link is None or link.revoked_at is not None:
        raise NotFound(
            "this day sheet link does not exist or was revoked", code="daysheet_link_invalid"
        )
    return link
