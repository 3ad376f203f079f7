"""The local API's tour date shapes: a performance of a production, at a moment and a place."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from schemas.common import StrictModel

DEFAULT_TIMEZONE = "Europe/Paris"


class TourStatus(StrEnum):
    """Where a date stands: pencilled in, agreed, or called off."""

    option = "option"
    confirmed = "confirmed"
    cancelled = "cancelled"


class DateStage(StrEnum):
    """The production office's pipeline of a date: option → confirmée → contrat signé → jouée →
    soldée, or annulée. `TourStatus` is its coarse view (all but option and annulée are
    "confirmed")."""

    option = "option"
    confirmed = "confirmee"
    contract_signed = "contrat-signe"
    played = "jouee"
    settled = "soldee"
    cancelled = "annulee"


OptionLevel = Annotated[int, Field(ge=1, le=3, description="1 is the firmest option.")]


class ContractType(StrEnum):
    """The French contract forms of a performance; stored with their accents."""

    cession = "cession"
    corealisation = "coréalisation"
    coproduction = "coproduction"
    residence = "résidence"


def _ascii_key(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_CONTRACT_KEYS = {_ascii_key(c.value): c.value for c in ContractType}


def _contract_type(value: object) -> object:
    """Accept a contract type typed without its accents or capitals ("residence", "Cession")."""
    if isinstance(value, str):
        return _CONTRACT_KEYS.get(_ascii_key(value), value)
    return value


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; ValueError when there is none of that name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(
            f"{name!r} is not a known time zone; use an IANA name such as {DEFAULT_TIMEZONE}"
        ) from exc


def _zone_name(name: str) -> str:
    zone(name)
    return name


def localise(moment: datetime, timezone: str) -> datetime:
    """`moment` made aware: a naive one is read as wall-clock time in `timezone`."""
    if moment.tzinfo is not None and moment.utcoffset() is not None:
        return moment
    return moment.replace(tzinfo=zone(timezone))


ContractTypeField = Annotated[ContractType, BeforeValidator(_contract_type)]
ZoneName = Annotated[
    str,
    Field(min_length=1, max_length=64, examples=[DEFAULT_TIMEZONE]),
    AfterValidator(_zone_name),
]
STARTS_AT_HELP = (
    "When the performance starts; without an offset it is read in `timezone` "
    f"({DEFAULT_TIMEZONE} unless given)."
)


class TourDateCreate(StrictModel):
    production_id: str = Field(min_length=1, max_length=32)
    starts_at: datetime = Field(description=STARTS_AT_HELP)
    timezone: ZoneName = DEFAULT_TIMEZONE
    venue_id: str | None = Field(
        None, min_length=1, max_length=32, description="The organisation hosting the date."
    )
    city: str | None = Field(None, max_length=120, description="Defaults to the venue's city.")
    status: TourStatus = TourStatus.option
    contract_type: ContractTypeField = ContractType.cession
    notes: str = Field("", max_length=5000)
    option_level: OptionLevel | None = Field(None, description="Of an option; 1 by default.")
    option_expires_on: date | None = None

    @model_validator(mode="after")
    def _aware(self) -> TourDateCreate:
        self.starts_at = localise(self.starts_at, self.timezone)
        return self


class TourDateUpdate(StrictModel):
    """A partial update: only the fields present change; `venue_id: null` removes the venue.

    A naive `starts_at` is read in the `timezone` sent with it, or else the date's own; a new
    `timezone` alone keeps the moment and changes how it is shown. When the venue changes and
    no `city` is sent, the city follows the new venue.
    """

    production_id: str | None = Field(None, min_length=1, max_length=32)
    starts_at: datetime | None = Field(None, description=STARTS_AT_HELP)
    timezone: ZoneName | None = None
    venue_id: str | None = Field(None, min_length=1, max_length=32)
    city: str | None = Field(None, max_length=120)
    status: TourStatus | None = None
    contract_type: ContractTypeField | None = None
    notes: str | None = Field(None, max_length=5000)
    option_level: OptionLevel | None = None
    option_expires_on: date | None = None
    version: int | None = Field(
        None, description="The version you edited; alternatively send `If-Match`."
    )


class TourDatePublic(BaseModel):
    """A tour date as the bureau's API shows it; `starts_at` carries its zone's offset."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
    production_id: str
    starts_at: datetime
    timezone: str
    venue_id: str | None
    city: str
    status: TourStatus
    stage: DateStage
    option_level: int | None
    option_expires_on: date | None
    cancel_reason: str
    contract_type: ContractType
    notes: str
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="after")
    def _in_its_zone(self) -> TourDatePublic:
        self.starts_at = self.starts_at.astimezone(zone(self.timezone))
        return self


class StageChange(StrictModel):
    """Move a date along its pipeline; every move is recorded in the audit trail."""

    to: DateStage
    option_level: OptionLevel | None = Field(None, description="Of an option (to: option).")
    option_expires_on: date | None = Field(None, description="When the option lapses.")
    reason: str | None = Field(
        None, max_length=2000, description="Why the date is cancelled (required for annulee)."
    )
    version: int | None = Field(
        None, description="The version you moved; alternatively send `If-Match`."
    )
