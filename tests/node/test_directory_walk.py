"""Listing many matches by name, card by card, gives the rows the match set gives (SQLite)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from federation.registry import Upsert
from node.db import make_engine, make_sessionmaker
from node.migrations import upgrade
from node.models import DirectoryCard
from node.replica import fulltext
from node.replica.appliers import CardKind
from node.services.network import search_directory

CARDS = fulltext.RANKED_MATCHES + 400


def _load(engine: Engine) -> None:
    """Cards whose trades make "régie son" match most of them; the few cards of "Corse"
    hold no sound engineer, so a walk there never finds its page."""
    records = []
    for i in range(CARDS):
        trade = "Régie lumière" if i % 7 == 0 else "Régie son"
        territory = "Bretagne" if i % 3 else "Occitanie"
        if i % 50 == 0:
            trade, territory = "Comédienne", "Corse"
        records.append(
            Upsert(
                f"m{i}",
                1,
                {
                    "display_name": f"Nom {(i * 7919) % CARDS:05d}",
                    "trades": [trade],
                    "territory": territory,
                },
            )
        )
    with make_sessionmaker(engine)() as session, session.begin():
        CardKind().apply_many(session, origin="x", records=records)


def _pages(engine: Engine, **filters: Any) -> list[list[str]]:
    """Every page of a search (limit 7), as display names."""
    pages: list[list[str]] = []
    cursor = None
    with make_sessionmaker(engine)() as session:
        while len(pages) < 6:
            rows, cursor = search_directory(session, limit=7, cursor=cursor, **filters)
            pages.append([r.display_name for r in rows])
            if cursor is None:
                break
    return pages


SEARCHES: list[dict[str, Any]] = [
    {"q": "régie son"},
    {"q": "régie"},
    {"q": "son", "territory": "Bretagne"},
    {"q": "régie son", "territory": "Occitanie"},
    {"q": "régie son", "territory": "Corse"},
    {"q": "régie", "trade": "Régie lumière"},
    {"q": "régie son", "territory": "Nowhere"},
    {"q": "bretagne"},
]


def test_walking_by_name_gives_the_same_rows_as_the_match_set(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    _load(engine)
    monkeypatch.setattr(fulltext, "PROBE_COST", 10**9)  # never walk
    expected = [_pages(engine, **filters) for filters in SEARCHES]
    monkeypatch.setattr(fulltext, "PROBE_COST", 0)  # walk whenever it may
    assert [_pages(engine, **filters) for filters in SEARCHES] == expected
    assert expected[0][0] == sorted(expected[0][0])  # listed by name: too many to rank
    assert expected[4] == [[]]  # no sound engineer in Corse
    if engine.dialect.name == "sqlite":
        with make_sessionmaker(engine)() as session:
            found = fulltext.search(session, select(DirectoryCard), "régie son", need=8)
            assert found is not None and found.walk is not None
            # Words longer than the prefix indexes are never walked.
            found = fulltext.search(session, select(DirectoryCard), "bretagne", need=8)
            assert found is not None and found.walk is None
    engine.dispose()
