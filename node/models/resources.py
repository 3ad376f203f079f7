"""Resources the bureau owns (equipment, vehicles, rooms), lendable to the network or not."""

from __future__ import annotations

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from node.models.base import Base
from node.models.mixins import RecordMixin


class Resource(RecordMixin, Base):
    __tablename__ = "resources"

    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="equipment")
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    lendable: Mapped[bool] = mapped_column(Boolean, default=False)
    # Folded name, description and location: accent-insensitive filtering on both engines.
    search_text: Mapped[str] = mapped_column(Text, default="")
