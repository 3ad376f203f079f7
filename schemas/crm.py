"""The local API's CRM shapes: interactions, prospection, the pipeline, duplicates and merges."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.common import StrictModel


class InteractionKind(StrEnum):
    """What sort of exchange with an organiser: a call, an e-mail, a meeting, an offer, a note."""

    call = "appel"
    email = "e-mail"
    meeting = "rendez-vous"
    offer = "offre-envoyee"
    note = "note"


class ProspectionStatus(StrEnum):
    """Where selling a production to an organiser stands, in pipeline order."""

    to_contact = "a-contacter"
    contacted = "contacte"
    interested = "interesse"
    option = "option"
    confirmed = "confirme"
    refused = "refuse"


PIPELINE_ORDER = tuple(ProspectionStatus)


class InteractionCreate(StrictModel):
    kind: InteractionKind = InteractionKind.note
    happened_at: datetime | None = Field(
        None, description="When it happened; now when absent; naive times are Paris time."
    )
    production_id: str | None = Field(None, min_length=1, max_length=32)
    text: str = Field("", max_length=20_000)


class InteractionUpdate(StrictModel):
    """A partial update, allowed to its author and to staff."""

    kind: InteractionKind | None = None
    happened_at: datetime | None = None
    production_id: str | None = Field(None, min_length=1, max_length=32)
    text: str | None = Field(None, max_length=20_000)
    version: int | None = Field(
        None, description="The version you edited; alternatively send `If-Match`."
    )


class InteractionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
    organisation_id: str
    production_id: str | None
    kind: InteractionKind
    happened_at: datetime
    author: str
    author_member_id: str | None
    text: str
    created_at: datetime
    updated_at: datetime


class ProspectionCreate(StrictModel):
    organisation_id: str = Field(min_length=1, max_length=32)
    status: ProspectionStatus = ProspectionStatus.to_contact
    next_action: str = Field("", max_length=300, examples=["Relancer après le festival"])
    next_action_on: date | None = None
    contact_id: str | None = Field(None, min_length=1, max_length=32)
    notes: str = Field("", max_length=10_000)


class ProspectionUpdate(StrictModel):
    """A partial update; `next_action_on` and `contact_id` null clear them."""

    status: ProspectionStatus | None = None
    next_action: str | None = Field(None, max_length=300)
    next_action_on: date | None = None
    contact_id: str | None = Field(None, min_length=1, max_length=32)
    notes: str | None = Field(None, max_length=10_000)
    version: int | None = Field(
        None, description="The version you edited; alternatively send `If-Match`."
    )


class ProspectionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
    production_id: str
    organisation_id: str
    organisation_name: str = ""
    organisation_city: str = ""
    status: ProspectionStatus
    next_action: str
    next_action_on: date | None
    contact_id: str | None
    notes: str
    created_at: datetime
    updated_at: datetime


class PipelineColumn(BaseModel):
    status: ProspectionStatus
    count: int
    items: list[ProspectionPublic]


class Pipeline(BaseModel):
    """A production's prospection, one column per status in pipeline order."""

    production_id: str
    columns: list[PipelineColumn]


class DuplicateReason(StrEnum):
    name_city = "same-name-and-city"
    email = "same-email"


class DuplicateOrganisation(BaseModel):
    id: str
    name: str
    city: str
    email: str


class DuplicateGroup(BaseModel):
    """Organisations that look like one: same folded name and city, or a shared e-mail."""

    reason: DuplicateReason
    key: str
    organisations: list[DuplicateOrganisation]


class MergeRequest(StrictModel):
    """Fold `merged_id` into the organisation of the URL, which is kept."""

    merged_id: str = Field(min_length=1, max_length=32)


class MergeReport(BaseModel):
    """What moved to the kept organisation; the merged one is gone."""

    kept_id: str
    merged_id: str
    contacts: int
    interactions: int
    prospections: int
    prospections_combined: int
    tour_dates: int
    other_references: int
    fields_filled: list[str]
