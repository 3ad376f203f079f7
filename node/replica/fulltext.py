"""The directory's full-text index on each engine: SQLite FTS5, PostgreSQL tsvector.

Texts are folded (lowercase, no accents) before they are indexed and before they are
searched, so "regie son" finds "Régie son" on both engines with the same tokens.

SQLite: `directory_fts` is an external-content FTS5 table over `directory_cards`; this
module keeps it in step (no triggers, so bulk applies batch naturally). After erasures,
`scrub` merges the index so a deleted card's words do not survive in old index segments.
PostgreSQL: `directory_fts` is a narrow table of card keys and `tsvector`s with a GIN index
(migration 0009), kept in step here too; a card's deletion cascades to its row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    column,
    exists,
    false,
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
PG_FTS = table("directory_fts", column("card_pk"), column("search_vector"))
PG_INDEX = (
    "INSERT INTO directory_fts (card_pk, search_vector) "
    "SELECT key, to_tsvector('simple', words) FROM unnest(:keys, :texts) AS t(key, words)"
)
PG_UNINDEX = "DELETE FROM directory_fts WHERE card_pk = ANY(:keys)"


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def index_cards(session: Session, rows: Sequence[tuple[int, str]]) -> None:
    """Index many cards at once: `(pk, search_text)` pairs, in one statement."""
    if not rows:
        return
    if _sqlite(session):
        session.connection().exec_driver_sql(
            "INSERT INTO directory_fts(rowid, search_text) VALUES (?, ?)", list(rows)
        )
        return
    session.execute(
        text(PG_INDEX).bindparams(
            bindparam("keys", type_=ARRAY(Integer)), bindparam("texts", type_=ARRAY(Text))
        ),
        {"keys": [pk for pk, _text in rows], "texts": [t for _pk, t in rows]},
    )


def unindex_cards(session: Session, rows: Sequence[tuple[int, str]]) -> None:
    """Drop many cards from the index: `(pk, search_text as indexed)` pairs (SQLite needs the
    text to find the tokens; PostgreSQL, the key)."""
    if not rows:
        return
    if _sqlite(session):
        session.execute(
            text(
                "INSERT INTO directory_fts(directory_fts, rowid, search_text) "
                "VALUES ('delete', :pk, :t)"
            ),
            [{"pk": pk, "t": t} for pk, t in rows],
        )
        return
    # One statement text whatever the number of keys (an `IN` list is a new one each time).
    session.execute(
        text(PG_UNINDEX).bindparams(bindparam("keys", type_=ARRAY(Integer))),
        {"keys": [pk for pk, _text in rows]},
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


PREFIXES = range(2, 7)
"""Lengths of the prefix indexes of `directory_fts` (migration 0008: prefix='2 3 4 5 6')."""

PROBE_COST = 200
"""What testing one card against the index costs per word, in matches gathered into a set.

Listing many matches by name gathers every match into a set, then walks the name index
(about 0.25 µs a match: 8 ms for the 33,742 cards of "régie son" at 100,000 cards). Walking
the name index and testing each card against the index instead costs about 50 µs a card and
a word, whose prefix indexes (`PREFIXES`) answer; a longer or one-letter word merges every
indexed word it begins, for each card (a millisecond), so it never walks.
"""


@dataclass(frozen=True)
class Matches(Generic[T]):
    """A search's statement, and sometimes a cheaper one for the first rows."""

    ordered: Select[T]
    """`stmt` narrowed to the cards having every word, in result order."""
    walk: Select[T] | None = None
    """SQLite, listing by name: the same order, testing each card against the index, among
    the first cards of `stmt` only; its rows are those of `ordered` as far as they go, and
    all of them when it returns as many rows as asked (`need`), else ask `ordered`."""


