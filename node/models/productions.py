"""Productions (spectacles) and their team of members."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from node.models.base import Base
from node.models.mixins import RecordMixin


class Production(RecordMixin, Base):
    __tablename__ = "productions"

    title: Mapped[str] = mapped_column(String(200), index=True)
    discipline: Mapped[str] = mapped_column(String(40), default="theatre")
    synopsis: Mapped[str] = mapped_column(Text, default="")
    artistic_lead: Mapped[str] = mapped_column(String(200), default="")
    technical_summary: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(10), default="local")
    # Numéro d'objet from France Travail Spectacle: on every engagement, AEM and payslip.
    object_number: Mapped[str] = mapped_column(String(40), default="")
    # Folded title and artistic lead: accent-insensitive filtering on both engines.
    search_text: Mapped[str] = mapped_column(Text, default="")

    team: Mapped[list[TeamMember]] = relationship(
        back_populates="production", cascade="all, delete-orphan", order_by="TeamMember.role"
    )


class TeamMember(Base):
    __tablename__ = "production_team"
    __table_args__ = (UniqueConstraint("production_id", "member_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    production_id: Mapped[str] = mapped_column(
        ForeignKey("productions.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(120))

    production: Mapped[Production] = relationship(back_populates="team")
