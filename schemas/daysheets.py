"""The local API's day sheet shapes: schedule, places, lodging, meals, contacts, share links."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from schemas.common import StrictModel


class Audience(StrEnum):
    """Who a version is for: the whole team, or technicians (with technical details)."""

    team = "equipe"
    technical = "technique"


class ScheduleItem(StrictModel):
    time: str = Field(
        pattern=r"^([01]?\d|2[0-3])[:h][0-5]\d$",
        examples=["14:00", "9h30"],
        description="A time of day, 00:00 to 23:59 (`14:00` or `14h00`).",
    )
    label: str = Field(min_length=1, max_length=200, examples=["Montage"])
    technical: bool = Field(False, description="Shown in the technical version only.")


class Place(StrictModel):
    label: str = Field(min_length=1, max_length=200, examples=["Théâtre (entrée artistes)"])
    address: str = Field("", max_length=500)
    travel_time: str = Field("", max_length=120, examples=["1 h 40 depuis Lyon"])
    technical: bool = False


class SiteContact(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field("", max_length=120)
    phone: str = Field("", max_length=40)


class DaySheetBody(StrictModel):
    schedule: list[ScheduleItem] = Field(default_factory=list, max_length=100)
    places: list[Place] = Field(default_factory=list, max_length=50)
    accommodation: str = Field("", max_length=5000)
    meals: str = Field("", max_length=5000)
    contacts: list[SiteContact] = Field(default_factory=list, max_length=50)
    technical_notes: str = Field("", max_length=20_000)
    internal_notes: str = Field(
        "", max_length=20_000, description="For the bureau: never in any exported version."
    )


class DaySheetUpdate(DaySheetBody):
    """The whole sheet, replacing the date's; the version it was edited from is required
    (`0` for a date that has no sheet yet)."""

    version: int | None = Field(
        None, description="The version you edited; alternatively send `If-Match`."
    )


class DaySheetPublic(DaySheetBody):
    tour_date_id: str
    version: int


class LinkCreate(StrictModel):
    audience: Audience = Audience.team


class LinkPublic(BaseModel):
    id: str
    tour_date_id: str
    audience: Audience
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    url: str | None = Field(None, description="Shown once, when the link is made.")
