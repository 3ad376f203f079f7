"""Tour dates (représentations) of the bureau's productions: create, read, list, update, delete."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import Engagement, Organisation, Production, TourDate
from node.problems import DomainError
from node.services import engagements, stages
from node.services.common import audit, check_version, get_or_404, paginate
from node.services.editing import refuse_nulls, require_staff, same_folded
from node.services.sharing import share_tour_date
from schemas.common import FieldError
from schemas.tourdates import DEFAULT_TIMEZONE, TourDateCreate, TourDateUpdate, localise, zone


def _production(session: Session, production_id: str) -> Production:
    production = session.get(Production, production_id)
    if production is None:
        raise DomainError(
            f"no production with id {production_id!r}",
            errors=[
                FieldError(
                    field="body.production_id",
                    message="unknown production",
                    code="production_unknown",
                )
            ],
        )
    return production


def _venue(session: Session, venue_id: str) -> Organisation:
    venue = session.get(Organisation, venue_id)
    if venue is None:
        raise DomainError(
            f"no organisation with id {venue_id!r} to host the date",
            errors=[
                FieldError(
                    field="body.venue_id",
                    message="unknown organisation",
                    code="organisation_unknown",
                )
            ],
        )
    return venue


def _summary(session: Session, tour_date: TourDate) -> str:
    production = session.get(Production, tour_date.production_id)
    day = tour_date.starts_at.astimezone(zone(tour_date.timezone)).date().isoformat()
    return f"{production.title if production else '?'}, {day}, {tour_date.city}".rstrip(", ")


def create_tour_date(session: Session, *, actor: Actor, data: TourDateCreate) -> TourDate:
    """A new date; without a city, it takes its venue's."""
    require_staff(actor, "add tour dates")
    _production(session, data.production_id)
    venue = _venue(session, data.venue_id) if data.venue_id else None
    values = data.model_dump()
    if not values["city"]:
        values["city"] = venue.city if venue else ""
    tour_date = TourDate(**values)
    tour_date.stage = stages.initial_stage(values["status"]).value
    if tour_date.stage == "option":
        tour_date.option_level = values["option_level"] or 1
    else:
        tour_date.option_level, tour_date.option_expires_on = None, None
    session.add(tour_date)
    session.flush()
    audit(
        session,
        actor=actor,
        action="create",
        entity="tour_date",
        entity_id=tour_date.id,
        summary=_summary(session, tour_date),
        fields=sorted(values),
    )
    share_tour_date(session, tour_date)
    return tour_date


def get_tour_date(session: Session, *, tour_date_id: str) -> TourDate:
    return get_or_404(session, TourDate, tour_date_id, "tour date")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone(DEFAULT_TIMEZONE))


def list_tour_dates(
    session: Session,
    *,
    production_id: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    status: str | None = None,
    city: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[TourDate], int]:
    """Dates matching every filter, soonest first; `from`/`to` are whole days in Paris time."""
    if date_from and date_to and date_to < date_from:
        raise DomainError(
            "the period ends before it starts",
            errors=[
                FieldError(
                    field="query.to",
                    message="must not precede `from`",
                    code="period_ends_before_start",
                )
            ],
        )
    stmt = select(TourDate).order_by(TourDate.starts_at, TourDate.id)
    if production_id:
        stmt = stmt.where(TourDate.production_id == production_id)
    if date_from:
        stmt = stmt.where(TourDate.starts_at >= _day_start(date_from))
    if date_to:
        stmt = stmt.where(TourDate.starts_at < _day_start(date_to + timedelta(days=1)))
    if status:
        stmt = stmt.where(TourDate.status == status)
    if city:
        stmt = stmt.where(TourDate.city.in_(same_folded(session, TourDate.city, city)))
    return paginate(session, stmt, limit=limit, offset=offset)


