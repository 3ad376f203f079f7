"""Engagements: a member hired on a CDDU for a tour date, and the minimum-pay grids."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from node.models.base import Base, JSONType, utcnow
from node.models.mixins import RecordMixin


class Engagement(RecordMixin, Base):
    """One contract (CDDU) of one member for one date; money is kept in cents."""

    __tablename__ = "engagements"

    tour_date_id: Mapped[str] = mapped_column(
        ForeignKey("tour_dates.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(120), default="")
    profession: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(20), default="artiste")
    convention: Mapped[str] = mapped_column(String(20), default="idcc-3090")
    annexe: Mapped[str] = mapped_column(String(10), default="")
    pay_basis: Mapped[str] = mapped_column(String(10), default="cachet")
    cachets: Mapped[int] = mapped_column(Integer, default=0)
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    gross_pay_cents: Mapped[int] = mapped_column(Integer, default=0)
    # ISO days of rehearsal; the first working day (the earliest of these and the show's day)
    # is when work starts: it bounds the DPAE window.
    rehearsal_days: Mapped[list[str]] = mapped_column(JSONType, default=list)
    first_working_day: Mapped[date] = mapped_column(Date, index=True)
    last_working_day: Mapped[date] = mapped_column(Date)
    # What the payroll provider reports back (null: not yet).
    cddu_signed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    dpae_sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    aem_issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    conges_certificate_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    # The bureau that proposed this member for a date in its territory (hosting); the
    # producing bureau stays the employer.
    host_bureau: Mapped[str] = mapped_column(String(40), default="")


class PayGridRow(Base):
    """A minimum pay per cachet or per hour, as the bureau's loaded grid says."""

    __tablename__ = "pay_grid_rows"
    __table_args__ = (Index("ix_pay_grid_rows_lookup", "convention", "profession_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    convention: Mapped[str] = mapped_column(String(20))
    annexe: Mapped[str] = mapped_column(String(10), default="")
    category: Mapped[str] = mapped_column(String(20), default="")
    profession: Mapped[str] = mapped_column(String(120))
    # Folded profession, or "*" for any profession of the category.
    profession_key: Mapped[str] = mapped_column(String(120))
    basis: Mapped[str] = mapped_column(String(10))
    minimum_cents: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300), default="")
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
