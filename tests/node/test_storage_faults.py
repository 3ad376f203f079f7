"""A full disk or a locked database: a named problem, nothing half-saved, and recovery after.

Simulated on SQLite: another connection holding the write lock (with a short busy timeout,
so the test does not wait ten seconds), and `PRAGMA max_page_count` set just above the
file's size on every connection the app checks out (the file cannot grow: SQLITE_FULL).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from conftest import NodeHarness
from federation.models import FedOrigin
from node.models import Member
from node.problems import database_trouble

UNLIMITED = 1_073_741_823


class Limits:
    """What every checked-out connection is set to: a page limit, a busy timeout."""

    def __init__(self) -> None:
        self.max_pages = UNLIMITED
        self.busy_ms = 10_000

    def __call__(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count = {self.max_pages}")
        cursor.execute(f"PRAGMA busy_timeout = {self.busy_ms}")
        cursor.close()


@pytest.fixture
def limits(node: NodeHarness) -> Iterator[Limits]:
    if node.engine.dialect.name != "sqlite":
        pytest.skip("simulated with SQLite pragmas")
    limits = Limits()
    event.listen(node.engine, "checkout", limits)
    yield limits
    event.remove(node.engine, "checkout", limits)


def _counts(node: NodeHarness) -> tuple[int, int]:
    """(members, own log head): what a half-applied write would make disagree."""
    with node.sessions() as db:
        members = db.scalar(select(func.count()).select_from(Member)) or 0
        head = db.scalar(select(FedOrigin.head_seq).where(FedOrigin.slug == "lyon")) or 0
    return members, head


def _create(node: NodeHarness, name: str, bio: str = "") -> Any:
    body = {"display_name": name, "visibility": "network", "bio": bio}
    return node.client.post("/api/members", json=body, headers=node.headers("staff"))


def test_a_locked_database_answers_503_busy_and_saves_nothing(
    node: NodeHarness, limits: Limits
) -> None:
    limits.busy_ms = 200
    path = node.engine.url.database
    assert path
    holder = sqlite3.connect(path, isolation_level=None)
    before = _counts(node)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        response = _create(node, "Lucie Verrou")
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["Retry-After"] == "2"
        problem = response.json()
        assert problem["reason"] == "database_busy"
        assert "nothing was saved" in problem["detail"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _counts(node) == before
    assert _create(node, "Lucie Verrou").status_code == 201  # the lock is gone: it works
    assert _counts(node) == (before[0] + 1, before[1] + 1)


def test_a_full_disk_answers_507_saves_nothing_and_recovers(
    node: NodeHarness, limits: Limits
) -> None:
    with node.sessions() as db:
        pages = int(db.connection().exec_driver_sql("PRAGMA page_count").scalar_one())
    limits.max_pages = pages + 4
    bio = "Régisseuse plateau, tournées en Rhône-Alpes. " * 40
    created, refused = 0, None
    for i in range(200):  # a few pages per member: the limit is reached long before
        before = _counts(node)
        response = _create(node, f"Inès Pleine{i:03d}", bio)
        if response.status_code != 201:
            refused = response
            break
        created += 1
    assert refused is not None, "the page limit was never reached"
    assert refused.status_code == 507, refused.text
    problem = refused.json()
    assert (problem["reason"], problem["title"]) == ("disk_full", "Insufficient Storage")
    # The member and its log entry commit together or not at all.
    assert _counts(node) == before
    assert before[0] == created

    limits.max_pages = UNLIMITED  # space freed
    assert _create(node, "Inès Pleine", bio).status_code == 201
    assert _counts(node) == (before[0] + 1, before[1] + 1)


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "status"), [("53100", 507), ("55P03", 503), ("57014", 503), ("23505", None)]
)
def test_postgresql_errors_are_named_by_their_sqlstate(sqlstate: str, status: int | None) -> None:
    trouble = database_trouble(OperationalError("INSERT …", {}, _PgError(sqlstate)))
    assert (trouble[0] if trouble else None) == status
