"""Engagements: hiring members on a CDDU for a date, with the DPAE window and a pay check.

No payroll is computed here: the bureau exports its contracts to its payroll provider
(`node/services/payroll.py`) and records what the provider reports back (DPAE sent, AEM
issued, certificat Congés Spectacles issued).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import Engagement, Member, Production, TourDate
from node.problems import DomainError
from node.services.common import audit, check_version, get_or_404
from node.services.editing import refuse_nulls, require_staff
from node.services.paygrids import cents, check_pay, euros
from schemas.common import FieldError
from schemas.engagements import (
    DpaeWindow,
    EngagementCreate,
    EngagementPublic,
    EngagementStates,
    EngagementUpdate,
    PayCheck,
    PayCheckStatus,
    ProviderReport,
)
from schemas.tourdates import zone

# The DPAE may be sent at the earliest this many days before work starts.
DPAE_EARLIEST_DAYS = 8


def performance_day(tour_date: TourDate) -> date:
    """The day of the performance, in the date's own time zone."""
    return tour_date.starts_at.astimezone(zone(tour_date.timezone)).date()


def dpae_window(first_working_day: date) -> DpaeWindow:
    """From 8 days before the first working day to that day, before work starts."""
    return DpaeWindow(
        earliest=first_working_day - timedelta(days=DPAE_EARLIEST_DAYS), latest=first_working_day
    )


def _working_days(tour_date: TourDate, rehearsals: Sequence[date]) -> tuple[date, date]:
    days = [performance_day(tour_date), *rehearsals]
    return min(days), max(days)


def _check(session: Session, row: Engagement) -> PayCheck:
    units = row.cachets if row.pay_basis == "cachet" else row.hours
    return check_pay(
        session,
        convention=row.convention,
        annexe=row.annexe,
        category=row.category,
        profession=row.profession,
        basis=row.pay_basis,
        gross_cents=row.gross_pay_cents,
        units=units,
        on=row.first_working_day,
    )


def _validate(session: Session, row: Engagement) -> PayCheck:
    """Refuse a contract paid under the grid's minimum; its check otherwise."""
    if row.convention == "idcc-3090" and not row.annexe:
        raise DomainError(
            "IDCC 3090 contracts name their annexe (I to VI)",
            errors=[
                FieldError(
                    field="body.annexe", message="required for IDCC 3090", code="annexe_required"
                )
            ],
        )
    units = row.cachets if row.pay_basis == "cachet" else row.hours
    if units <= 0:
        raise DomainError(
            "the contract needs its cachets or hours",
            errors=[
                FieldError(field="body.cachets", message="at least one unit", code="units_missing")
            ],
        )
    check = _check(session, row)
    if check.status == PayCheckStatus.below:
        unit = "cachet" if row.pay_basis == "cachet" else "hour"
        raise DomainError(
            f"{check.per_unit} € per {unit} is under the minimum of {check.minimum} € "
            f"of the bureau's grid ({check.grid_source or 'no source given'})",
            errors=[
                FieldError(
                    field="body.gross_pay",
                    message="under the grid's minimum",
                    code="pay_below_minimum",
                )
            ],
            pay_check=check.model_dump(mode="json"),
        )
    return check


def _summary(session: Session, row: Engagement) -> str:
    tour_date = session.get(TourDate, row.tour_date_id)
    day = performance_day(tour_date).isoformat() if tour_date else "?"
    return f"{row.profession}, {day}"


def create_engagement(
    session: Session, *, actor: Actor, tour_date_id: str, data: EngagementCreate
) -> Engagement:
    """Engage a member for a date, checked against the grid."""
    require_staff(actor, "engage members")
    tour_date = get_or_404(session, TourDate, tour_date_id, "tour date")
    if session.get(Member, data.member_id) is None:
        raise DomainError(
            f"no member with id {data.member_id!r}",
            errors=[
                FieldError(field="body.member_id", message="unknown member", code="member_unknown")
            ],
        )
    values: dict[str, Any] = data.model_dump(exclude={"gross_pay", "rehearsal_days"})
    rehearsals = sorted(set(data.rehearsal_days))
    first, last = _working_days(tour_date, rehearsals)
    row = Engagement(
        tour_date_id=tour_date.id,
        gross_pay_cents=cents(data.gross_pay),
        rehearsal_days=[d.isoformat() for d in rehearsals],
        first_working_day=first,
        last_working_day=last,
        **{k: getattr(v, "value", v) for k, v in values.items()},
    )
    _validate(session, row)
    session.add(row)
    session.flush()
    audit(
        session,
        actor=actor,
        action="create",
        entity="engagement",
        entity_id=row.id,
        summary=_summary(session, row),
        fields=sorted(data.model_dump()),
    )
    return row


def get_engagement(session: Session, *, engagement_id: str) -> Engagement:
    return get_or_404(session, Engagement, engagement_id, "engagement")


def list_engagements(
    session: Session,
    *,
    tour_date_id: str | None = None,
    production_id: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Sequence[Engagement]:
    """Engagements by first working day; a date's team, or a production's, or a period's."""
    stmt = select(Engagement).order_by(Engagement.first_working_day, Engagement.id)
    if tour_date_id:
        get_or_404(session, TourDate, tour_date_id, "tour date")
        stmt = stmt.where(Engagement.tour_date_id == tour_date_id)
    if production_id:
        dates = select(TourDate.id).where(TourDate.production_id == production_id)
        stmt = stmt.where(Engagement.tour_date_id.in_(dates))
    if date_from:
        stmt = stmt.where(Engagement.last_working_day >= date_from)
    if date_to:
        stmt = stmt.where(Engagement.first_working_day <= date_to)
    return session.scalars(stmt).all()


def update_engagement(
    session: Session,
    *,
    actor: Actor,
    engagement_id: str,
    data: EngagementUpdate,
    expected_version: int | None,
) -> Engagement:
    require_staff(actor, "change engagements")
    row = get_engagement(session, engagement_id=engagement_id)
    check_version(
        row, expected_version if expected_version is not None else data.version, "engagement"
    )
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    refuse_nulls(changes)
    for key, value in changes.items():
        if key == "gross_pay":
            row.gross_pay_cents = cents(value)
        elif key == "rehearsal_days":
            row.rehearsal_days = [d.isoformat() for d in sorted(set(value))]
        else:
            setattr(row, key, getattr(value, "value", value))
    refresh_days(session, row)
    _validate(session, row)
    row.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="engagement",
        entity_id=row.id,
        summary=_summary(session, row),
        fields=sorted(changes),
    )
    return row


