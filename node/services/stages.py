"""The pipeline of a tour date: option (level 1/2/3, expiry) → confirmée → contrat signé →
jouée → soldée, or annulée (with a reason); only the moves below are allowed, each audited.

The older coarse `status` (option, confirmed, cancelled) is kept in step with the stage, so
the API, the pages, the calendar feeds and the shared `tour.date` body keep their values.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import TourDate
from node.problems import Conflict, DomainError
from node.services.common import audit, check_version, get_or_404
from node.services.editing import require_staff
from node.services.sharing import share_tour_date
from schemas.common import FieldError
from schemas.tourdates import DateStage, StageChange, TourStatus

S = DateStage
TRANSITIONS: dict[DateStage, frozenset[DateStage]] = {
    S.option: frozenset({S.option, S.confirmed, S.cancelled}),
    S.confirmed: frozenset({S.option, S.contract_signed, S.cancelled}),
    S.contract_signed: frozenset({S.played, S.cancelled}),
    S.played: frozenset({S.settled}),
    S.settled: frozenset(),
    S.cancelled: frozenset({S.option}),
}
# What each stage is in the coarse status.
COARSE: dict[DateStage, TourStatus] = {
    S.option: TourStatus.option,
    S.cancelled: TourStatus.cancelled,
    S.confirmed: TourStatus.confirmed,
    S.contract_signed: TourStatus.confirmed,
    S.played: TourStatus.confirmed,
    S.settled: TourStatus.confirmed,
}
FROM_STATUS = {
    TourStatus.option: S.option,
    TourStatus.confirmed: S.confirmed,
    TourStatus.cancelled: S.cancelled,
}


def initial_stage(status: str) -> DateStage:
    """The stage of a date created with a coarse `status`."""
    return FROM_STATUS[TourStatus(status)]


def stage_for_status(tour_date: TourDate, status: str) -> DateStage | None:
    """Where a legacy `status` change moves the date; None when its coarse status is the same."""
    if COARSE[DateStage(tour_date.stage)] == TourStatus(status):
        return None
    return FROM_STATUS[TourStatus(status)]


def move(
    tour_date: TourDate,
    to: DateStage,
    *,
    option_level: int | None = None,
    option_expires_on: date | None = None,
    reason: str | None = None,
    require_reason: bool = True,
) -> dict[str, Any]:
    """Move `tour_date` to stage `to` if allowed; what the trail records of the move.

    `require_reason=False` serves the older `status` field, which never asked for one.
    """
    current = DateStage(tour_date.stage)
    if to not in TRANSITIONS[current]:
        allowed = sorted(s.value for s in TRANSITIONS[current])
        raise Conflict(
            f"a date at stage {current.value!r} cannot move to {to.value!r}"
            + (f"; it can move to: {', '.join(allowed)}" if allowed else "; it is closed"),
            code="stage_not_allowed",
            allowed=allowed,
        )
    if to == S.cancelled and require_reason and not (reason or "").strip():
        raise DomainError(
            "say why the date is cancelled",
            errors=[
                FieldError(
                    field="body.reason",
                    message="required to cancel a date",
                    code="cancel_reason_required",
                )
            ],
        )
    if to != S.option and (option_level is not None or option_expires_on is not None):
        raise DomainError(
            "only an option has a level and an expiry",
            errors=[
                FieldError(
                    field="body.option_level",
                    message="only for to: option",
                    code="option_fields_only",
                )
            ],
        )
    if to == S.option:
        tour_date.option_level = option_level or tour_date.option_level or 1
        tour_date.option_expires_on = option_expires_on
    else:
        tour_date.option_level = None
        tour_date.option_expires_on = None
    tour_date.cancel_reason = (reason or "").strip() if to == S.cancelled else ""
    tour_date.stage = to.value
    tour_date.status = COARSE[to].value
    extra: dict[str, Any] = {"from": current.value, "to": to.value}
    if to == S.option:
        extra["option_level"] = tour_date.option_level
    return extra


def change_stage(
    session: Session,
    *,
    actor: Actor,
    tour_date_id: str,
    data: StageChange,
    expected_version: int | None,
) -> TourDate:
    """Move a date along its pipeline, audited, and re-share it (its status may change)."""
    require_staff(actor, "move tour dates along")
    tour_date = get_or_404(session, TourDate, tour_date_id, "tour date")
    check_version(
        tour_date, expected_version if expected_version is not None else data.version, "tour date"
    )
    extra = move(
        tour_date,
        data.to,
        option_level=data.option_level,
        option_expires_on=data.option_expires_on,
        reason=data.reason,
    )
    record(session, actor=actor, tour_date=tour_date, extra=extra)
    return tour_date


def set_option(
    tour_date: TourDate, *, option_level: int | None, option_expires_on: date | None
) -> None:
    """Change the level or expiry of a date that is an option (a partial update's fields)."""
    if tour_date.stage != S.option:
        raise DomainError(
            "only an option has a level and an expiry",
            errors=[
                FieldError(
                    field="body.option_level",
                    message="the date is not an option",
                    code="date_not_option",
                )
            ],
        )
    tour_date.option_level = option_level or 1
    tour_date.option_expires_on = option_expires_on


def audit_move(
    session: Session, *, actor: Actor, tour_date: TourDate, extra: dict[str, Any]
) -> None:
    """Write a stage move to the trail: `extra` names the stages, never private values."""
    audit(
        session,
        actor=actor,
        action="transition",
        entity="tour_date",
        entity_id=tour_date.id,
        summary=f"{extra['from']} → {extra['to']}",
        fields=["stage"],
        extra=extra,
    )


def record(session: Session, *, actor: Actor, tour_date: TourDate, extra: dict[str, Any]) -> None:
    """Bump the version, write the transition to the trail and share the new state."""
    tour_date.version += 1
    session.flush()
    audit_move(session, actor=actor, tour_date=tour_date, extra=extra)
    share_tour_date(session, tour_date)
