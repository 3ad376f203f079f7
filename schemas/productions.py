"""The local API's production shapes: create, update (partial) and public views, with the team."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from schemas.common import StrictModel, Visibility


class Discipline(StrEnum):
    """The artistic field of a production, as bureaus and venues file it."""

    theatre = "theatre"
    danse = "danse"
    musique = "musique"
    cirque = "cirque"
    arts_de_la_rue = "arts-de-la-rue"
    marionnette = "marionnette"
    jeune_public = "jeune-public"
    pluridisciplinaire = "pluridisciplinaire"
    autre = "autre"


class TeamEntry(StrictModel):
    """A member of the bureau in a production's team, in one role."""

    member_id: str = Field(min_length=1, max_length=32)
    role: str = Field(min_length=1, max_length=120, examples=["régisseuse son"])


class ProductionCreate(StrictModel):
    title: str = Field(min_length=1, max_length=200)
    discipline: Discipline = Discipline.theatre
    synopsis: str = Field("", max_length=10_000)
    artistic_lead: str = Field("", max_length=200)
    technical_summary: str = Field("", max_length=10_000)
    visibility: Visibility = Visibility.local
    team: list[TeamEntry] = Field(default_factory=list, max_length=200)


class ProductionUpdate(StrictModel):
    """A partial update: only the fields present change; `team` replaces the whole team."""

    title: str | None = Field(None, min_length=1, max_length=200)
    discipline: Discipline | None = None
    synopsis: str | None = Field(None, max_length=10_000)
    artistic_lead: str | None = Field(None, max_length=200)
    technical_summary: str | None = Field(None, max_length=10_000)
    visibility: Visibility | None = None
    team: list[TeamEntry] | None = Field(None, max_length=200)
    version: int | None = Field(
        None, description="The version you edited; alternatively send `If-Match`."
    )


class TeamMemberPublic(BaseModel):
    member_id: str
    display_name: str
    role: str


class ProductionPublic(BaseModel):
    """A production as the bureau's API shows it, its team named."""

    id: str
    version: int
    title: str
    discipline: Discipline
    synopsis: str
    artistic_lead: str
    technical_summary: str
    visibility: Visibility
    team: list[TeamMemberPublic]
    created_at: datetime
    updated_at: datetime