def refresh_days(session: Session, row: Engagement) -> None:
    """Work out the first and last working days again (rehearsals or the date moved)."""
    tour_date = session.get(TourDate, row.tour_date_id)
    if tour_date is not None:
        rehearsals = [date.fromisoformat(d) for d in row.rehearsal_days]
        row.first_working_day, row.last_working_day = _working_days(tour_date, rehearsals)


def delete_engagement(
    session: Session, *, actor: Actor, engagement_id: str, expected_version: int | None
) -> None:
    require_staff(actor, "delete engagements")
    row = get_engagement(session, engagement_id=engagement_id)
    if expected_version is not None:
        check_version(row, expected_version, "engagement")
    audit(
        session,
        actor=actor,
        action="delete",
        entity="engagement",
        entity_id=row.id,
        summary=_summary(session, row),
    )
    session.delete(row)
    session.flush()


def update_states(
    session: Session,
    *,
    actor: Actor,
    engagement_id: str,
    states: EngagementStates,
    expected_version: int | None,
) -> Engagement:
    """Staff record the provider's states on one engagement, edited from `expected_version`."""
    require_staff(actor, "record payroll states")
    check_version(
        get_engagement(session, engagement_id=engagement_id), expected_version, "engagement"
    )
    return record_states(session, actor=actor, engagement_id=engagement_id, states=states)


def record_states(
    session: Session, *, actor: Actor, engagement_id: str, states: EngagementStates
) -> Engagement:
    """Record what the payroll provider reports (only the fields sent change)."""
    require_staff(actor, "record payroll states")
    row = get_engagement(session, engagement_id=engagement_id)
    changes = states.model_dump(exclude_unset=True, exclude={"engagement_id", "version"})
    for key, value in changes.items():
        setattr(row, key, value)
    row.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="engagement",
        entity_id=row.id,
        summary="payroll provider states",
        fields=sorted(changes),
    )
    return row


def record_reports(
    session: Session, *, actor: Actor, reports: Sequence[ProviderReport]
) -> list[Engagement]:
    """Record a batch of provider reports, all or none (an unknown id refuses the batch)."""
    require_staff(actor, "record payroll states")
    unknown = [
        FieldError(
            field=f"body.{i}.engagement_id", message="unknown engagement", code="engagement_unknown"
        )
        for i, r in enumerate(reports)
        if session.get(Engagement, r.engagement_id) is None
    ]
    if unknown:
        raise DomainError(
            "the report names unknown engagements; nothing was recorded",
            errors=unknown,
            code="engagement_unknown",
        )
    return [
        record_states(session, actor=actor, engagement_id=r.engagement_id, states=r)
        for r in reports
    ]


def present(session: Session, rows: Sequence[Engagement]) -> list[EngagementPublic]:
    """Engagements with their member's name, production and numéro d'objet, and pay check."""
    ids = {r.member_id for r in rows}
    members: dict[str, str] = {}
    if ids:
        found = session.execute(select(Member.id, Member.display_name).where(Member.id.in_(ids)))
        members = {member_id: name for member_id, name in found}
    result = []
    for row in rows:
        tour_date = session.get(TourDate, row.tour_date_id)
        production = session.get(Production, tour_date.production_id) if tour_date else None
        result.append(
            EngagementPublic(
                id=row.id,
                version=row.version,
                tour_date_id=row.tour_date_id,
                production_id=production.id if production else "",
                member_id=row.member_id,
                member_name=members.get(row.member_id, ""),
                host_bureau=row.host_bureau,
                role=row.role,
                profession=row.profession,
                category=row.category,
                convention=row.convention,
                annexe=row.annexe,
                pay_basis=row.pay_basis,
                cachets=row.cachets,
                hours=row.hours,
                gross_pay=euros(row.gross_pay_cents),
                rehearsal_days=[date.fromisoformat(d) for d in row.rehearsal_days],
                first_working_day=row.first_working_day,
                last_working_day=row.last_working_day,
                dpae_window=dpae_window(row.first_working_day),
                object_number=production.object_number if production else "",
                pay_check=_check(session, row),
                cddu_signed_on=row.cddu_signed_on,
                dpae_sent_on=row.dpae_sent_on,
                aem_issued_on=row.aem_issued_on,
                conges_certificate_on=row.conges_certificate_on,
                notes=row.notes,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
        )
    return result


def set_object_number(
    session: Session,
    *,
    actor: Actor,
    production_id: str,
    object_number: str,
    expected_version: int | None,
) -> Production:
    """Record the production's numéro d'objet (it then shows on all its engagements), edited
    from the production's `expected_version`."""
    require_staff(actor, "set the numéro d'objet")
    production = get_or_404(session, Production, production_id, "production")
    check_version(production, expected_version, "production")
    production.object_number = " ".join(object_number.split())
    production.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="production",
        entity_id=production.id,
        summary=production.title,
        fields=["object_number"],
    )
    return production
