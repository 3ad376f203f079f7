"""The organisers CRM: interactions with an organisation, and prospection per production."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from node.models.base import Base
from node.models.mixins import RecordMixin


class Interaction(RecordMixin, Base):
    """One exchange with an organisation (call, e-mail, meeting, offer sent, note)."""

    __tablename__ = "interactions"

    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    production_id: Mapped[str | None] = mapped_column(
        ForeignKey("productions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="note")
    happened_at: Mapped[datetime] = mapped_column(index=True)
    # The author as the audit trail names them; the member, when a member wrote it.
    author: Mapped[str] = mapped_column(String(200))
    author_member_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")


class Prospection(RecordMixin, Base):
    """Where selling one production to one organisation stands, and what to do next."""

    __tablename__ = "prospections"
    __table_args__ = (UniqueConstraint("production_id", "organisation_id"),)

    production_id: Mapped[str] = mapped_column(
        ForeignKey("productions.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="a-contacter", index=True)
    next_action: Mapped[str] = mapped_column(String(300), default="")
    next_action_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    contact_id: Mapped[str | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True
    )
    notes: Mapped[str] = mapped_column(Text, default="")
