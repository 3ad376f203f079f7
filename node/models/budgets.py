"""Budget lines of a date or of a whole tour: estimate and actual, in cents."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from node.models.base import Base
from node.models.mixins import RecordMixin


class BudgetLine(RecordMixin, Base):
    """One income or cost; without a date it belongs to the production's tour as a whole."""

    __tablename__ = "budget_lines"

    production_id: Mapped[str] = mapped_column(
        ForeignKey("productions.id", ondelete="CASCADE"), index=True
    )
    tour_date_id: Mapped[str | None] = mapped_column(
        ForeignKey("tour_dates.id", ondelete="CASCADE"), nullable=True, index=True
    )
    direction: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200), default="")
    estimate_cents: Mapped[int] = mapped_column(Integer, default=0)
    actual_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
