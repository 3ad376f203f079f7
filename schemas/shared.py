"""Bodies of the records bureaus share: what a peer receives, and nothing more.

Each body carries `schema_version`; unknown fields from a newer peer are kept (`extra="allow"`)
so a node passes them on and a later version can read them.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

KIND_CARD = "directory.card"
KIND_PRODUCTION = "production"
KIND_TOUR_DATE = "tour.date"
KIND_VENUE = "venue"
KIND_RESOURCE = "resource"
KIND_CONTACT_HINT = "organisation.contact-hint"
SHARED_KINDS = (
    KIND_CARD,
    KIND_PRODUCTION,
    KIND_TOUR_DATE,
    KIND_VENUE,
    KIND_RESOURCE,
    KIND_CONTACT_HINT,
)


class SharedBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION


class AvailabilityPeriod(BaseModel):
    model_config = ConfigDict(extra="allow")

    start: date
    end: date | None = None


class DirectoryCard(SharedBody):
    """A member's card in the network directory: never contact or membership data."""

    display_name: str
    city: str = ""
    territory: str = ""
    trades: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    bio: str = ""
    links: list[str] = Field(default_factory=list)
    availability: list[AvailabilityPeriod] = Field(default_factory=list)
    visibility: str = "network"


class SharedProduction(SharedBody):
    title: str
    discipline: str = ""
    synopsis: str = ""
    artistic_lead: str = ""
    visibility: str = "network"


class SharedTourDate(SharedBody):
    """A performance date: no fees, no contract terms."""

    production_id: str
    production_title: str = ""
    starts_at: datetime
    timezone: str = "Europe/Paris"
    city: str = ""
    venue_name: str = ""
    # The venue's postal code: a bureau hosting in that area sees the date come to it.
    postal_code: str = ""
    status: str = "option"


class SharedVenue(SharedBody):
    name: str
    city: str = ""
    technical_specs: str = ""


class BusyPeriod(BaseModel):
    """Days a resource is lent (both ends included): the network sees when, never to whom."""

    model_config = ConfigDict(extra="allow")

    start: date
    end: date


class SharedResource(SharedBody):
    name: str
    kind: str = "equipment"
    description: str = ""
    location: str = ""
    busy: list[BusyPeriod] = Field(default_factory=list)


class SharedContactHint(SharedBody):
    """ "Our bureau is in contact with this organisation; ask this person": never the history."""

    organisation_name: str
    city: str = ""
    person: str = ""
