"""Applying pulled pages on a full disk or a locked database: each page is applied whole or
not at all, the peer's status names the cause, and the next pull after recovery catches up."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from federation.models import FedCursor, FedEntry, FedOrigin, FedPeer
from tests.federation.helpers import Node, nodes_in_line

UNLIMITED = 1_073_741_823
CARDS = 40


class Limits:
    """Set on every connection checked out: a page limit and a busy timeout."""

    def __init__(self) -> None:
        self.max_pages = UNLIMITED
        self.busy_ms = 10_000

    def __call__(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count = {self.max_pages}")
        cursor.execute(f"PRAGMA busy_timeout = {self.busy_ms}")
        cursor.close()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node, Limits]]:
    """a and b peered (pages of 10 entries); b's connections obey `Limits`; a holds 40 cards
    with long bodies."""
    with contextmanager(nodes_in_line)(tmp_path, "a", "b", page_limit=10) as (a, b):
        limits = Limits()
        event.listen(b.engine, "checkout", limits)
        for i in range(CARDS):
            a.write(f"r{i}", {"title": f"Fiche {i}", "notes": "Tournée d'automne. " * 60})
        try:
            yield a, b, limits
        finally:
            event.remove(b.engine, "checkout", limits)


def held(b: Node) -> tuple[int, int, int, int]:
    """b's copy of a: (head seq, entries, cards, cursor seq). They agree unless a page was
    half applied (a's genesis entry is the one entry without a card)."""
    with b.sessions() as session:
        origin = session.get(FedOrigin, "a")
        entries = session.scalar(
            select(func.count()).select_from(FedEntry).where(FedEntry.origin == "a")
        )
        cursor = session.get(FedCursor, ("a", "a"))
        return (
            origin.head_seq if origin else 0,
            entries or 0,
            len(b.replica()) + (1 if entries else 0),
            cursor.seq if cursor else 0,
        )


def page_count(b: Node) -> int:
    with b.engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())


def test_a_full_disk_refuses_whole_pages_and_the_next_pull_catches_up(
    pair: tuple[Node, Node, Limits],
) -> None:
    _a, b, limits = pair
    limits.max_pages = page_count(b) + 12  # room for a page or two of a's log, not 40 cards
    report = b.pull("a")
    assert report.error is not None and report.error.startswith("apply_failed"), report.error
    assert "full" in report.error, report.error
    seq, entries, cards, cursor = held(b)
    assert seq == entries == cards, (seq, entries, cards)  # whole pages only
    assert cursor in (0, seq)
    assert seq < CARDS + 1
    with b.sessions() as session:
        peer = session.get(FedPeer, "a")
        assert peer is not None and peer.last_error == report.error  # what the status shows

    limits.max_pages = UNLIMITED
    report = b.pull("a")
    assert report.ok, report.error
    assert held(b) == (CARDS + 1,) * 4
    assert {r for _o, r in b.replica()} == {f"r{i}" for i in range(CARDS)}


def test_a_locked_database_refuses_the_page_and_the_next_pull_catches_up(
    pair: tuple[Node, Node, Limits],
) -> None:
    _a, b, limits = pair
    limits.busy_ms = 200
    path = b.engine.url.database
    assert path
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        report = b.pull("a")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert report.error is not None and "database is locked" in report.error, report.error
    assert held(b) == (0, 0, 0, 0)  # nothing of the page, nor its cursor
    assert b.pull("a").ok
    assert held(b) == (CARDS + 1,) * 4
