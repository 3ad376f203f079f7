"""Directory search ranks a few matches by relevance and lists very many by name."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError

from federation.registry import Upsert
from node.db import make_engine, make_sessionmaker
from node.migrations import upgrade
from node.replica import fulltext
from node.replica.appliers import CardKind
from node.services.network import search_directory


def _cards(engine: Engine, names: list[tuple[str, str]]) -> None:
    """Cards of origin `x`, written by the applier in one batch: (name, trade) pairs."""
    with make_sessionmaker(engine)() as session, session.begin():
        CardKind().apply_many(
            session,
            origin="x",
            records=[
                Upsert(f"m{i}", 1, {"display_name": name, "trades": [trade]})
                for i, (name, trade) in enumerate(names)
            ],
        )


def test_many_matches_are_listed_by_name_and_a_few_ranked(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    many = fulltext.RANKED_MATCHES + 5
    _cards(engine, [(f"Nom {i:05d}", "Régie son") for i in range(many, 0, -1)])
    _cards(engine, [("Zoé Violoncelle", "Violoncelle"), ("Ana Musicienne", "Violoncelle")])
    with make_sessionmaker(engine)() as session:
        rows, cursor = search_directory(session, q="régie son", limit=3)
        assert [r.display_name for r in rows] == ["Nom 00001", "Nom 00002", "Nom 00003"]
        assert cursor is not None
        rows, _ = search_directory(session, q="régie son", limit=3, cursor=cursor)
        assert [r.display_name for r in rows] == ["Nom 00004", "Nom 00005", "Nom 00006"]
        rows, _ = search_directory(session, q="violoncelle", limit=5)
        # Ranked: the card naming the word twice (name and trade) comes first.
        assert [r.display_name for r in rows] == ["Zoé Violoncelle", "Ana Musicienne"]
    engine.dispose()


def test_an_updated_card_is_reindexed_and_retagged_in_a_batch(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    _cards(engine, [("Léa Martin", "Régie son")])
    with make_sessionmaker(engine)() as session, session.begin():
        CardKind().apply_many(
            session,
            origin="x",
            records=[Upsert("m0", 2, {"display_name": "Léa Martin", "trades": ["Régie lumière"]})],
        )
    _index_matches_cards(engine)
    with make_sessionmaker(engine)() as session:
        assert search_directory(session, q="son")[0] == []
        assert [r.version for r in search_directory(session, q="lumiere")[0]] == [2]
        assert len(search_directory(session, trade="Régie lumière")[0]) == 1
        assert search_directory(session, trade="Régie son")[0] == []
    engine.dispose()


def test_ranked_matches_page_in_rank_order_within_the_filters(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        CardKind().apply_many(
            session,
            origin="x",
            records=[
                # The word in the name and the trade ranks above the word in the trade alone.
                Upsert("a", 1, {"display_name": "Basse Violoncelle", "trades": ["Violoncelle"],
                                "territory": "Occitanie"}),
                Upsert("b", 1, {"display_name": "Alix", "trades": ["Violoncelle"],
                                "territory": "Occitanie"}),
                Upsert("c", 1, {"display_name": "Cyd Violoncelle", "trades": ["Violoncelle"],
                                "territory": "Bretagne"}),
                Upsert("d", 1, {"display_name": "Dom", "trades": ["Violoncelle"],
                                "territory": "Occitanie"}),
                Upsert("e", 1, {"display_name": "Eve", "trades": ["Régie son"],
                                "territory": "Occitanie"}),
            ],
        )  # fmt: skip
    with make_sessionmaker(engine)() as session:
        pages, cursor = [], None
        while True:
            rows, cursor = search_directory(
                session, q="violoncelle", territory="Occitanie", limit=2, cursor=cursor
            )
            pages.append([r.record_id for r in rows])
            if cursor is None:
                break
        assert pages == [["a", "b"], ["d"]]
        assert search_directory(session, q="violoncelle", territory="Corse")[0] == []
        assert search_directory(session, q="introuvable")[0] == []
    engine.dispose()


def _index_matches_cards(engine: Engine) -> None:
    """The engine's full-text index holds exactly the cards' words, no more, no less."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # With rank 1, FTS5 checks the index against the cards' texts, not only itself.
            conn.exec_driver_sql(
                "INSERT INTO directory_fts(directory_fts, rank) VALUES ('integrity-check', 1)"
            )
        else:
            stray = conn.exec_driver_sql(
                "SELECT count(*) FROM directory_cards c FULL JOIN directory_fts f "
                "ON f.card_pk = c.pk WHERE f.card_pk IS NULL OR c.pk IS NULL "
                "OR f.search_vector <> to_tsvector('simple', c.search_text)"
            ).scalar()
            assert stray == 0


def test_removed_and_purged_cards_leave_the_index(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    _cards(engine, [("Léa Martin", "Régie son"), ("Noé Petit", "Régie son")])
    _index_matches_cards(engine)
    with make_sessionmaker(engine)() as session, session.begin():
        CardKind().remove(session, origin="x", record_id="m0")
    _index_matches_cards(engine)
    with make_sessionmaker(engine)() as session:
        assert [r.display_name for r in search_directory(session, q="regie")[0]] == ["Noé Petit"]
    with make_sessionmaker(engine)() as session, session.begin():
        CardKind().purge_origin(session, origin="x")
    _index_matches_cards(engine)
    with make_sessionmaker(engine)() as session:
        assert search_directory(session, q="regie")[0] == []
    engine.dispose()


def test_the_index_check_notices_words_the_cards_do_not_have(db_url: str) -> None:
    """`_index_matches_cards` fails on a stray word, so the tests above can fail."""
    engine = make_engine(db_url)
    upgrade(engine)
    _cards(engine, [("Léa Martin", "Régie son")])
    with engine.begin() as conn:
        pk = conn.exec_driver_sql("SELECT pk FROM directory_cards").scalar_one()
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "INSERT INTO directory_fts(rowid, search_text) VALUES (?, 'intrus')", (pk + 1,)
            )
        else:
            conn.exec_driver_sql(
                "UPDATE directory_fts SET search_vector = to_tsvector('simple', 'intrus')"
            )
    with pytest.raises((AssertionError, DatabaseError)):
        _index_matches_cards(engine)
    engine.dispose()


def test_postgresql_a_deleted_card_takes_its_index_row_along(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite's index is kept by the applier alone (FTS5 has no foreign key)")
    engine = make_engine(db_url)
    upgrade(engine)
    _cards(engine, [("Léa Martin", "Régie son")])
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM directory_cards")
    _index_matches_cards(engine)
    engine.dispose()
