"""Duties of a date that Archipel cannot see done by itself (SIBIL, SACEM/SACD), marked done."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from node.models.base import Base, utcnow


class ComplianceMark(Base):
    __tablename__ = "compliance_marks"
    __table_args__ = (UniqueConstraint("tour_date_id", "duty"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tour_date_id: Mapped[str] = mapped_column(
        ForeignKey("tour_dates.id", ondelete="CASCADE"), index=True
    )
    duty: Mapped[str] = mapped_column(String(30))
    done_on: Mapped[date] = mapped_column(Date)
    marked_by: Mapped[str] = mapped_column(String(200), default="")
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
