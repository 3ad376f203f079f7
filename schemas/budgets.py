"""The local API's budget shapes: lines, a date's budget, a tour's summary, employer rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from schemas.common import StrictModel
from schemas.engagements import Money


class Direction(StrEnum):
    income = "recette"
    cost = "depense"


class Category(StrEnum):
    """Income: fees, box-office share, subsidies; costs: salaries, travel, lodging, per diems,
    technical, rights; and other."""

    fee = "cession"
    receipts = "recettes"
    subsidy = "subvention"
    salaries = "salaires"
    travel = "transport"
    lodging = "hebergement"
    per_diems = "defraiements"
    technical = "technique"
    rights = "droits"
    other = "autre"


class BudgetLineCreate(StrictModel):
    production_id: str = Field(min_length=1, max_length=32)
    tour_date_id: str | None = Field(
        None, min_length=1, max_length=32, description="None: a line of the whole tour."
    )
    direction: Direction
    category: Category
    label: str = Field("", max_length=200)
    estimate: Money = Decimal(0)
    actual: Money | None = None


class BudgetLineUpdate(StrictModel):
    category: Category | None = None
    label: str | None = Field(None, max_length=200)
    estimate: Money | None = None
    actual: Money | None = None
    version: int | None = None


class BudgetLinePublic(BaseModel):
    id: str | None = Field(description="None for lines worked out from engagements/contracts.")
    version: int | None
    production_id: str
    tour_date_id: str | None
    source: str = Field(description="manual, engagements or contract.")
    direction: Direction
    category: Category
    label: str
    estimate: Decimal
    actual: Decimal | None


class Totals(BaseModel):
    estimate: Decimal
    actual: Decimal
    actual_complete: bool = Field(description="Every line has its actual amount.")


class DateBudget(BaseModel):
    tour_date_id: str | None
    day: date | None
    city: str
    lines: list[BudgetLinePublic]
    income: Totals
    costs: Totals
    margin: Totals


class TourBudget(BaseModel):
    """A production's tour: each date's budget, the tour-wide lines, and the totals."""

    production_id: str
    dates: list[DateBudget]
    tour_lines: DateBudget
    income: Totals
    costs: Totals
    margin: Totals


class EmployerRates(StrictModel):
    """Employer contributions as a share of gross pay, for cost estimates only.

    Archipel ships no official rates: set your own with your payroll provider's figures.
    """

    artiste: float = Field(0.0, ge=0, le=2, description="e.g. 0.45 for 45 %.")
    technicien: float = Field(0.0, ge=0, le=2)
    conges_spectacles: float = Field(
        0.155, ge=0, le=1, description="Congés Spectacles, 15.5 % since 1 April 2023."
    )
