"""Day sheets (feuilles de route) of dates, and their revocable share links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from node.models.base import Base, JSONType, new_id, utcnow
from node.models.mixins import RecordMixin


class DaySheet(RecordMixin, Base):
    """What the team needs on the day; `internal_notes` never leave the bureau's API."""

    __tablename__ = "day_sheets"

    tour_date_id: Mapped[str] = mapped_column(
        ForeignKey("tour_dates.id", ondelete="CASCADE"), unique=True
    )
    # [{"time": "14:00", "label": "Montage", "technical": true}]
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # [{"label": "Théâtre", "address": "…", "travel_time": "1 h 40 depuis Lyon"}]
    places: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    accommodation: Mapped[str] = mapped_column(Text, default="")
    meals: Mapped[str] = mapped_column(Text, default="")
    # [{"name": "…", "role": "régisseur d'accueil", "phone": "…"}]
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    technical_notes: Mapped[str] = mapped_column(Text, default="")
    internal_notes: Mapped[str] = mapped_column(Text, default="")


class DaySheetLink(Base):
    """A link that shows a day sheet without an account, until revoked.

    Only the token's SHA-256 is kept: the link itself is shown once, when made.
    """

    __tablename__ = "day_sheet_links"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tour_date_id: Mapped[str] = mapped_column(
        ForeignKey("tour_dates.id", ondelete="CASCADE"), index=True
    )
    audience: Mapped[str] = mapped_column(String(20), default="equipe")
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
