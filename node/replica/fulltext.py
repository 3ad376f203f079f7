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
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, column, func, literal_column, table, text
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


def scrub(session: Session) -> None:
    """Rewrite the index so erased words leave no trace in its segments (SQLite)."""
    if _sqlite(session):
        session.execute(text("INSERT INTO directory_fts(directory_fts) VALUES ('optimize')"))


def words(query: str) -> list[str]:
    return WORD.findall(fold(query))[:12]


def search(session: Session, stmt: Select[T], query: str) -> Select[T] | None:
    """`stmt` narrowed to cards having every word of `query` (as prefixes), best first.

    Returns None when the query has no words (the caller then lists without ranking).
    """
    terms = words(query)
    if not terms:
        return None
    if _sqlite(session):
        fts_query = " ".join(f'"{t}"*' for t in terms)
        return (
            stmt.join(FTS, FTS.c.rowid == DirectoryCard.pk)
            .where(FTS.c.directory_fts.op("MATCH")(fts_query))
            .order_by(FTS.c.rank, DirectoryCard.pk)
        )
    ts_query = func.to_tsquery("simple", " & ".join(f"{t}:*" for t in terms))
    vector: ColumnElement[Any] = literal_column("directory_cards.search_vector")
    return stmt.where(vector.op("@@")(ts_query)).order_by(
        func.ts_rank(vector, ts_query).desc(), DirectoryCard.pk
    )
