"""Sale contracts (cession, coréalisation, coproduction) of dates, and the office's settings
and editable document templates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from node.models.base import Base, JSONType, utcnow
from node.models.mixins import RecordMixin


class SaleContract(RecordMixin, Base):
    """A contract selling one date or a series to an organiser; money in cents.

    The parties' names and licence numbers are copied at creation: a signed contract keeps
    what it said even if the organisation's record changes later.
    """

    __tablename__ = "sale_contracts"

    production_id: Mapped[str] = mapped_column(
        ForeignKey("productions.id", ondelete="CASCADE"), index=True
    )
    organiser_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="cession")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    producer_name: Mapped[str] = mapped_column(String(200))
    producer_licence: Mapped[str] = mapped_column(String(60))
    producer_address: Mapped[str] = mapped_column(Text, default="")
    organiser_name: Mapped[str] = mapped_column(String(200))
    organiser_licence: Mapped[str] = mapped_column(String(60))
    organiser_address: Mapped[str] = mapped_column(Text, default="")
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    percentage: Mapped[float] = mapped_column(Float, default=0.0)
    minimum_guarantee_cents: Mapped[int] = mapped_column(Integer, default=0)
    ticket_price_cents: Mapped[int] = mapped_column(Integer, default=0)
    ticket_prices: Mapped[str] = mapped_column(String(300), default="")
    ticketing_holder: Mapped[str] = mapped_column(String(20), default="organisateur")
    # [{"item": "transport", "covered_by": "organisateur", "amount_cents": 12000, "notes": ""}]
    costs: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    rider: Mapped[str] = mapped_column(Text, default="")
    deposit_cents: Mapped[int] = mapped_column(Integer, default=0)
    sign_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    payment_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    signed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    terms: Mapped[str] = mapped_column(Text, default="")
    settlement: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)


class ContractDate(Base):
    """A date a contract covers; a date is in one contract at most."""

    __tablename__ = "contract_dates"

    contract_id: Mapped[str] = mapped_column(
        ForeignKey("sale_contracts.id", ondelete="CASCADE"), primary_key=True
    )
    tour_date_id: Mapped[str] = mapped_column(
        ForeignKey("tour_dates.id", ondelete="CASCADE"), primary_key=True, unique=True
    )


class OfficeSetting(Base):
    """One setting of the production office (the bureau's profile, employer-cost rates)."""

    __tablename__ = "office_settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DocumentTemplate(Base):
    """A bureau's own version of a document template (Jinja2); absent: the shipped default."""

    __tablename__ = "document_templates"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
