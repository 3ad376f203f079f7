"""Appliers: how received (and own) shared records land in the replica tables.

Each class implements federation's `RecordKind` for one kind. Bodies are parsed leniently
with the shared schemas: unknown fields are kept in `body`, and a body this version cannot
read at all is stored raw and skipped by the queries rather than crashing the sync.
"""

from __future__ import annotations

import logging
from typing import Any, Generic, TypeVar

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from node.models import (
    CardAvailability,
    CardTag,
    DirectoryCard,
    NetworkProduction,
    NetworkResource,
    NetworkTourDate,
    NetworkVenue,
)
from node.models.replica import ReplicaMixin
from node.replica import fulltext
from node.text import fold, fold_all
from schemas import shared

log = logging.getLogger(__name__)


R = TypeVar("R", bound=ReplicaMixin)


def _existing(session: Session, model: type[R], origin: str, record_id: str) -> R | None:
    return session.scalars(
        select(model).where(model.origin == origin, model.record_id == record_id)
    ).first()


class CardKind:
    """Directory cards: the row, its folded tags, its availability periods, its text index."""

    kind = shared.KIND_CARD

    def apply(
        self, session: Session, *, origin: str, record_id: str, version: int, body: dict[str, Any]
    ) -> None:
        try:
            card = shared.DirectoryCard.model_validate(body)
        except ValidationError:
            log.warning(
                "unreadable %s %s/%s kept out of the directory", self.kind, origin, record_id
            )
            self.remove(session, origin=origin, record_id=record_id)
            return
        row = _existing(session, DirectoryCard, origin, record_id)
        if row is not None and row.version > version:
            return
        if row is None:
            row = DirectoryCard(origin=origin, record_id=record_id)
            session.add(row)
        else:
            fulltext.unindex_card(session, row)
            session.execute(delete(CardTag).where(CardTag.card_pk == row.pk))
            session.execute(delete(CardAvailability).where(CardAvailability.card_pk == row.pk))
        row.version = version
        row.body = body
        row.display_name = card.display_name[:200]
        row.sort_name = fold(card.display_name)[:200]
        row.city = card.city[:120]
        row.territory = card.territory[:120]
        row.trades = card.trades
        row.skills = card.skills
        row.languages = card.languages
        row.visibility = card.visibility
        row.search_text = fold_all(
            [
                card.display_name,
                card.city,
                card.territory,
                *card.trades,
                *card.skills,
                *card.languages,
                card.bio,
            ]
        )
        session.flush()
        tags = {("trade", fold(t)[:80]) for t in card.trades}
        tags |= {("skill", fold(s)[:80]) for s in card.skills}
        session.add_all(CardTag(card_pk=row.pk, kind=k, tag=t) for k, t in sorted(tags))
        session.add_all(
            CardAvailability(card_pk=row.pk, start=p.start, end=p.end) for p in card.availability
        )
        fulltext.index_card(session, row)

    def remove(self, session: Session, *, origin: str, record_id: str) -> None:
        row = _existing(session, DirectoryCard, origin, record_id)
        if row is not None:
            fulltext.unindex_card(session, row)
            session.delete(row)
            session.flush()

    def purge_origin(self, session: Session, *, origin: str) -> None:
        for row in session.scalars(select(DirectoryCard).where(DirectoryCard.origin == origin)):
            fulltext.unindex_card(session, row)
            session.delete(row)
        session.flush()


class _SimpleKind(Generic[R]):
    """A kind whose replica is one row per record, filled from the body's known fields."""

    kind: str
    model: type[R]
    schema: type[shared.SharedBody]

    def fields(self, parsed: Any) -> dict[str, Any]:
        """The replica columns taken from a parsed body (each subclass names its own)."""
        return {}

    def apply(
        self, session: Session, *, origin: str, record_id: str, version: int, body: dict[str, Any]
    ) -> None:
        try:
            parsed = self.schema.model_validate(body)
        except ValidationError:
            log.warning("unreadable %s %s/%s not shown", self.kind, origin, record_id)
            self.remove(session, origin=origin, record_id=record_id)
            return
        row = _existing(session, self.model, origin, record_id)
        if row is not None and row.version > version:
            return
        if row is None:
            row = self.model()
            row.origin, row.record_id = origin, record_id
            session.add(row)
        row.version = version
        row.body = body
        for key, value in self.fields(parsed).items():
            setattr(row, key, value)
        session.flush()

    def remove(self, session: Session, *, origin: str, record_id: str) -> None:
        session.execute(
            delete(self.model).where(self.model.origin == origin, self.model.record_id == record_id)
        )

    def purge_origin(self, session: Session, *, origin: str) -> None:
        session.execute(delete(self.model).where(self.model.origin == origin))


class ProductionKind(_SimpleKind[NetworkProduction]):
    kind = shared.KIND_PRODUCTION
    model = NetworkProduction
    schema = shared.SharedProduction

    def fields(self, parsed: shared.SharedProduction) -> dict[str, Any]:
        return {
            "title": parsed.title[:200],
            "discipline": parsed.discipline[:40],
            "visibility": parsed.visibility[:10],
        }


class TourDateKind(_SimpleKind[NetworkTourDate]):
    kind = shared.KIND_TOUR_DATE
    model = NetworkTourDate
    schema = shared.SharedTourDate

    def fields(self, parsed: shared.SharedTourDate) -> dict[str, Any]:
        return {
            "production_id": parsed.production_id[:64],
            "production_title": parsed.production_title[:200],
            "starts_at": parsed.starts_at,
            "timezone": parsed.timezone[:64],
            "city": parsed.city[:120],
            "venue_name": parsed.venue_name[:200],
            "status": parsed.status[:20],
        }


class VenueKind(_SimpleKind[NetworkVenue]):
    kind = shared.KIND_VENUE
    model = NetworkVenue
    schema = shared.SharedVenue

    def fields(self, parsed: shared.SharedVenue) -> dict[str, Any]:
        return {"name": parsed.name[:200], "city": parsed.city[:120]}


class ResourceKind(_SimpleKind[NetworkResource]):
    kind = shared.KIND_RESOURCE
    model = NetworkResource
    schema = shared.SharedResource

    def fields(self, parsed: shared.SharedResource) -> dict[str, Any]:
        return {
            "name": parsed.name[:200],
            "kind": parsed.kind[:20],
            "location": parsed.location[:200],
            "search_text": fold_all(
                [parsed.name, parsed.kind, parsed.description, parsed.location]
            ),
        }


def all_kinds() -> list[Any]:
    """One applier per shared kind, in the order they are registered."""
    return [CardKind(), ProductionKind(), TourDateKind(), VenueKind(), ResourceKind()]
