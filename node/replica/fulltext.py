"""The directory's full-text index on each engine: SQLite FTS5, PostgreSQL tsvector.

Texts are folded (lowercase, no accents) before they are indexed and before they are
searched, so "regie son" finds "Régie son" on both engines with the same tokens.

SQLite: `directory_fts` is an external-content FTS5 table over `directory_cards`; this
module keeps it in step (no triggers, so bulk applies batch naturally). After erasures,
`scrub` merges the index so a deleted card's words do not survive in old index segments.
PostgreSQL: `directory_cards.search_vector` is a generated column with a GIN index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from node.models import DirectoryCard
from node.text import fold

T = TypeVar("T")
WORD = re.compile(r"\w+", re.UNICODE)
FTS = table("directory_fts", column("rowid"), column("rank"), column("directory_fts"))


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def index_card(session: Session, card: DirectoryCard) -> None:
    if _sqlite(session):
        session.execute(
            text("INSERT INTO directory_fts(rowid, search_text) VALUES (:pk, :t)"),
            {"pk": card.pk, "t": card.search_text},
        )


def unindex_card(session: Session, card: DirectoryCard) -> None:
    if _sqlite(session):
        session.execute(
            text(
                "INSERT INTO directory_fts(directory_fts, rowid, search_text) "
                "VALUES ('delete', :pk, :t)"
            ),
            {"pk": card.pk, "t": card.search_text},
        )


def index_cards(session: Session, rows: Sequence[tuple[int, str]]) -> None:
    """Index many cards at once: `(pk, search_text)` pairs (SQLite; PostgreSQL derives it)."""
    if rows and _sqlite(session):
        session.connection().exec_driver_sql(
            "INSERT INTO directory_fts(rowid, search_text) VALUES (?, ?)", list(rows)
        )


def unindex_cards(session: Session, rows: Sequence[tuple[int, str]]) -> None:
    """Drop many cards from the index: `(pk, search_text as indexed)` pairs (SQLite)."""
    if rows and _sqlite(session):
        session.execute(
            text(
                "INSERT INTO directory_fts(directory_fts, rowid, search_text) "
                "VALUES ('delete', :pk, :t)"
            ),
            [{"pk": pk, "t": t} for pk, t in rows],
        )


def scrub(session: Session) -> None:
    """Rewrite the index so erased words leave no trace in its segments (SQLite)."""
    if _sqlite(session):
        session.execute(text("INSERT INTO directory_fts(directory_fts) VALUES ('optimize')"))


def words(query: str) -> list[str]:
    return WORD.findall(fold(query))[:12]


RANKED_MATCHES = 2000
"""Above this many cards matching the words, results are listed by name, not ranked.

Ranking costs about a microsecond per matching card (bm25 / ts_rank read each match's
statistics), so a query whose words most cards share ("régie son" in a network of
technicians) would spend tens of milliseconds ranking matches that are all equally good;
listing them by name, through the name index, stays fast and predictable.
"""


def search(session: Session, stmt: Select[T], query: str) -> Select[T] | None:
    """`stmt` narrowed to cards having every word of `query` (as prefixes), best first.

    Ranked by relevance when at most `RANKED_MATCHES` cards match the words, else by name.
    Returns None when the query has no words (the caller then lists without ranking).
    """
    terms = words(query)
    if not terms:
        return None
    if _sqlite(session):
        fts_query = " ".join(f'"{t}"*' for t in terms)
        matches = FTS.c.directory_fts.op("MATCH")(fts_query)
        # Whole words first: cheap to count, and when they alone match too many cards the
        # prefixes do too; expanding prefixes is what costs (every "son…" word is read).
        exact = FTS.c.directory_fts.op("MATCH")(" ".join(f'"{t}"' for t in terms))
        if _many(session, select(FTS.c.rowid).where(exact)) or _many(
            session, select(FTS.c.rowid).where(matches)
        ):
            # Walk the name index and stop at the page, never sorting every match: the unary
            # `+` keeps SQLite from driving the query by primary key from the match list.
            unindexed_pk: ColumnElement[int] = literal_column("+directory_cards.pk")
            return stmt.where(unindexed_pk.in_(select(FTS.c.rowid).where(matches))).order_by(
                DirectoryCard.sort_name, DirectoryCard.pk
            )
        return (
            stmt.join(FTS, FTS.c.rowid == DirectoryCard.pk)
            .where(matches)
            .order_by(FTS.c.rank, DirectoryCard.pk)
        )
    ts_query = func.to_tsquery("simple", " & ".join(f"{t}:*" for t in terms))
    vector: ColumnElement[Any] = literal_column("directory_cards.search_vector")
    matches = vector.op("@@")(ts_query)
    exact = vector.op("@@")(func.to_tsquery("simple", " & ".join(terms)))
    if _many(session, select(DirectoryCard.pk).where(exact)) or _many(
        session, select(DirectoryCard.pk).where(matches)
    ):
        return stmt.where(matches).order_by(DirectoryCard.sort_name, DirectoryCard.pk)
    return stmt.where(matches).order_by(func.ts_rank(vector, ts_query).desc(), DirectoryCard.pk)


def _many(session: Session, matching: Select[Any]) -> bool:
    """Whether more than `RANKED_MATCHES` rows match (counting no further than that)."""
    capped = matching.limit(RANKED_MATCHES + 1).subquery()
    return (session.scalar(select(func.count()).select_from(capped)) or 0) > RANKED_MATCHES
