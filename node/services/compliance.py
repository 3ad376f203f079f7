"""The legal duties of each date, their state and due date, and what is overdue.

Per date: the sale contract signed with both licence numbers; the production's numéro
d'objet; for each engagement its CDDU, its DPAE (within its window), its AEM and its
certificat Congés Spectacles; the settlement after the date; and, owed by whoever holds the
ticketing (the organiser under a cession or a coréalisation by default), SIBIL and the
SACEM/SACD declarations. A lapsed option is overdue too.

Dates in this module are local days; `today` is always given, so a fake clock is trivial.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import ComplianceMark, Engagement, Member, Production, SaleContract, TourDate
from node.models.base import utcnow
from node.problems import DomainError
from node.services import contracts
from node.services.common import audit, get_or_404
from node.services.editing import require_staff
from node.services.engagements import dpae_window, performance_day
from schemas.compliance import DateCompliance, Duty, DutyState, OverdueItem, Owner
from schemas.licences import is_valid as licence_valid
from schemas.tourdates import DateStage

MANUAL = {"sibil": "Déclaration SIBIL", "sacem-sacd": "Déclarations SACEM / SACD"}
SETTLEMENT_DAYS = 30  # the bureau's reminder for a décompte or balance invoice
LOOKBACK_DAYS = 400


def _state(done: bool, today: date, due: date | None, opens: date | None = None) -> DutyState:
    if done:
        return DutyState.done
    if opens and today < opens:
        return DutyState.upcoming
    if due and today > due:
        return DutyState.overdue
    return DutyState.pending


def sibil_due(day: date) -> date:
    """Before the 10th of the first month of the quarter after the performance."""
    first_month = (day.month - 1) // 3 * 3 + 4
    year = day.year + (first_month > 12)
    return date(year, (first_month - 1) % 12 + 1, 10)


def aem_due(last_day: date) -> date:
    """Archipel's reminder: the 15th of the month after the contract's last day."""
    month = last_day.month % 12 + 1
    return date(last_day.year + (month == 1), month, 15)


def _contract_duties(row: SaleContract | None, day: date, today: date) -> list[Duty]:
    if row is None:
        return [
            Duty(
                code="contrat",
                label="Contrat de vente signé",
                state=_state(False, today, day),
                due=day,
                detail="aucun contrat pour cette date",
            )
        ]
    due = row.sign_by or day
    # Well-formed numbers only: a stored « n'importe quoi » from before validation is a problem.
    licences = licence_valid(row.producer_licence) and licence_valid(row.organiser_licence)
    return [
        Duty(
            code="contrat",
            label=f"Contrat de {row.kind} signé",
            state=_state(row.status == "signed", today, due),
            due=due,
            detail=f"signé le {row.signed_on.isoformat()}" if row.signed_on else row.status,
        ),
        Duty(
            code="licences",
            label="Numéros de licence des deux parties sur le contrat",
            state=DutyState.done if licences else DutyState.problem,
            due=due,
        ),
    ]


def _engagement_duties(row: Engagement, name: str, today: date) -> list[Duty]:
    window = dpae_window(row.first_working_day)
    common = {"engagement_id": row.id, "member_name": name}
    if row.dpae_sent_on is None:
        dpae = _state(False, today, window.latest, window.earliest)
        detail = ""
    elif window.earliest <= row.dpae_sent_on <= window.latest:
        dpae, detail = DutyState.done, f"envoyée le {row.dpae_sent_on.isoformat()}"
    else:
        dpae = DutyState.problem
        detail = f"envoyée le {row.dpae_sent_on.isoformat()}, hors de la fenêtre"
    last = row.last_working_day
    return [
        Duty(
            code="cddu",
            label="CDDU signé",
            state=_state(row.cddu_signed_on is not None, today, row.first_working_day),
            due=row.first_working_day,
            **common,
        ),
        Duty(
            code="dpae",
            label="DPAE",
            state=dpae,
            opens=window.earliest,
            due=window.latest,
            detail=detail,
            **common,
        ),
        Duty(
            code="aem",
            label="AEM",
            state=_state(row.aem_issued_on is not None, today, aem_due(last), last),
            opens=last,
            due=aem_due(last),
            **common,
        ),
        Duty(
            code="conges-spectacles",
            label="Certificat d'emploi Congés Spectacles",
            state=_state(row.conges_certificate_on is not None, today, last, last),
            opens=last,
            due=last,
            **common,
        ),
    ]


def date_compliance(session: Session, *, tour_date_id: str, today: date) -> DateCompliance:
    """Every duty of a date as of `today`."""
    tour_date = get_or_404(session, TourDate, tour_date_id, "tour date")
    production = session.get(Production, tour_date.production_id)
    day = performance_day(tour_date)
    duties: list[Duty] = []
    if tour_date.stage != DateStage.cancelled:
        duties = _duties(session, tour_date, production, day, today)
    mine = [d for d in duties if d.owner == Owner.bureau]
    bad = {DutyState.pending, DutyState.overdue, DutyState.problem}
    return DateCompliance(
        tour_date_id=tour_date.id,
        production_title=production.title if production else "",
        day=day,
        city=tour_date.city,
        stage=tour_date.stage,
        duties=duties,
        green=not any(d.state in bad for d in mine),
        overdue=sum(d.state == DutyState.overdue for d in mine),
    )


def _duties(
    session: Session, tour_date: TourDate, production: Production | None, day: date, today: date
) -> list[Duty]:
    duties: list[Duty] = []
    if tour_date.stage == DateStage.option and tour_date.option_expires_on:
        duties.append(
            Duty(
                code="option",
                label=f"Option {tour_date.option_level or 1} à confirmer ou lever",
                state=_state(False, today, tour_date.option_expires_on),
                due=tour_date.option_expires_on,
            )
        )
    contract = contracts.contract_of(session, tour_date.id)
    duties += _contract_duties(contract, day, today)
    team = session.execute(
        select(Engagement, Member.display_name)
        .join(Member, Member.id == Engagement.member_id)
        .where(Engagement.tour_date_id == tour_date.id)
        .order_by(Member.display_name)
    ).all()
    first = min((e.first_working_day for e, _ in team), default=day)
    has_number = bool(production and production.object_number)
    duties.append(
        Duty(
            code="numero-objet",
            label="Numéro d'objet du spectacle",
            state=_state(has_number, today, first),
            due=first,
            detail=production.object_number if production and has_number else "",
        )
    )
    for engagement, name in team:
        duties += _engagement_duties(engagement, name, today)
    if contract is not None:
        settled = contract.settlement is not None
        due = contract.payment_due or day + timedelta(days=SETTLEMENT_DAYS)
        label = (
            "Décompte de coréalisation" if contract.kind == "coréalisation" else "Facture de solde"
        )
        duties.append(
            Duty(
                code="decompte",
                label=label,
                state=_state(settled, today, due, day),
                opens=day,
                due=due,
            )
        )
    holder = (
        Owner.bureau if contract and contract.ticketing_holder == "producteur" else Owner.organiser
    )
    marks = {
        m.duty: m.done_on
        for m in session.scalars(
            select(ComplianceMark).where(ComplianceMark.tour_date_id == tour_date.id)
        )
    }
    for code, label in MANUAL.items():
        owed_by: date | None = sibil_due(day) if code == "sibil" else None
        if holder == Owner.organiser:
            state = DutyState.not_applicable
            detail = "la billetterie est tenue par l'organisateur, qui en est redevable"
        else:
            state = _state(code in marks, today, owed_by, day)
            detail = f"fait le {marks[code].isoformat()}" if code in marks else ""
        duties.append(
            Duty(
                code=code,
                label=label,
                owner=holder,
                state=state,
                opens=day,
                due=owed_by,
                detail=detail,
            )
        )
    return duties


def overdue_items(session: Session, today: date) -> list[OverdueItem]:
    """Every overdue duty of the bureau's dates (cancelled ones aside), soonest due first.

    Dates whose performance is more than ~13 months old are left out.
    """
    since = today - timedelta(days=LOOKBACK_DAYS)
    dates: Sequence[TourDate] = session.scalars(
        select(TourDate).where(TourDate.stage != DateStage.cancelled).order_by(TourDate.starts_at)
    ).all()
    items: list[OverdueItem] = []
    for tour_date in dates:
        if performance_day(tour_date) < since:
            continue
        page = date_compliance(session, tour_date_id=tour_date.id, today=today)
        items += [
            OverdueItem(
                tour_date_id=page.tour_date_id,
                production_title=page.production_title,
                day=page.day,
                city=page.city,
                code=d.code,
                label=d.label,
                due=d.due,
                engagement_id=d.engagement_id,
                member_name=d.member_name,
            )
            for d in page.duties
            if d.state == DutyState.overdue and d.owner == Owner.bureau
        ]
    return sorted(items, key=lambda i: (i.due or today, i.day))


def mark_done(
    session: Session, *, actor: Actor, tour_date_id: str, duty: str, done_on: date | None
) -> None:
    """Mark SIBIL or SACEM/SACD done for a date (`done_on=None` unmarks it)."""
    require_staff(actor, "mark duties done")
    get_or_404(session, TourDate, tour_date_id, "tour date")
    if duty not in MANUAL:
        raise DomainError(
            f"only these duties are marked by hand: {', '.join(MANUAL)}", code="duty_not_manual"
        )
    mark = session.scalar(
        select(ComplianceMark).where(
            ComplianceMark.tour_date_id == tour_date_id, ComplianceMark.duty == duty
        )
    )
    if done_on is None:
        if mark is not None:
            session.delete(mark)
    else:
        mark = mark or ComplianceMark(tour_date_id=tour_date_id, duty=duty)
        mark.done_on, mark.marked_by, mark.marked_at = done_on, actor.name, utcnow()
        session.add(mark)
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="compliance",
        entity_id=tour_date_id,
        fields=[duty],
    )
