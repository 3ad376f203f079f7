"""When each account last looked at its dashboard: what "new since my last visit" means."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from node.models.base import Base


class AccountVisit(Base):
    """`previous_at` is the start of the visit before this one; `last_seen_at` moves on."""

    __tablename__ = "account_visits"

    account_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    last_seen_at: Mapped[datetime] = mapped_column()
    previous_at: Mapped[datetime | None] = mapped_column(nullable=True)
