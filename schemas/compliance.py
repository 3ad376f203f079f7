"""The local API's compliance shapes: each duty of a date with its state and due date."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from schemas.common import StrictModel


class DutyState(StrEnum):
    done = "done"
    pending = "pending"
    upcoming = "upcoming"
    overdue = "overdue"
    problem = "problem"
    not_applicable = "not-applicable"


class Owner(StrEnum):
    bureau = "bureau"
    organiser = "organisateur"


class Duty(BaseModel):
    """One duty of a date: who owes it, its state, from when and until when."""

    code: str = Field(examples=["dpae"])
    label: str
    owner: Owner = Owner.bureau
    state: DutyState
    opens: date | None = Field(None, description="Not due before this day.")
    due: date | None = None
    engagement_id: str | None = None
    member_name: str = ""
    detail: str = ""


class DateCompliance(BaseModel):
    tour_date_id: str
    production_title: str
    day: date
    city: str
    stage: str
    duties: list[Duty]
    green: bool = Field(
        description="Nothing of the bureau's is pending, overdue or wrong (upcoming aside)."
    )
    overdue: int


class OverdueItem(BaseModel):
    """An overdue duty, for the dashboard."""

    tour_date_id: str
    production_title: str
    day: date
    city: str
    code: str
    label: str
    due: date | None
    engagement_id: str | None = None
    member_name: str = ""


class MarkDone(StrictModel):
    done_on: date
