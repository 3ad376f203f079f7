"""Appliers: how received (and own) shared records land in the replica tables.

Each class implements federation's `RecordKind` for one kind. Bodies are parsed leniently
with the shared schemas: unknown fields are kept in `body`, and a body this version cannot
read at all is stored raw and skipped by the queries rather than crashing the sync.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from json.encoder import encode_basestring
from typing import Any, Generic, NamedTuple, TypeVar, cast

from pydantic import ValidationError
from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from federation.registry import Upsert
from federation.service import insert_rows
from node.models import (
    CardAvailability,
    CardTag,
    DirectoryCard,
    NetworkProduction,
    NetworkResource,
    NetworkTourDate,
    NetworkVenue,
)
from node.models.base import utcnow
from node.models.replica import ReplicaMixin
from node.replica import fulltext
from node.text import fold, fold_all, fold_term
from schemas import shared

log = logging.getLogger(__name__)


R = TypeVar("R", bound=ReplicaMixin)
_IN_CHUNK = 500
# Batched inserts go to the tables through the driver (`insert_rows`): the ORM's bulk path,
# and even a Core executemany, cost more than the statements for rows nothing else holds.
_CARDS = cast(Table, DirectoryCard.__table__)
_TAGS = cast(Table, CardTag.__table__)
_PERIODS = cast(Table, CardAvailability.__table__)
_CARD_COLUMNS = (
    "origin",
    "record_id",
    "version",
    "body",
    "received_at",
    "display_name",
    "sort_name",
    "city",
    "territory",
    "trades",
    "skills",
    "languages",
    "visibility",
    "search_text",
)


def _existing(session: Session, model: type[R], origin: str, record_id: str) -> R | None:
    return session.scalars(
        select(model).where(model.origin == origin, model.record_id == record_id)
    ).first()


class CardKind:
    """Directory cards: the row, its folded tags, its availability periods, its text index.

    Upserts are written in batches (a pulled page at a time) with a few multi-row statements;
    an own change is a batch of one.
    """

    kind = shared.KIND_CARD

    def apply(
        self, session: Session, *, origin: str, record_id: str, version: int, body: dict[str, Any]
    ) -> None:
        self.apply_many(session, origin=origin, records=[Upsert(record_id, version, body)])

    def apply_many(self, session: Session, *, origin: str, records: Sequence[Upsert]) -> None:
        parsed: dict[str, tuple[Upsert, shared.DirectoryCard]] = {}
        for record in records:
            record_id = record.record_id
            try:
                parsed[record_id] = (record, shared.DirectoryCard.model_validate(record.body))
            except ValidationError:
                log.warning(
                    "unreadable %s %s/%s kept out of the directory", self.kind, origin, record_id
                )
                self.remove(session, origin=origin, record_id=record_id)
        if not parsed:
            return
        session.flush()
        held = _held_cards(session, origin, list(parsed))
        inserts: list[tuple[Any, ...]] = []
        updates: list[dict[str, Any]] = []
        stale: list[tuple[int, str]] = []
        received_at = utcnow()
        for record_id, (record, card) in parsed.items():
            values = _card_values(card)
            found = held.get(record_id)
            if found is None:
                inserts.append(_card_row(origin, record, values, received_at))
            elif found.version <= record.version:
                updates.append(
                    {"pk": found.pk, **values, "version": record.version, "body": record.body}
                )
                stale.append((found.pk, found.search_text))
        written: list[tuple[int, shared.DirectoryCard, str]] = []
        if updates:
            pks = [pk for pk, _text in stale]
            fulltext.unindex_cards(session, stale)
            session.execute(delete(CardTag).where(CardTag.card_pk.in_(pks)))
            session.execute(delete(CardAvailability).where(CardAvailability.card_pk.in_(pks)))
            session.execute(update(DirectoryCard), updates)
            _expire_cards(session, set(pks))
            by_pk = {found.pk: record_id for record_id, found in held.items()}
            written += [(u["pk"], parsed[by_pk[u["pk"]]][1], u["search_text"]) for u in updates]
        if inserts:
            # The new rows' keys are read back by record: RETURNING in parameter order would
            # make SQLAlchemy insert one row per statement on SQLite.
            insert_rows(session, _CARDS, _CARD_COLUMNS, inserts)
            new = _held_cards(session, origin, [row[1] for row in inserts])
            written += [(new[row[1]].pk, parsed[row[1]][1], row[-1]) for row in inserts]
        tags: list[tuple[int, str, str]] = []
        periods: list[tuple[int, Any, Any]] = []
        for pk, card, _text in written:
            kinds = {("trade", fold_term(t)[:80]) for t in card.trades}
            kinds |= {("skill", fold_term(s)[:80]) for s in card.skills}
            tags += [(pk, k, t) for k, t in sorted(kinds)]
            periods += [(pk, p.start, p.end) for p in card.availability]
        insert_rows(session, _TAGS, ("card_pk", "kind", "tag"), tags)
        insert_rows(session, _PERIODS, ("card_pk", "start", "end"), periods)
        fulltext.index_cards(session, [(pk, text) for pk, _card, text in written])

    def remove(self, session: Session, *, origin: str, record_id: str) -> None:
        row = _existing(session, DirectoryCard, origin, record_id)
        if row is not None:
            fulltext.unindex_cards(session, [(row.pk, row.search_text)])
            session.delete(row)
            session.flush()

    def purge_origin(self, session: Session, *, origin: str) -> None:
        rows = session.scalars(select(DirectoryCard).where(DirectoryCard.origin == origin)).all()
        fulltext.unindex_cards(session, [(row.pk, row.search_text) for row in rows])
        for row in rows:
            session.delete(row)
        session.flush()


class _Held(NamedTuple):
    pk: int
    version: int
    search_text: str


def _held_cards(session: Session, origin: str, record_ids: list[str]) -> dict[str, _Held]:
    """The cards of `origin` this node already holds among `record_ids`."""
    held: dict[str, _Held] = {}
    for start in range(0, len(record_ids), _IN_CHUNK):
        rows = session.execute(
            select(
                DirectoryCard.record_id,
                DirectoryCard.pk,
                DirectoryCard.version,
                DirectoryCard.search_text,
            ).where(
                DirectoryCard.origin == origin,
                DirectoryCard.record_id.in_(record_ids[start : start + _IN_CHUNK]),
            )
        )
        held.update({r.record_id: _Held(r.pk, r.version, r.search_text) for r in rows})
    return held


def _card_row(
    origin: str, record: Upsert, values: dict[str, Any], received_at: Any
) -> tuple[Any, ...]:
    """A new card's row in `_CARD_COLUMNS` order, JSON columns as text (`insert_rows`)."""
    return (
        origin,
        record.record_id,
        record.version,
        record.text if record.text is not None else json.dumps(record.body),
        received_at,
        values["display_name"],
        values["sort_name"],
        values["city"],
        values["territory"],
        _json_strings(values["trades"]),
        _json_strings(values["skills"]),
        _json_strings(values["languages"]),
        values["visibility"],
        values["search_text"],
    )


def _json_strings(values: list[str]) -> str:
    """A list of strings as JSON text (what the JSON column would write, without its encoder
    set up for each list)."""
    return "[" + ",".join(map(encode_basestring, values)) + "]"


def _card_values(card: shared.DirectoryCard) -> dict[str, Any]:
    """The `directory_cards` columns derived from a card body."""
    name = fold(card.display_name)
    terms = [card.city, card.territory, *card.trades, *card.skills, *card.languages]
    # What `fold_all` of the same parts gives, the values many cards share folded once.
    searched = [name] if card.display_name else []
    searched += [fold_term(t) for t in terms if t]
    if card.bio:
        searched.append(fold(card.bio))
    return {
        "display_name": card.display_name[:200],
        "sort_name": name[:200],
        "city": card.city[:120],
        "territory": card.territory[:120],
        "trades": card.trades,
        "skills": card.skills,
        "languages": card.languages,
        "visibility": card.visibility,
        "search_text": " ".join(searched),
    }


def _expire_cards(session: Session, pks: set[int]) -> None:
    """Expire loaded cards that a batched UPDATE rewrote, so the session re-reads them."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, DirectoryCard) and obj.pk in pks:
            session.expire(obj)


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
