"""The local API's member shapes: create, update (partial) and public views."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from schemas.common import Email, StrictModel, Visibility, refusal
from schemas.shared import MAX_LINK_LENGTH

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


def _link_fits(url: HttpUrl) -> HttpUrl:
    """A link as peers receive it (normalised: `é` is `%C3%A9`) is within their bound."""
    if len(str(url)) > MAX_LINK_LENGTH:
        raise PydanticCustomError(
            "string_too_long",
            "the link is longer than {max_length} characters once encoded",
            {"max_length": MAX_LINK_LENGTH},
        )
    return url


Link = Annotated[HttpUrl, AfterValidator(_link_fits)]


PROPOSALS_HELP = (
    "The member accepts that the bureau proposes them to other bureaus (hosting a touring "
    "production), on days they are available."
)


class Availability(StrictModel):
    """A period when a member is available; `end` empty means open-ended."""

    start: date
    end: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Availability:
        if self.end is not None and self.end < self.start:
            raise refusal(
                "period_ends_before_start",
                "the end of an availability period must not precede its start",
            )
        return self


class MemberFields(StrictModel):
    """Fields a member's card and bureau record share between create and update."""

    city: str = Field("", max_length=120)
    territory: str = Field("", max_length=120)
    trades: list[Tag] = Field(default_factory=list, max_length=20)
    skills: list[Tag] = Field(default_factory=list, max_length=50)
    languages: list[Tag] = Field(default_factory=list, max_length=20)
    bio: str = Field("", max_length=5000)
    links: list[Link] = Field(default_factory=list, max_length=10)
    availability: list[Availability] = Field(default_factory=list, max_length=50)
    visibility: Visibility = Visibility.local
    network_proposals: bool = Field(False, description=PROPOSALS_HELP)
    email: Email | None = None
    phone: str = Field("", max_length=40)
    address: str = Field("", max_length=1000)
    member_since: date | None = None
    shares: int = Field(0, ge=0)


class MemberCreate(MemberFields):
    display_name: str = Field(min_length=1, max_length=200)


class MemberUpdate(StrictModel):
    """A partial update: only the fields present change."""

    display_name: str | None = Field(None, min_length=1, max_length=200)
    city: str | None = Field(None, max_length=120)
    territory: str | None = Field(None, max_length=120)
    trades: list[Tag] | None = Field(None, max_length=20)
    skills: list[Tag] | None = Field(None, max_length=50)
    languages: list[Tag] | None = Field(None, max_length=20)
    bio: str | None = Field(None, max_length=5000)
    links: list[Link] | None = Field(None, max_length=10)
    availability: list[Availability] | None = Field(None, max_length=50)
    visibility: Visibility | None = None
    network_proposals: bool | None = Field(None, description=PROPOSALS_HELP)
    email: Email | None = None
    phone: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=1000)
    member_since: date | None = None
    shares: int | None = Field(None, ge=0)
    version: int | None = Field(
        None, description="The version you edited; alternatively send `If-Match`."
    )


class MemberPublic(BaseModel):
    """A member as the bureau's API shows it (contact data only to staff and the member)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
    display_name: str
    city: str
    territory: str
    trades: list[str]
    skills: list[str]
    languages: list[str]
    bio: str
    links: list[str]
    availability: list[Availability]
    visibility: Visibility
    consent_at: datetime | None
    network_proposals: bool = False
    network_proposals_at: datetime | None = Field(
        None, description="When the member accepted network proposals (null while off)."
    )
    home_bureau: str = Field(
        "", description="For a member of another bureau engaged here: that bureau's slug."
    )
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    member_since: date | None = None
    shares: int | None = None
    created_at: datetime
    updated_at: datetime
