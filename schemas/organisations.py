"""The local API's organisation and contact shapes: create, update (partial), public views."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from schemas.common import Email, StrictModel
from schemas.licences import EXAMPLES, LicenceNumber, OptionalLicenceNumber
from schemas.members import Tag

LICENCE_HELP = (
    "Licence d'entrepreneur de spectacles: the PLATESV receipt number or its short form, "
    f"or a licence granted before 2019 ({EXAMPLES}); several may be separated by commas."
)


class OrganisationKind(StrEnum):
    """What sort of organisation books, hosts or funds shows."""

    theatre = "theatre"
    scene_nationale = "scene-nationale"
    festival = "festival"
    smac = "smac"
    mairie = "mairie"
    association = "association"
    compagnie = "compagnie"
    autre = "autre"


class OrganisationCreate(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    kind: OrganisationKind = OrganisationKind.autre
    city: str = Field("", max_length=120)
    address: str = Field("", max_length=1000)
    postal_code: str = Field("", max_length=20)
    licence_number: LicenceNumber = Field("", max_length=60, description=LICENCE_HELP)
    email: Email | None = None
    phone: str = Field("", max_length=40)
    website: HttpUrl | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    technical_specs: str = Field("", max_length=20_000)
    is_venue: bool = False
    notes: str = Field("", max_length=10_000)


class OrganisationUpdate(StrictModel):
    """A partial update: only the fields present change; `email`/`website` null clears them."""

    name: str | None = Field(None, min_length=1, max_length=200)
    kind: OrganisationKind | None = None
    city: str | None = Field(None, max_length=120)
    address: str | None = Field(None, max_length=1000)
    postal_code: str | None = Field(None, max_length=20)
    licence_number: OptionalLicenceNumber = Field(None, max_length=60, description=LICENCE_HELP)
    email: Email | None = None
    phone: str | None = Field(None, max_length=40)
    website: HttpUrl | None = None
    tags: list[Tag] | None = Field(None, max_length=50)
    technical_specs: str | None = Field(None, max_length=20_000)
    is_venue: bool | None = None
    notes: str | None = Field(None, max_length=10_000)
    version: int | None = Field(
        None, description="The version you edited; alternatively send `If-Match`."
    )


class OrganisationPublic(BaseModel):
    """An organisation as the bureau's API shows it (empty strings where nothing is known)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
    name: str
    kind: OrganisationKind
    city: str
    address: str
    postal_code: str
    licence_number: str
    email: str
    phone: str
    website: str
    tags: list[str]
    technical_specs: str
    is_venue: bool
    notes: str
    created_at: datetime
    updated_at: datetime


class ContactCreate(StrictModel):
    """A person at an organisation: a programmer, an administrator, a stage manager."""

    name: str = Field(min_length=1, max_length=200)
    role: str = Field("", max_length=120, examples=["programmatrice"])
    email: Email | None = None
    phone: str = Field("", max_length=40)
    notes: str = Field("", max_length=5000)


class ContactUpdate(StrictModel):
    """A partial update: only the fields present change; `email` null clears it."""

    name: str | None = Field(None, min_length=1, max_length=200)
    role: str | None = Field(None, max_length=120)
    email: Email | None = None
    phone: str | None = Field(None, max_length=40)
    notes: str | None = Field(None, max_length=5000)
    version: int | None = Field(
        None, description="The version you edited; alternatively send `If-Match`."
    )


class ContactPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
    organisation_id: str
    name: str
    role: str
    email: str
    phone: str
    notes: str
    created_at: datetime
    updated_at: datetime
