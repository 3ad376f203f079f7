"""Tour dates (représentations) of a production."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from node.models.base import Base
from node.models.mixins import RecordMixin


class TourDate(RecordMixin, Base):
    __tablename__ = "tour_dates"

    production_id: Mapped[str] = mapped_column(
        ForeignKey("productions.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    venue_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    city: Mapped[str] = mapped_column(String(120), default="")
    # The coarse status the API has always shown (option, confirmed, cancelled), kept in step
    # with `stage`, the production office's finer pipeline (see node/services/stages.py).
    status: Mapped[str] = mapped_column(String(20), default="option")
    stage: Mapped[str] = mapped_column(String(20), default="option", index=True)
    option_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    option_expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    contract_type: Mapped[str] = mapped_column(String(20), default="cession")
    notes: Mapped[str] = mapped_column(Text, default="")
