"""Hosting a touring production: a bureau offers support for a network date in its area
(local crew who consent, lendable resources, local contacts, a note) through a signed
`hosting.offer`; the producing bureau accepts or declines each item and answers with
`hosting.reply`."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from schemas.common import StrictModel, refusal
from schemas.engagements import EngagementTerms

KIND_HOSTING_OFFER = "hosting.offer"
KIND_HOSTING_REPLY = "hosting.reply"

MAX_ITEMS = 20
MAX_AREA_ENTRIES = 50


class ItemType(StrEnum):
    crew = "crew"
    resource = "resource"
    contact = "contact"


class ItemStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    declined = "declined"


def area_entry(raw: str) -> str:
    """One entry of a hosting area as stored: a département number or postal-code prefix (1 to
    5 digits, spaces dropped: `38`, `730`) or a city name (`Grenoble`); anything else is
    refused (`host_area_entry`)."""
    text = " ".join(raw.split())
    compact = text.replace(" ", "")
    if compact.isdigit() and len(compact) <= 5:
        return compact
    if (
        text
        and len(text) <= 120
        and any(c.isalpha() for c in text)
        and not any(c.isdigit() for c in text)
    ):
        return text
    raise PydanticCustomError(
        "host_area_entry",
        "'{entry}' is neither a département or postal-code prefix (1 to 5 digits) nor a city name",
        {"entry": raw[:130]},
    )


class HostAreaUpdate(StrictModel):
    """The whole hosting area, replacing the previous one; `[]` hosts nowhere."""

    entries: list[Annotated[str, AfterValidator(area_entry)]] = Field(
        max_length=MAX_AREA_ENTRIES,
        description="Département numbers or postal-code prefixes (`38`, `730`) and city names.",
        examples=[["38", "730", "Grenoble"]],
    )
    version: int | None = Field(
        None, description="The version you edited (0 while the setting is the area); or If-Match."
    )

    @field_validator("entries")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        kept: dict[str, str] = {}
        for entry in value:
            kept.setdefault(entry.casefold(), entry)
        return list(kept.values())


class HostAreaPublic(BaseModel):
    """Where the bureau hosts touring productions, and who set it."""

    entries: list[str]
    source: str = Field(
        description="`settings` (the `node.host_area` setting, never edited here) or `bureau` "
        "(set by an admin)."
    )
    version: int = Field(description="0 while the setting is the area.")
    updated_by: str = ""
    updated_at: datetime | None = None


class CrewOffer(StrictModel):
    member_id: str = Field(min_length=1, max_length=32)
    note: str = Field("", max_length=500)


class ContactOffer(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field("", max_length=120, examples=["Directeur technique du théâtre"])
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    note: str = Field("", max_length=500)


class HostingOfferCreate(StrictModel):
    """Offer support for the date `tour_date_id` of the bureau `producer`."""

    producer: str = Field(min_length=1, max_length=40)
    tour_date_id: str = Field(min_length=1, max_length=64)
    note: str = Field("", max_length=2000)
    crew: list[CrewOffer] = Field(default_factory=list, max_length=MAX_ITEMS)
    resources: list[str] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Ids of own lendable resources."
    )
    contacts: list[ContactOffer] = Field(default_factory=list, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _something(self) -> HostingOfferCreate:
        if not (self.crew or self.resources or self.contacts or self.note.strip()):
            raise refusal(
                "offer_empty", "an offer holds at least a member, a resource, a contact or a note"
            )
        return self


class CrewDetails(BaseModel):
    model_config = ConfigDict(extra="allow")

    card_id: str = Field(max_length=64)
    display_name: str = Field(max_length=200)
    trades: list[str] = Field(default_factory=list, max_length=20)
    city: str = Field("", max_length=120)
    note: str = Field("", max_length=500)


class ResourceDetails(BaseModel):
    model_config = ConfigDict(extra="allow")

    resource_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field("", max_length=20)


class ContactDetails(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(max_length=200)
    role: str = Field("", max_length=120)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    note: str = Field("", max_length=500)


DETAILS: dict[str, type[BaseModel]] = {
    "crew": CrewDetails,
    "resource": ResourceDetails,
    "contact": ContactDetails,
}


class OfferItem(BaseModel):
    """One offered item and the producer's decision on it."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(max_length=16)
    type: ItemType
    label: str = Field("", max_length=300)
    details: dict[str, Any] = Field(default_factory=dict)
    status: ItemStatus = ItemStatus.proposed
    reason: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _details(self) -> OfferItem:
        # A peer's details are checked by type: a page never meets a number for a name.
        DETAILS[self.type.value].model_validate(self.details)
        return self


class HostingOfferPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    role: str = Field(description="`host` when this bureau offers, `producer` when it receives.")
    host: str
    producer: str
    tour_date_id: str
    date_label: str
    day: date
    note: str
    items: list[OfferItem]
    revision: int
    version: int
    created_at: datetime
    updated_at: datetime


class Decision(StrEnum):
    accept = "accept"
    decline = "decline"


class ItemDecision(StrictModel):
    """The producer's answer on one item. Accepting crew engages them (`engagement` terms):
    the producing bureau is the employer. Accepting a resource asks the host to lend it
    for the date. Accepting a contact adds it to the date's day sheet."""

    decision: Decision
    reason: str = Field("", max_length=2000)
    engagement: EngagementTerms | None = None


# -- messages --------------------------------------------------------------------------------


class HostingOfferMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    offer_id: str = Field(min_length=8, max_length=64)
    tour_date_id: str = Field(min_length=1, max_length=64)
    day: date
    date_label: str = Field("", max_length=300)
    note: str = Field("", max_length=2000)
    items: list[OfferItem] = Field(max_length=3 * MAX_ITEMS)


class ItemAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = Field(max_length=16)
    status: ItemStatus
    reason: str = Field("", max_length=2000)


class HostingReplyMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    offer_id: str = Field(min_length=8, max_length=64)
    revision: int = Field(ge=1)
    items: list[ItemAnswer] = Field(max_length=3 * MAX_ITEMS)
