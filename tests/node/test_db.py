"""The database layer: concurrent writers on SQLite queue instead of failing."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from federation.models import FedEntry
from node.actors import SYSTEM
from node.db import make_engine, make_sessionmaker, reading, transaction
from node.federated import wire
from node.migrations import upgrade
from node.services.members import create_member
from node.settings import load_settings
from schemas.members import MemberCreate


def test_concurrent_shared_writes_all_land_in_one_contiguous_log(
    tmp_path: Path, db_url: str
) -> None:
    settings = load_settings(
        tmp_path, node={"slug": "lyon", "url": "http://lyon.test"}, database={"url": db_url}
    )
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = wire(settings, engine).sessions
    errors: list[str] = []

    def write(worker: int) -> None:
        for i in range(10):
            try:
                with sessions() as db, db.begin():
                    create_member(
                        db,
                        actor=SYSTEM,
                        data=MemberCreate(display_name=f"m{worker}-{i}", visibility="network"),
                    )
            except Exception as exc:  # every failure is counted, none is expected
                errors.append(repr(exc))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == []
        with sessions() as db:
            count, top = db.execute(select(func.count(), func.max(FedEntry.seq))).one()
        assert count == top == 61  # the genesis entry and 60 cards, no gap, no duplicate
    finally:
        engine.dispose()


def test_postgresql_reads_are_planned_for_their_values_and_writes_reuse_plans(
    db_url: str,
) -> None:
    """A search word's frequency decides its plan (scan the cards, or the index), so a read
    never uses a prepared statement (a prepared one soon gets a generic plan); a write
    repeated often is prepared, its plan reused. Nor do short queries start parallel workers."""
    if db_url.startswith("sqlite"):
        pytest.skip("planning is PostgreSQL's")
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    probe = text("SELECT 1 AS archipel_probe WHERE 1 = :one")
    prepared = text(
        "SELECT coalesce(sum(generic_plans + custom_plans), -1) FROM pg_prepared_statements "
        "WHERE statement LIKE '%archipel_probe%'"
    )  # -1: not prepared

    def run(session: Session) -> int:
        for _ in range(8):  # more than psycopg's threshold (5 runs)
            session.execute(probe, {"one": 1})
        return int(session.execute(prepared).scalar_one())

    try:
        with reading(factory) as session:
            assert session.execute(text("SHOW max_parallel_workers_per_gather")).scalar() == "0"
            assert run(session) == -1
        with transaction(factory) as session:
            plans = run(session)
            assert plans > 0
        with reading(factory) as session:  # the connection that prepared it, reading again
            assert run(session) == plans  # the prepared statement is not used
    finally:
        engine.dispose()