def update_tour_date(
    session: Session,
    *,
    actor: Actor,
    tour_date_id: str,
    data: TourDateUpdate,
    expected_version: int | None,
) -> TourDate:
    """Change a date; a naive `starts_at` is read in its (possibly new) time zone."""
    require_staff(actor, "change tour dates")
    tour_date = get_tour_date(session, tour_date_id=tour_date_id)
    check_version(
        tour_date,
        expected_version if expected_version is not None else data.version,
        "tour date",
    )
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    refuse_nulls(changes, nullable={"venue_id", "option_level", "option_expires_on"})
    status = changes.pop("status", None)
    option: dict[str, Any] = {
        k: changes.pop(k) for k in ("option_level", "option_expires_on") if k in changes
    }
    if "production_id" in changes:
        _production(session, changes["production_id"])
    if changes.get("venue_id"):
        _venue(session, changes["venue_id"])
    if "starts_at" in changes:
        timezone = changes.get("timezone") or tour_date.timezone
        changes["starts_at"] = localise(changes["starts_at"], timezone)
    moved = "venue_id" in changes and changes["venue_id"] != tour_date.venue_id
    for key, value in changes.items():
        setattr(tour_date, key, value)
    move = _legacy_status(tour_date, status, option)
    changes.update(dict.fromkeys([*(["status", "stage"] if move else []), *option]))
    if (moved and "city" not in changes) or changes.get("city") == "":
        venue = session.get(Organisation, tour_date.venue_id) if tour_date.venue_id else None
        if venue is not None:
            tour_date.city = venue.city
            changes["city"] = venue.city
    tour_date.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="tour_date",
        entity_id=tour_date.id,
        summary=_summary(session, tour_date),
        fields=sorted(changes),
    )
    if move:
        stages.audit_move(session, actor=actor, tour_date=tour_date, extra=move)
    if "starts_at" in changes or "timezone" in changes:
        _refresh_engagements(session, tour_date)
    share_tour_date(session, tour_date)
    return tour_date


def _refresh_engagements(session: Session, tour_date: TourDate) -> None:
    """A moved date moves its contracts' working days (and so their DPAE window)."""
    for row in session.scalars(select(Engagement).where(Engagement.tour_date_id == tour_date.id)):
        engagements.refresh_days(session, row)


def _legacy_status(
    tour_date: TourDate, status: str | None, option: dict[str, Any]
) -> dict[str, Any] | None:
    """Apply a partial update's `status` and option fields through the pipeline's rules."""
    to = stages.stage_for_status(tour_date, status) if status else None
    if to is not None:
        return stages.move(
            tour_date,
            to,
            option_level=option.get("option_level"),
            option_expires_on=option.get("option_expires_on"),
            require_reason=False,
        )
    if option:
        stages.set_option(
            tour_date,
            option_level=option.get("option_level", tour_date.option_level),
            option_expires_on=option.get("option_expires_on", tour_date.option_expires_on),
        )
    return None


def _delete(session: Session, tour_date: TourDate, *, actor: Actor, summary: str) -> None:
    tour_date.version += 1
    share_tour_date(session, tour_date, deleted=True)
    audit(
        session,
        actor=actor,
        action="delete",
        entity="tour_date",
        entity_id=tour_date.id,
        summary=summary,
    )
    session.delete(tour_date)


def delete_tour_date(
    session: Session, *, actor: Actor, tour_date_id: str, expected_version: int | None
) -> None:
    """Delete a date; its tombstone tells every replica to drop it."""
    require_staff(actor, "delete tour dates")
    tour_date = get_tour_date(session, tour_date_id=tour_date_id)
    if expected_version is not None:
        check_version(tour_date, expected_version, "tour date")
    _delete(session, tour_date, actor=actor, summary=_summary(session, tour_date))
    session.flush()


def delete_dates_of(session: Session, *, actor: Actor, production_id: str) -> int:
    """Delete every date of a production that is being deleted; how many there were."""
    dates = dates_of(session, production_id)
    for tour_date in dates:
        summary = f"{_summary(session, tour_date)} (with its production)"
        _delete(session, tour_date, actor=actor, summary=summary)
    session.flush()
    return len(dates)


def dates_at(session: Session, venue_id: str) -> Sequence[TourDate]:
    return session.scalars(select(TourDate).where(TourDate.venue_id == venue_id)).all()


def dates_of(session: Session, production_id: str) -> Sequence[TourDate]:
    return session.scalars(select(TourDate).where(TourDate.production_id == production_id)).all()


def reshare(session: Session, dates: Iterable[TourDate]) -> None:
    """Publish dates again after a change elsewhere (their production, their venue).

    Each gets a new version: replicas only take a body newer than the one they hold.
    """
    for tour_date in dates:
        tour_date.version += 1
        share_tour_date(session, tour_date)
    session.flush()
