"""The "already in contact" hint: an organisation the bureau says it is in contact with.

Opt-in per organisation (`ContactHint`), shared with the network as the bare fact and the
name of the bureau's contact person — never the interaction history. `NetworkContactHint`
is the replica of every bureau's hints, own ones included.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from node.models.base import Base
from node.models.replica import ReplicaMixin


class ContactHint(Base):
    __tablename__ = "contact_hints"

    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    person: Mapped[str] = mapped_column(String(200))
    # Hints keep their version after a withdrawal so a re-opt-in is newer on every replica.
    version: Mapped[int] = mapped_column(Integer, default=1)


class NetworkContactHint(ReplicaMixin, Base):
    __tablename__ = "network_contact_hints"
    __table_args__ = (UniqueConstraint("origin", "record_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(120), default="")
    # Folded name and city words, for accent- and case-insensitive lookups.
    name_key: Mapped[str] = mapped_column(String(400), default="", index=True)
    person: Mapped[str] = mapped_column(String(200), default="")
