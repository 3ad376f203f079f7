"""PostgreSQL's planner statistics follow a catch-up: analysed at 2,000 applied entries, then
each time the count doubles; never on SQLite, never failing a pull."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

from federation.sync import Statistics
from node.db import make_engine, make_sessionmaker
from node.migrations import upgrade


def analysed(engine_url: str) -> bool:
    engine = make_engine(engine_url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name != "postgresql":
                return False
            last = conn.execute(
                text(
                    "SELECT last_analyze FROM pg_stat_user_tables "
                    "WHERE relname = 'fed_entries' AND schemaname = current_schema()"
                )
            ).scalar()
            return last is not None
    finally:
        engine.dispose()


def test_the_database_is_analysed_as_a_catch_up_grows(new_db_url: Callable[[str], str]) -> None:
    url = new_db_url("stats")
    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    statistics = Statistics()
    try:
        statistics.grew(factory, 1_999)
        assert not analysed(url)
        statistics.grew(factory, 1)  # 2,000: analysed on PostgreSQL, nothing on SQLite
        assert analysed(url) == (engine.dialect.name == "postgresql")
        assert statistics._next == 4_000
        statistics.grew(factory, 1_000)
        assert statistics._next == 4_000  # 3,000: not yet
        statistics.grew(factory, 1_000)
        assert statistics._next == 8_000
    finally:
        engine.dispose()