def search(
    session: Session, stmt: Select[T], query: str, *, need: int | None = None
) -> Matches[T] | None:
    """`stmt` narrowed to cards having every word of `query` (as prefixes), best first.

    Ranked by relevance when at most `RANKED_MATCHES` cards match the words, else by name.
    `need` is how many rows the caller reads at most (offset, page and one more); when
    listing by name on SQLite, testing that many cards against the index may cost less than
    gathering every match, and `walk` is then set. Returns None when the query has no words
    (the caller then lists without ranking).
    """
    terms = words(query)
    if not terms:
        return None
    by_name = (DirectoryCard.sort_name, DirectoryCard.pk)
    if _sqlite(session):
        fts_query = " ".join(f'"{t}"*' for t in terms)
        matches = FTS.c.directory_fts.op("MATCH")(fts_query)
        # Whole words first: cheap to count, and when they alone match too many cards the
        # prefixes do too; expanding prefixes is what costs (every "son…" word is read).
        exact = FTS.c.directory_fts.op("MATCH")(" ".join(f'"{t}"' for t in terms))
        share = _share(session, exact) or _share(session, matches)
        if share is None:
            if need is not None and stmt.whereclause is None:
                # No other filter: the index ranks its matches alone and only the first
                # `need` are joined to their cards (every indexed key is a card's), instead
                # of sorting every matching card's row.
                top = (
                    select(FTS.c.rowid.label("key"), FTS.c.rank.label("rank"))
                    .where(matches)
                    .order_by(FTS.c.rank, FTS.c.rowid)
                    .limit(need)
                    .subquery("top")
                )
                return Matches(
                    stmt.join(top, top.c.key == DirectoryCard.pk).order_by(
                        top.c.rank, DirectoryCard.pk
                    )
                )
            return Matches(
                stmt.join(FTS, FTS.c.rowid == DirectoryCard.pk)
                .where(matches)
                .order_by(FTS.c.rank, DirectoryCard.pk)
            )
        # Walk the name index and stop at the page, never sorting every match: the unary
        # `+` keeps SQLite from driving the query by primary key from the match list.
        unindexed_pk: ColumnElement[int] = literal_column("+directory_cards.pk")
        ordered = stmt.where(unindexed_pk.in_(select(FTS.c.rowid).where(matches)))
        ordered = ordered.order_by(*by_name)
        fraction, cards = share
        if (
            need is None
            or not all(len(t) in PREFIXES for t in terms)
            or need / fraction * len(terms) * PROBE_COST >= fraction * cards
        ):
            return Matches(ordered)
        # Each card tested with its own index lookup (a correlated subquery, tested after
        # every other filter), among the first cards of `stmt` in name order: twice as many
        # as the matches' share says `need` takes, so a wrong guess costs a bounded walk.
        probe = exists().where(matches, FTS.c.rowid == DirectoryCard.pk)
        budget = ceil(2 * need / fraction)
        last = session.execute(
            stmt.with_only_columns(*by_name).order_by(*by_name).offset(budget - 1).limit(1)
        ).first()
        if last is None:  # `stmt` has fewer cards than that: the walk is the whole answer
            return Matches(stmt.where(probe).order_by(*by_name))
        name, pk = last
        bounded = stmt.where(
            DirectoryCard.sort_name <= name,
            ~and_(DirectoryCard.sort_name == name, DirectoryCard.pk > pk),
            probe,
        )
        return Matches(ordered, bounded.order_by(*by_name))
    ts_query = func.to_tsquery("simple", " & ".join(f"{t}:*" for t in terms))
    matches = PG_FTS.c.search_vector.op("@@")(ts_query)
    exact = PG_FTS.c.search_vector.op("@@")(func.to_tsquery("simple", " & ".join(terms)))
    # Listing by name walks the name index and probes each card's vector by key.
    listed = stmt.where(exists().where(PG_FTS.c.card_pk == DirectoryCard.pk, matches)).order_by(
        *by_name
    )
    if _many(session, select(PG_FTS.c.card_pk).where(exact)):
        return Matches(listed)
    # One pass over the matches gives both their number and their ranks (counting them, then
    # ranking them, read every match twice); the page then joins the ranked keys.
    ranked = session.execute(
        select(PG_FTS.c.card_pk, func.ts_rank(PG_FTS.c.search_vector, ts_query))
        .where(matches)
        .limit(RANKED_MATCHES + 1)
    ).all()
    if len(ranked) > RANKED_MATCHES:
        return Matches(listed)
    if not ranked:
        return Matches(stmt.where(false()))
    order = [pk for pk, _rank in sorted(ranked, key=lambda row: (-row[1], row[0]))]
    keys = (
        func.unnest(bindparam("ranked_keys", order, type_=ARRAY(Integer)))
        .table_valued("key", with_ordinality="place")
        .render_derived(name="ranked")
    )
    return Matches(stmt.join(keys, keys.c.key == DirectoryCard.pk).order_by(keys.c.place))


def _many(session: Session, matching: Select[Any]) -> bool:
    """Whether more than `RANKED_MATCHES` rows match (counting no further than that)."""
    capped = matching.limit(RANKED_MATCHES + 1).subquery()
    return (session.scalar(select(func.count()).select_from(capped)) or 0) > RANKED_MATCHES


def _share(session: Session, match: ColumnElement[Any]) -> tuple[float, int] | None:
    """None when at most `RANKED_MATCHES` cards match (SQLite, counting no further), else an
    estimate of the share of cards that match, and the number of cards.

    The index lists matches by card key: the share is estimated from the key of the last
    match counted (the cards are numbered in the order they arrived).
    """
    capped = select(FTS.c.rowid).where(match).limit(RANKED_MATCHES + 1).subquery()
    cards = select(func.max(DirectoryCard.pk)).scalar_subquery()
    counted, last, total = session.execute(
        select(func.count(), func.max(capped.c.rowid), cards).select_from(capped)
    ).one()
    if counted <= RANKED_MATCHES:
        return None
    return counted / max(last, 1), int(total or 0)
