"""Budgets of dates and tours: income and costs, estimate against actual, and the margin.

Besides the lines staff enter, each date's budget shows two worked-out lines: the salaries
of its engagements at their employer cost (gross × (1 + the bureau's rates), an estimate
only) and its share of the sale contract's fee (a contract's fee split over its dates).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.actors import Actor
from node.models import BudgetLine, Engagement, Production, TourDate
from node.problems import DomainError
from node.services import contracts, office
from node.services.common import audit, check_version, get_or_404
from node.services.editing import require_staff
from node.services.engagements import performance_day
from node.services.paygrids import cents, euros
from schemas.budgets import (
    BudgetLineCreate,
    BudgetLinePublic,
    BudgetLineUpdate,
    Category,
    DateBudget,
    Direction,
    EmployerRates,
    Totals,
    TourBudget,
)
from schemas.common import FieldError
from schemas.tourdates import DateStage

RATES = "employer_rates"


def employer_rates(session: Session) -> EmployerRates:
    return EmployerRates.model_validate(office.get_setting(session, RATES))


def save_rates(session: Session, *, actor: Actor, data: EmployerRates) -> EmployerRates:
    office.put_setting(session, actor=actor, key=RATES, value=data.model_dump())
    return data


def create_line(session: Session, *, actor: Actor, data: BudgetLineCreate) -> BudgetLine:
    require_staff(actor, "edit budgets")
    get_or_404(session, Production, data.production_id, "production")
    if data.tour_date_id:
        tour_date = session.get(TourDate, data.tour_date_id)
        if tour_date is None or tour_date.production_id != data.production_id:
            raise DomainError(
                "the line's date is not one of the production's",
                errors=[
                    FieldError(
                        field="body.tour_date_id",
                        message="not a date of it",
                        code="date_not_of_production",
                    )
                ],
            )
    row = BudgetLine(
        production_id=data.production_id,
        tour_date_id=data.tour_date_id,
        direction=data.direction.value,
        category=data.category.value,
        label=data.label,
        estimate_cents=cents(data.estimate),
        actual_cents=None if data.actual is None else cents(data.actual),
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor=actor,
        action="create",
        entity="budget_line",
        entity_id=row.id,
        summary=f"{row.direction} {row.category}",
        fields=sorted(data.model_dump(exclude_unset=True)),
    )
    return row


def get_line(session: Session, *, line_id: str) -> BudgetLine:
    return get_or_404(session, BudgetLine, line_id, "budget line")


def update_line(
    session: Session,
    *,
    actor: Actor,
    line_id: str,
    data: BudgetLineUpdate,
    expected_version: int | None,
) -> BudgetLine:
    """Change a line; `actual: null` clears the actual amount."""
    require_staff(actor, "edit budgets")
    row = get_or_404(session, BudgetLine, line_id, "budget line")
    check_version(
        row, expected_version if expected_version is not None else data.version, "budget line"
    )
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    for key, value in changes.items():
        if key == "estimate":
            row.estimate_cents = cents(value or Decimal(0))
        elif key == "actual":
            row.actual_cents = None if value is None else cents(value)
        elif value is not None:
            setattr(row, key, getattr(value, "value", value))
    row.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="update",
        entity="budget_line",
        entity_id=row.id,
        fields=sorted(changes),
    )
    return row


def delete_line(
    session: Session, *, actor: Actor, line_id: str, expected_version: int | None
) -> None:
    require_staff(actor, "edit budgets")
    row = get_or_404(session, BudgetLine, line_id, "budget line")
    if expected_version is not None:
        check_version(row, expected_version, "budget line")
    audit(session, actor=actor, action="delete", entity="budget_line", entity_id=row.id)
    session.delete(row)
    session.flush()


def present_line(row: BudgetLine) -> BudgetLinePublic:
    return BudgetLinePublic(
        id=row.id,
        version=row.version,
        production_id=row.production_id,
        tour_date_id=row.tour_date_id,
        source="manual",
        direction=row.direction,
        category=row.category,
        label=row.label,
        estimate=euros(row.estimate_cents),
        actual=None if row.actual_cents is None else euros(row.actual_cents),
    )


def _worked_out(session: Session, tour_date: TourDate) -> list[BudgetLinePublic]:
    lines: list[BudgetLinePublic] = []
    rates = employer_rates(session)
    team = session.scalars(select(Engagement).where(Engagement.tour_date_id == tour_date.id)).all()
    if team:
        total = sum(
            (
                euros(e.gross_pay_cents)
                * Decimal(str(1 + getattr(rates, e.category, 0.0) + rates.conges_spectacles))
                for e in team
            ),
            Decimal(0),
        )
        lines.append(
            BudgetLinePublic(
                id=None,
                version=None,
                production_id=tour_date.production_id,
                tour_date_id=tour_date.id,
                source="engagements",
                direction=Direction.cost,
                category=Category.salaries,
                label=f"Salaires chargés (estimation, {len(team)} contrat(s))",
                estimate=total.quantize(Decimal("0.01")),
                actual=None,
            )
        )
    contract = contracts.contract_of(session, tour_date.id)
    if contract is not None and contract.fee_cents and contract.kind != "coréalisation":
        covered = [
            d for d in contracts.dates_of(session, contract.id) if d.stage != DateStage.cancelled
        ]
        share = euros(contract.fee_cents // max(len(covered), 1))
        lines.append(
            BudgetLinePublic(
                id=None,
                version=None,
                production_id=tour_date.production_id,
                tour_date_id=tour_date.id,
                source="contract",
                direction=Direction.income,
                category=Category.fee,
                label=f"Contrat de {contract.kind} (part de la date)",
                estimate=share,
                actual=share
                if contract.settlement and contract.settlement.get("paid_on")
                else None,
            )
        )
    return lines


def _totals(lines: Sequence[BudgetLinePublic], direction: Direction) -> Totals:
    mine = [line for line in lines if line.direction == direction]
    return Totals(
        estimate=sum((line.estimate for line in mine), Decimal("0.00")),
        actual=sum((line.actual or Decimal(0) for line in mine), Decimal("0.00")),
        actual_complete=all(line.actual is not None for line in mine),
    )


def _budget(tour_date: TourDate | None, lines: list[BudgetLinePublic]) -> DateBudget:
    income, costs = _totals(lines, Direction.income), _totals(lines, Direction.cost)
    return DateBudget(
        tour_date_id=tour_date.id if tour_date else None,
        day=performance_day(tour_date) if tour_date else None,
        city=tour_date.city if tour_date else "",
        lines=lines,
        income=income,
        costs=costs,
        margin=Totals(
            estimate=income.estimate - costs.estimate,
            actual=income.actual - costs.actual,
            actual_complete=income.actual_complete and costs.actual_complete,
        ),
    )


def date_budget(session: Session, *, tour_date_id: str) -> DateBudget:
    tour_date = get_or_404(session, TourDate, tour_date_id, "tour date")
    rows = session.scalars(
        select(BudgetLine)
        .where(BudgetLine.tour_date_id == tour_date.id)
        .order_by(BudgetLine.created_at)
    ).all()
    return _budget(tour_date, [*map(present_line, rows), *_worked_out(session, tour_date)])


def tour_budget(session: Session, *, production_id: str) -> TourBudget:
    """Every date of the production (cancelled ones left out) and its tour-wide lines."""
    get_or_404(session, Production, production_id, "production")
    dates = session.scalars(
        select(TourDate)
        .where(TourDate.production_id == production_id, TourDate.stage != DateStage.cancelled)
        .order_by(TourDate.starts_at)
    ).all()
    per_date = [date_budget(session, tour_date_id=d.id) for d in dates]
    tour_rows = session.scalars(
        select(BudgetLine).where(
            BudgetLine.production_id == production_id, BudgetLine.tour_date_id.is_(None)
        )
    ).all()
    tour_lines = _budget(None, [present_line(r) for r in tour_rows])
    every = [line for b in [*per_date, tour_lines] for line in b.lines]
    whole = _budget(None, every)
    return TourBudget(
        production_id=production_id,
        dates=per_date,
        tour_lines=tour_lines,
        income=whole.income,
        costs=whole.costs,
        margin=whole.margin,
    )


def tour_csv(budget: TourBudget) -> str:
    """One row per line of the tour's budget (`;`, UTF-8 with BOM, decimal comma)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["date", "ville", "sens", "categorie", "libelle", "source", "prevu", "reel"])

    def money(value: Decimal | None) -> str:
        return "" if value is None else str(value).replace(".", ",")

    for block in [*budget.dates, budget.tour_lines]:
        for line in block.lines:
            writer.writerow(
                [
                    block.day.isoformat() if block.day else "tournée",
                    block.city,
                    line.direction.value,
                    line.category.value,
                    line.label,
                    line.source,
                    money(line.estimate),
                    money(line.actual),
                ]
            )
    writer.writerow(
        [
            "total",
            "",
            "marge",
            "",
            "",
            "",
            money(budget.margin.estimate),
            money(budget.margin.actual),
        ]
    )
    return out.getvalue()
