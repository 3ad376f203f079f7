"""Calendar feed addresses: a secret token per subscribed calendar, revocable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from node.models.base import Base, new_id, utcnow


class FeedToken(Base):
    """A stable, secret iCalendar URL: `kind` (production, bureau, member, network) and target.

    The token is kept as is, not hashed: it only opens a read-only calendar and the owner must
    be able to see their subscription address again. Revoking it ends the address at once.
    """

    __tablename__ = "feed_tokens"
    __table_args__ = (Index("ix_feed_tokens_owner", "account_id", "kind", "target_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(64), default="")
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
