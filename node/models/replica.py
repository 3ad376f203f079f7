"""Replica tables: the network's shared records as this node holds them, own ones included.

Rows are written only by the appliers in `node/replica/` (from received log entries, and
from this node's own changes), and read by the network-wide queries. The full received body
is kept in `body`, unknown fields from newer peers included.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from node.models.base import Base, JSONType, utcnow


class ReplicaMixin:
    origin: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DirectoryCard(ReplicaMixin, Base):
    """A member's directory card, from any bureau."""

    __tablename__ = "directory_cards"
    __table_args__ = (
        UniqueConstraint("origin", "record_id"),
        Index("ix_directory_cards_territory_name", "territory", "sort_name"),
        Index("ix_directory_cards_name", "sort_name"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    display_name: Mapped[str] = mapped_column(String(200))
    sort_name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(120), default="")
    territory: Mapped[str] = mapped_column(String(120), default="")
    trades: Mapped[list[str]] = mapped_column(JSONType, default=list)
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    visibility: Mapped[str] = mapped_column(String(10), default="network")
    # Folded words of name, city, territory, trades, skills, languages and bio: what the
    # full-text index (FTS5 on SQLite, tsvector on PostgreSQL, see migrations) covers.
    search_text: Mapped[str] = mapped_column(Text, default="")


class CardTag(Base):
    """A folded trade or skill of a card, for exact filters (`trade=`, `skill=`)."""

    __tablename__ = "directory_card_tags"
    __table_args__ = (Index("ix_directory_card_tags_lookup", "kind", "tag", "card_pk"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    card_pk: Mapped[int] = mapped_column(
        ForeignKey("directory_cards.pk", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    tag: Mapped[str] = mapped_column(String(80))


class CardAvailability(Base):
    """A period a card's member is available (`end` null: open-ended)."""

    __tablename__ = "directory_card_availability"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    card_pk: Mapped[int] = mapped_column(
        ForeignKey("directory_cards.pk", ondelete="CASCADE"), index=True
    )
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date, nullable=True)


class NetworkProduction(ReplicaMixin, Base):
    __tablename__ = "network_productions"
    __table_args__ = (UniqueConstraint("origin", "record_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    discipline: Mapped[str] = mapped_column(String(40), default="")
    visibility: Mapped[str] = mapped_column(String(10), default="network")


class NetworkTourDate(ReplicaMixin, Base):
    __tablename__ = "network_tour_dates"
    __table_args__ = (
        UniqueConstraint("origin", "record_id"),
        Index("ix_network_tour_dates_starts_at", "starts_at"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    production_id: Mapped[str] = mapped_column(String(64), index=True)
    production_title: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column()
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    city: Mapped[str] = mapped_column(String(120), default="")
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="option")


class NetworkVenue(ReplicaMixin, Base):
    __tablename__ = "network_venues"
    __table_args__ = (UniqueConstraint("origin", "record_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(120), default="")


class NetworkResource(ReplicaMixin, Base):
    __tablename__ = "network_resources"
    __table_args__ = (UniqueConstraint("origin", "record_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="equipment")
    location: Mapped[str] = mapped_column(String(200), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
