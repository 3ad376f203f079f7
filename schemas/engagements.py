"""The local API's engagement shapes: a member's CDDU for a date, pay checks, payroll states."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from schemas.common import StrictModel, refusal
from schemas.tourdates import DEFAULT_TIMEZONE, zone

Money = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2, examples=["250.00"])]


class Convention(StrEnum):
    """The collective agreement of the contract."""

    idcc_3090 = "idcc-3090"
    """Entreprises du secteur privé du spectacle vivant (annexes I to VI)."""
    idcc_1285 = "idcc-1285"
    """CCNEAC: entreprises artistiques et culturelles (subsidised)."""


class Annexe(StrEnum):
    """IDCC 3090's annexes: I théâtre/lyrique/danse, II variétés/jazz/musiques actuelles,
    III cabaret, IV tournées, V cirque, VI bals; none for IDCC 1285."""

    none = ""
    i = "I"
    ii = "II"
    iii = "III"
    iv = "IV"
    v = "V"
    vi = "VI"


class Category(StrEnum):
    """Artist (intermittents' annexe 10) or technician (annexe 8)."""

    artist = "artiste"
    technician = "technicien"


class PayBasis(StrEnum):
    cachet = "cachet"
    hours = "heures"


class EngagementTerms(StrictModel):
    """What a member is engaged for: role, profession, convention, pay and days."""

    role: str = Field("", max_length=120, examples=["Régie son"])
    profession: str = Field(
        min_length=1,
        max_length=120,
        description="As the official list of professions names it.",
        examples=["Régisseur son"],
    )
    category: Category = Category.artist
    convention: Convention = Convention.idcc_3090
    annexe: Annexe = Annexe.none
    pay_basis: PayBasis = PayBasis.cachet
    cachets: int = Field(0, ge=0, le=100)
    hours: float = Field(0, ge=0, le=2000)
    gross_pay: Money
    rehearsal_days: list[date] = Field(default_factory=list, max_length=200)
    notes: str = Field("", max_length=5000)

    @model_validator(mode="after")
    def _units(self) -> EngagementTerms:
        if self.pay_basis == PayBasis.cachet and self.cachets < 1:
            raise refusal("cachets_missing", "a contract paid by cachet needs at least one cachet")
        if self.pay_basis == PayBasis.hours and self.hours <= 0:
            raise refusal("hours_missing", "a contract paid by the hour needs its hours")
        if self.convention == Convention.idcc_3090 and self.annexe == Annexe.none:
            raise refusal("annexe_required", "IDCC 3090 contracts name their annexe (I to VI)")
        if self.convention == Convention.idcc_1285 and self.annexe != Annexe.none:
            raise refusal("annexe_not_applicable", "IDCC 1285 has no annexe")
        return self


class EngagementCreate(EngagementTerms):
    member_id: str = Field(min_length=1, max_length=32)


class EngagementUpdate(StrictModel):
    """A partial update; the whole contract is checked again against the grid."""

    role: str | None = Field(None, max_length=120)
    profession: str | None = Field(None, min_length=1, max_length=120)
    category: Category | None = None
    convention: Convention | None = None
    annexe: Annexe | None = None
    pay_basis: PayBasis | None = None
    cachets: int | None = Field(None, ge=0, le=100)
    hours: float | None = Field(None, ge=0, le=2000)
    gross_pay: Money | None = None
    rehearsal_days: list[date] | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=5000)
    version: int | None = Field(
        None, description="The version you edited; alternatively send `If-Match`."
    )


class PayCheckStatus(StrEnum):
    ok = "ok"
    below = "below-minimum"
    no_grid = "no-grid"


class PayCheck(BaseModel):
    """The contract's pay per cachet or hour against the bureau's grid."""

    status: PayCheckStatus
    per_unit: Decimal
    minimum: Decimal | None = None
    grid_source: str = ""


class DpaeWindow(BaseModel):
    """When the DPAE may be sent: from 8 days before work starts to before it starts."""

    earliest: date
    latest: date


def _not_after_today(value: date | None) -> date | None:
    """A step already taken happened today at the latest (Paris time)."""
    today = datetime.now(zone(DEFAULT_TIMEZONE)).date()
    if value is not None and value > today:
        raise PydanticCustomError(
            "date_in_future",
            "{day} is after today ({today}): record a step once it is done",
            {"day": value.isoformat(), "today": today.isoformat()},
        )
    return value


DoneOn = Annotated[date | None, AfterValidator(_not_after_today)]


class EngagementStates(StrictModel):
    """What the payroll provider reports; a date records it (today at the latest), null
    clears it."""

    cddu_signed_on: DoneOn = None
    dpae_sent_on: DoneOn = None
    aem_issued_on: DoneOn = None
    conges_certificate_on: DoneOn = None


class EngagementStatesUpdate(EngagementStates):
    """What the payroll provider reports for one engagement, edited from its `version`."""

    version: int | None = Field(
        None, description="The version you edited; alternatively send `If-Match`."
    )


class ProviderReport(EngagementStates):
    engagement_id: str = Field(min_length=1, max_length=32)


class EngagementPublic(BaseModel):
    id: str
    version: int
    tour_date_id: str
    production_id: str
    member_id: str
    member_name: str
    host_bureau: str = Field(
        "", description="The bureau that proposed this member for the date (hosting), if any."
    )
    role: str
    profession: str
    category: Category
    convention: Convention
    annexe: Annexe
    pay_basis: PayBasis
    cachets: int
    hours: float
    gross_pay: Decimal
    rehearsal_days: list[date]
    first_working_day: date
    last_working_day: date
    dpae_window: DpaeWindow
    object_number: str = Field(description="The production's numéro d'objet.")
    pay_check: PayCheck
    cddu_signed_on: date | None
    dpae_sent_on: date | None
    aem_issued_on: date | None
    conges_certificate_on: date | None
    notes: str
    created_at: datetime
    updated_at: datetime


class ObjectNumber(StrictModel):
    object_number: str = Field(
        max_length=40, description="Numéro d'objet given by France Travail Spectacle."
    )


class ObjectNumberUpdate(ObjectNumber):
    """The production's numéro d'objet, with the production's version it was edited from."""

    version: int | None = Field(
        None, description="The version you edited; alternatively send `If-Match`."
    )


class PayGridRowPublic(BaseModel):
    convention: str
    annexe: str
    category: str
    profession: str
    basis: str
    minimum: Decimal
    valid_from: date
    source: str


class GridLoadReport(BaseModel):
    rows: int
    example: bool = Field(description="True when the loaded grid is marked as an example.")
