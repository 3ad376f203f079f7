"""Network-wide queries, answered from the local replica: no network call on the query path."""

from __future__ import annotations

import base64
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from federation.service import applied_at
from node.models import (
    CardAvailability,
    CardTag,
    DirectoryCard,
    NetworkResource,
    NetworkTourDate,
)
from node.problems import DomainError
from node.replica import fulltext
from node.text import fold
from schemas.common import FieldError

T = TypeVar("T")


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The offset a cursor stands for; a cursor this node did not make is a 400."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "o" or not value.isdigit() or len(value) > 12:
            raise ValueError(raw)
        return int(value)
    except ValueError as exc:
        raise DomainError(
            "the cursor is not one this node gave out; start again without it",
            errors=[
                FieldError(field="query.cursor", message="unknown cursor", code="cursor_unknown")
            ],
        ) from exc


def page(
    session: Session, stmt: Select[T], *, limit: int, cursor: str | None
) -> tuple[Sequence[Any], str | None]:
    """One page of `stmt` and the cursor of the next page (None on the last)."""
    offset = decode_cursor(cursor)
    rows = session.scalars(stmt.limit(limit + 1).offset(offset)).all()
    more = len(rows) > limit
    return rows[:limit], encode_cursor(offset + limit) if more else None


def search_directory(
    session: Session,
    *,
    q: str | None = None,
    skill: str | None = None,
    trade: str | None = None,
    territory: str | None = None,
    origin: str | None = None,
    available_on: date | None = None,
    visibilities: Sequence[str] | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> tuple[Sequence[DirectoryCard], str | None]:
    """Cards matching every filter; ranked by relevance with `q`, else by name."""
    stmt = select(DirectoryCard)
    for kind, tag in (("skill", skill), ("trade", trade)):
        if tag:
            stmt = stmt.where(
                exists().where(
                    CardTag.card_pk == DirectoryCard.pk,
                    CardTag.kind == kind,
                    CardTag.tag == fold(tag.strip()),
                )
            )
    if territory:
        stmt = stmt.where(DirectoryCard.territory == territory)
    if origin:
        stmt = stmt.where(DirectoryCard.origin == origin)
    if visibilities is not None:
        stmt = stmt.where(DirectoryCard.visibility.in_(visibilities))
    if available_on:
        stmt = stmt.where(
            exists().where(
                CardAvailability.card_pk == DirectoryCard.pk,
                CardAvailability.start <= available_on,
                (CardAvailability.end.is_(None)) | (CardAvailability.end >= available_on),
            )
        )
    found = fulltext.search(session, stmt, q, need=decode_cursor(cursor) + limit + 1) if q else None
    if found is None:
        return page(
            session,
            stmt.order_by(DirectoryCard.sort_name, DirectoryCard.pk),
            limit=limit,
            cursor=cursor,
        )
    if found.walk is not None:
        rows, next_cursor = page(session, found.walk, limit=limit, cursor=cursor)
        if next_cursor is not None:  # the walk found the whole page and one more: exact
            return rows, next_cursor
    return page(session, found.ordered, limit=limit, cursor=cursor)


def synced_at(session: Session, origins: Collection[str]) -> dict[str, datetime | None]:
    """When this node last applied entries of each of `origins` (blocked bureaus left out,
    as by `known_origins`), for the few bureaus a page of results shows."""
    return applied_at(session, origins)


def network_tours(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    origins: Sequence[str] | None = None,
    production: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[Sequence[NetworkTourDate], str | None]:
    """Every bureau's dates in a period, by start time; `production` is an id or a title."""
    stmt = select(NetworkTourDate).order_by(NetworkTourDate.starts_at, NetworkTourDate.pk)
    if start:
        stmt = stmt.where(NetworkTourDate.starts_at >= start)
    if end:
        stmt = stmt.where(NetworkTourDate.starts_at < end)
    if origins is not None:
        stmt = stmt.where(NetworkTourDate.origin.in_(origins))
    if production:
        stmt = stmt.where(
            (NetworkTourDate.production_id == production)
            | NetworkTourDate.production_title.ilike(f"%{production.strip()}%")
        )
    return page(session, stmt, limit=limit, cursor=cursor)


def network_resources(
    session: Session,
    *,
    q: str | None = None,
    kind: str | None = None,
    origins: Sequence[str] | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[Sequence[NetworkResource], str | None]:
    """Every bureau's lendable resources, by name."""
    stmt = select(NetworkResource).order_by(NetworkResource.name, NetworkResource.pk)
    for term in fulltext.words(q or ""):
        stmt = stmt.where(NetworkResource.search_text.contains(term, autoescape=True))
    if kind:
        stmt = stmt.where(NetworkResource.kind == kind)
    if origins is not None:
        stmt = stmt.where(NetworkResource.origin.in_(origins))
    return page(session, stmt, limit=limit, cursor=cursor)


def origins_in(territories: Mapping[str, str], territory: str) -> list[str]:
    """Slugs of the bureaus whose territory is `territory` (compared without accents)."""
    wanted = fold(territory.strip())
    return [slug for slug, their in territories.items() if fold(their) == wanted]
