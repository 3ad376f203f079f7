"""Bodies of the records bureaus share: what a peer receives, and nothing more.

Each body carries `schema_version`; unknown fields from a newer peer are kept (`extra="allow"`)
so a node passes them on and a later version can read them.

Every field is bounded, at the same limits as the local API's (no bureau can publish what
its peers refuse), and a whole body at `MAX_BODY_BYTES`: `check_limits` is what a node
applies to every record it receives (see docs/protocol.md, "Limits").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

SCHEMA_VERSION = 1

MAX_BODY_BYTES = 262_144
"""The largest body (canonical JSON, in bytes) of any record, of any kind, a node accepts:
the largest body the field limits allow is some 150 KB."""

Line = Annotated[str, StringConstraints(max_length=200)]
Place = Annotated[str, StringConstraints(max_length=120)]
Word = Annotated[str, StringConstraints(max_length=80)]
Token = Annotated[str, StringConstraints(max_length=64)]
Text = Annotated[str, StringConstraints(max_length=10_000)]
MAX_LINK_LENGTH = 2_083
Link = Annotated[str, StringConstraints(max_length=MAX_LINK_LENGTH)]

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

MAX_BUSY_PERIODS = 1_000
"""Lent periods a shared resource lists: the nearest ones, when (never) it has more."""


class SharedBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION


class AvailabilityPeriod(BaseModel):
    model_config = ConfigDict(extra="allow")

    start: date
    end: date | None = None


class DirectoryCard(SharedBody):
    """A member's card in the network directory: never contact or membership data."""

    display_name: Line
    city: Place = ""
    territory: Place = ""
    trades: list[Word] = Field(default_factory=list, max_length=20)
    skills: list[Word] = Field(default_factory=list, max_length=50)
    languages: list[Word] = Field(default_factory=list, max_length=20)
    bio: Annotated[str, StringConstraints(max_length=5_000)] = ""
    links: list[Link] = Field(default_factory=list, max_length=10)
    availability: list[AvailabilityPeriod] = Field(default_factory=list, max_length=50)
    visibility: Token = "network"


class SharedProduction(SharedBody):
    title: Line
    discipline: Token = ""
    synopsis: Text = ""
    artistic_lead: Line = ""
    visibility: Token = "network"


class SharedTourDate(SharedBody):
    """A performance date: no fees, no contract terms."""

    production_id: Token
    production_title: Line = ""
    starts_at: datetime
    timezone: Token = "Europe/Paris"
    city: Place = ""
    venue_name: Line = ""
    # The venue's postal code: a bureau hosting in that area sees the date come to it.
    postal_code: Annotated[str, StringConstraints(max_length=20)] = ""
    status: Token = "option"


class SharedVenue(SharedBody):
    name: Line
    city: Place = ""
    technical_specs: Annotated[str, StringConstraints(max_length=20_000)] = ""


class BusyPeriod(BaseModel):
    """Days a resource is lent (both ends included): the network sees when, never to whom."""

    model_config = ConfigDict(extra="allow")

    start: date
    end: date


class SharedResource(SharedBody):
    name: Line
    kind: Token = "equipment"
    description: Text = ""
    location: Line = ""
    busy: list[BusyPeriod] = Field(default_factory=list, max_length=MAX_BUSY_PERIODS)


class SharedContactHint(SharedBody):
    """ "Our bureau is in contact with this organisation; ask this person": never the history."""

    organisation_name: Line
    city: Place = ""
    person: Line = ""


SCHEMAS: dict[str, type[SharedBody]] = {
    KIND_CARD: DirectoryCard,
    KIND_PRODUCTION: SharedProduction,
    KIND_TOUR_DATE: SharedTourDate,
    KIND_VENUE: SharedVenue,
    KIND_RESOURCE: SharedResource,
    KIND_CONTACT_HINT: SharedContactHint,
}
"""The body model of each shared kind."""

_LIMIT_ERRORS = frozenset({"string_too_long", "too_long"})


class OverLimit(ValueError):
    """A shared body exceeds a bound of its kind; `fields` names where (never the values)."""

    def __init__(self, kind: str, fields: list[str]) -> None:
        super().__init__(f"{kind} over its limits in {', '.join(fields)}")
        self.kind = kind
        self.fields = fields


def check_limits(kind: str, body: Mapping[str, Any]) -> None:
    """Raise `OverLimit` when `body` exceeds a field bound of `kind` (unknown kinds pass).

    Only bounds refuse: a body this version cannot otherwise read (a newer peer's) is kept
    out of the replica by the node, as before, and still stored and relayed."""
    schema = SCHEMAS.get(kind)
    if schema is None:
        return
    try:
        schema.model_validate(body)
    except ValidationError as exc:
        over = [
            ".".join(str(part) for part in error["loc"])
            for error in exc.errors(include_url=False, include_input=False)
            if error["type"] in _LIMIT_ERRORS
        ]
        if over:
            raise OverLimit(kind, over) from None
