"""The local API's sale contract shapes: terms, parties, signature, settlement, and the
office's profile and document templates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from schemas.common import StrictModel
from schemas.engagements import Money
from schemas.licences import LicenceNumber, OptionalLicenceNumber
from schemas.organisations import LICENCE_HELP


class ContractKind(StrEnum):
    cession = "cession"
    corealisation = "coréalisation"
    coproduction = "coproduction"


class Party(StrEnum):
    organiser = "organisateur"
    producer = "producteur"


class ContractStatus(StrEnum):
    draft = "draft"
    sent = "sent"
    signed = "signed"


class CostItem(StrictModel):
    """A cost of the date and who bears it (transport, hébergement, repas, défraiements…)."""

    item: str = Field(min_length=1, max_length=120, examples=["transport"])
    covered_by: Party = Party.organiser
    amount: Money | None = None
    notes: str = Field("", max_length=500)


class ContractTerms(StrictModel):
    """Terms shared by creation and partial update (all optional in an update)."""

    fee: Money | None = Field(None, description="Prix de cession, or a coproduction share.")
    percentage: float | None = Field(
        None, gt=0, le=100, description="Coréalisation: producer's share of net receipts, %."
    )
    minimum_guarantee: Money | None = Field(None, description="Coréalisation: to the producer.")
    ticket_price: Money | None = Field(None, description="Coréalisation: the full price.")
    ticket_prices: str | None = Field(None, max_length=300, examples=["18 € / 12 € réduit"])
    ticketing_holder: Party | None = Field(
        None, description="Who runs the box office (SIBIL, SACEM/SACD); defaults by kind."
    )
    costs: list[CostItem] | None = Field(None, max_length=50)
    rider: str | None = Field(None, max_length=50_000, description="Technical rider annexed.")
    deposit: Money | None = None
    sign_by: date | None = None
    payment_due: date | None = None
    terms: str | None = Field(None, max_length=50_000, description="Other clauses.")
    producer_licence: OptionalLicenceNumber = Field(None, max_length=60, description=LICENCE_HELP)
    organiser_licence: OptionalLicenceNumber = Field(None, max_length=60, description=LICENCE_HELP)


class ContractCreate(ContractTerms):
    production_id: str = Field(min_length=1, max_length=32)
    organiser_id: str = Field(min_length=1, max_length=32)
    kind: ContractKind = ContractKind.cession
    tour_date_ids: list[str] = Field(min_length=1, max_length=200)


class ContractUpdate(ContractTerms):
    """A partial update of a contract not yet signed."""

    tour_date_ids: list[str] | None = Field(None, min_length=1, max_length=200)
    status: ContractStatus | None = Field(None, description="draft or sent; sign with /sign.")
    version: int | None = Field(
        None, description="The version you edited; alternatively send `If-Match`."
    )


class SignRequest(StrictModel):
    signed_on: date
    version: int | None = None


class CostPublic(BaseModel):
    item: str
    covered_by: Party
    amount: Decimal | None
    notes: str


class ContractPublic(BaseModel):
    id: str
    version: int
    production_id: str
    organiser_id: str | None
    kind: ContractKind
    status: ContractStatus
    tour_date_ids: list[str]
    producer_name: str
    producer_licence: str
    producer_address: str
    organiser_name: str
    organiser_licence: str
    organiser_address: str
    fee: Decimal
    percentage: float
    minimum_guarantee: Decimal
    ticket_price: Decimal
    ticket_prices: str
    ticketing_holder: Party
    costs: list[CostPublic]
    rider: str
    deposit: Decimal
    sign_by: date | None
    payment_due: date | None
    signed_on: date | None
    terms: str
    settlement: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


class SettlementRequest(StrictModel):
    """What happened at the box office, and what was already paid."""

    tickets_sold: int = Field(0, ge=0)
    gross_receipts: Money = Decimal(0)
    vat_rate: Decimal = Field(
        Decimal("5.5"), ge=0, le=30, description="VAT included in ticket prices, %."
    )
    deductions: list[CostItem] = Field(
        default_factory=list, description="Taken from receipts before sharing (SACEM, CNM…)."
    )
    deposit_paid: Money = Decimal(0)
    paid_on: date | None = Field(None, description="When the balance was paid: dates settle.")


class SettlementLine(BaseModel):
    label: str
    amount: Decimal


class Settlement(BaseModel):
    """A décompte de coréalisation or a balance invoice (facture de solde)."""

    kind: str
    lines: list[SettlementLine]
    due_to_producer: Decimal
    tickets_sold: int
    paid_on: date | None


class OfficeProfile(StrictModel):
    """The bureau as it appears on contracts: the producer party."""

    legal_name: str = Field("", max_length=200)
    licence_number: LicenceNumber = Field(
        "", max_length=60, description=f"The bureau's own licence (producer). {LICENCE_HELP}"
    )
    address: str = Field("", max_length=1000)
    siret: str = Field("", max_length=20)
    signatory: str = Field("", max_length=200, examples=["Camille Durand, gérante"])
    city: str = Field("", max_length=120)


class TemplateBody(StrictModel):
    body: str = Field(min_length=1, max_length=200_000, description="A Jinja2 template.")


class TemplatePublic(BaseModel):
    name: str
    body: str
    is_default: bool
    updated_by: str = ""
