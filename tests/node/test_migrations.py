"""Migrations build, from an empty database, exactly the schema the models describe."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from federation.models import FedNonce
from node.db import make_engine, make_sessionmaker
from node.migrations import (
    alembic_config,
    current_revision,
    head_revision,
    include_object,
    target_metadata,
    upgrade,
)
from node.models import LoginFailure
from node.services import logins
from node.services.network import search_directory


def test_upgrade_from_empty_reaches_head_and_matches_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        upgrade(engine)  # a second run is a no-op
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_object}
            )
            assert compare_metadata(context, target_metadata()) == []
    finally:
        engine.dispose()


def test_postgresql_index_moves_to_its_own_table_and_back(db_url: str) -> None:
    """0009 carries every card's words into `directory_fts` and drops the column; its
    downgrade rebuilds the column from the cards' texts and drops the table."""
    if db_url.startswith("sqlite"):
        pytest.skip("0009 changes PostgreSQL's index only")
    engine = make_engine(db_url)
    card = (
        "INSERT INTO directory_cards (origin, record_id, version, body, received_at, "
        "display_name, sort_name, city, territory, trades, skills, languages, visibility, "
        "search_text) VALUES ('x', 'm1', 1, '{}', now(), 'Léa Martin', 'lea martin', '', '', "
        "'[]', '[]', '[]', 'network', 'lea martin regie son')"
    )
    try:
        upgrade(engine, "0008")
        with engine.begin() as conn:
            conn.exec_driver_sql(card)
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            assert [r.record_id for r in search_directory(session, q="régie son")[0]] == ["m1"]
            assert "search_vector" not in _columns(session, "directory_cards")
        command.downgrade(alembic_config(engine), "0008")
        with engine.connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT record_id FROM directory_cards "
                "WHERE search_vector @@ to_tsquery('simple', 'regie & son')"
            ).scalars()
            assert list(found) == ["m1"]
            assert conn.exec_driver_sql("SELECT to_regclass('directory_fts')").scalar() is None
    finally:
        engine.dispose()


def _columns(session: Session, table: str) -> set[str]:
    return set(
        session.execute(
            text("SELECT column_name FROM information_schema.columns WHERE table_name = :t"),
            {"t": table},
        ).scalars()
    )


def test_failed_logins_move_to_their_own_table_and_back(db_url: str) -> None:
    """0010 carries the live `login-failure:` rows of `fed_nonces` into `login_failures`
    (a peer's nonces stay); its downgrade puts them back and drops the table."""
    engine = make_engine(db_url)
    digest = "ab" * 32
    nonces = (
        "INSERT INTO fed_nonces (key_id, nonce, expires_at) VALUES "
        f"('login-failure:{digest}', 'n1', '2030-01-01 10:00:00+00:00'), "
        f"('login-failure:{digest}', 'n2', '2030-01-01 10:05:00+00:00'), "
        "('peer-key', 'n3', '2030-01-01 10:00:00+00:00')"
    )
    try:
        upgrade(engine, "0009")
        with engine.begin() as conn:
            conn.exec_driver_sql(nonces)
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            failures = session.execute(
                select(LoginFailure.key, LoginFailure.nonce, LoginFailure.expires_at).order_by(
                    LoginFailure.nonce
                )
            ).all()
            assert failures == [
                (digest, "n1", datetime(2030, 1, 1, 10, 0, tzinfo=UTC)),
                (digest, "n2", datetime(2030, 1, 1, 10, 5, tzinfo=UTC)),
            ]
            assert session.scalars(select(FedNonce.key_id)).all() == ["peer-key"]
            # The service reads them: the account and address of that digest hold two.
            limit = logins.LoginLimit(max_failures=2, window=600)
            now = datetime(2030, 1, 1, 9, 59, tzinfo=UTC)
            assert logins.seconds_locked(session, key=digest, limit=limit, now=now) == 60
        command.downgrade(alembic_config(engine), "0009")
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT key_id, nonce FROM fed_nonces ORDER BY nonce").all()
            assert [tuple(row) for row in rows] == [
                (f"login-failure:{digest}", "n1"),
                (f"login-failure:{digest}", "n2"),
                ("peer-key", "n3"),
            ]
            assert "login_failures" not in inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_loan_reasons_the_node_wrote_become_codes_and_come_back_on_downgrade(
    db_url: str,
) -> None:
    """0015 moves the French sentences the node wrote into `reason` to `reason_code`; what a
    person typed stays; the downgrade writes the sentences back."""
    engine = make_engine(db_url)
    row = (
        "INSERT INTO loans (id, role, owner, borrower, resource_id, resource_name, starts_on, "
        "ends_on, purpose, pickup_place, return_place, contact, state, reason, revision, "
        "pending, requested_by, history, last_message_key, version, created_at, updated_at) "
        "VALUES (:id, 'owner', 'lyon', 'annecy', 'r1', 'Camion', '2027-05-01', '2027-05-03', "
        "'', '', '', '', 'declined', :reason, 1, '', '', '[]', '', 1, "
        "'2026-12-01 10:00:00', '2026-12-01 10:00:00')"
    )
    reasons = {"taken": "la période proposée n'est plus libre", "typed": "Le camion est au garage"}
    try:
        upgrade(engine, "0009")
        with engine.begin() as conn:
            for key, reason in reasons.items():
                conn.execute(text(row), {"id": key, "reason": reason})
        upgrade(engine)
        read = "SELECT id, reason, reason_code FROM loans ORDER BY id"
        with engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(text(read))] == [
                ("taken", "", "period_taken"),
                ("typed", "Le camion est au garage", ""),
            ]
        command.downgrade(alembic_config(engine), "0009")
        with engine.connect() as conn:
            back = conn.execute(text("SELECT id, reason FROM loans ORDER BY id"))
            assert dict(tuple(r) for r in back) == reasons
    finally:
        engine.dispose()
