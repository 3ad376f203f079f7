"""Members (sociétaires): the directory card, their consent, and data kept in the bureau."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from node.models.base import Base, JSONType
from node.models.mixins import RecordMixin


class Member(RecordMixin, Base):
    __tablename__ = "members"

    display_name: Mapped[str] = mapped_column(String(200), index=True)
    city: Mapped[str] = mapped_column(String(120), default="")
    territory: Mapped[str] = mapped_column(String(120), default="")
    trades: Mapped[list[str]] = mapped_column(JSONType, default=list)
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    bio: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # [{"start": "2026-12-01", "end": "2026-12-24"}, ...] — open-ended when end is null.
    availability: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    visibility: Mapped[str] = mapped_column(String(10), default="local")
    consent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # "M'accepte pour des propositions du réseau": the bureau may propose them to another
    # bureau (hosting a touring production). Off until the member says so.
    network_proposals: Mapped[bool] = mapped_column(Boolean, default=False)
    # When that consent was given (the audit trail says by whom); null while it is off.
    network_proposals_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # A member of another bureau engaged here (hosting): that bureau's slug; empty for ours.
    home_bureau: Mapped[str] = mapped_column(String(40), default="")
    # Kept in the bureau: never shared, whatever the visibility.
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    member_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Folded name, city, trades and skills: accent-insensitive filtering on both engines.
    search_text: Mapped[str] = mapped_column(Text, default="")
