"""Pull sync between in-process nodes: relay, updates, tombstones, idempotence, rotation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from federation.keys import generate_keypair
from federation.models import FedCursor, FedEntry, FedOrigin
from federation.pages import read_page
from tests.federation.helpers import (
    MultiAppTransport,
    Node,
    close,
    make_node,
    nodes_in_line,
    peer,
    sqlite_url,
)


@pytest.fixture
def line(tmp_path: Path) -> Iterator[list[Node]]:
    yield from nodes_in_line(tmp_path, "a", "b", "c")


def bodies(node: Node, origin: str, record_id: str) -> list[str | None]:
    with node.session() as session:
        return list(
            session.scalars(
                select(FedEntry.body)
                .where(FedEntry.origin == origin, FedEntry.record_id == record_id)
                .order_by(FedEntry.seq)
            )
        )


def test_an_entry_written_on_a_reaches_c_through_b(line: list[Node]) -> None:
    a, b, c = line
    a.write("r1", {"title": "Hamlet"})
    assert b.pull("a").ok
    report = c.pull("b")
    assert report.ok, report.error
    assert report.applied == {"a": 2, "b": 1}  # identities and the card
    assert c.replica() == {("a", "r1"): {"version": 1, "title": "Hamlet"}}
    with c.session() as session:
        origin = session.get(FedOrigin, "a")
        assert origin is not None
        assert origin.via_peer == "b"
        assert origin.name == "Bureau a"
        assert origin.keys[0]["id"] == a.fed.current_key().key_id


def test_updates_and_tombstones_propagate_and_purge_bodies(line: list[Node]) -> None:
    a, b, c = line
    a.write("r1", {"title": "v1"})
    b.pull("a")
    c.pull("b")
    a.write("r1", {"title": "v2"})
    b.pull("a")
    c.pull("b")
    assert c.replica() == {("a", "r1"): {"version": 2, "title": "v2"}}
    assert bodies(c, "a", "r1")[0] is None  # v1 was compacted away
    a.write("r1", None)
    b.pull("a")
    c.pull("b")
    assert c.replica() == {}
    assert ("a", "r1") in c.cards.removed
    for node in (a, b, c):
        assert bodies(node, "a", "r1") == [None, None, None]


def test_a_newcomer_receives_only_live_bodies(line: list[Node]) -> None:
    a, b, c = line
    a.write("r1", {"title": "v1"})
    a.write("r1", {"title": "v2"})
    a.write("r2", {"title": "gone"})
    a.write("r2", None)
    b.pull("a")
    c.pull("b")
    assert c.replica() == {("a", "r1"): {"version": 2, "title": "v2"}}
    assert bodies(c, "a", "r1") == [None, '{"title":"v2"}']
    assert c.cards.removed == [("a", "r2")]


def test_pulling_twice_changes_nothing(line: list[Node]) -> None:
    a, b, _ = line
    a.write("r1", {"title": "Hamlet"})
    first = b.pull("a")
    before = b.replica()
    second = b.pull("a")
    assert first.applied == {"a": 2}
    assert second.ok and second.applied == {}
    assert b.replica() == before


def test_the_same_page_applied_twice_changes_nothing(line: list[Node]) -> None:
    a, b, _ = line
    a.write("r1", {"title": "Hamlet"})
    with a.session() as session, session.begin():
        origin = session.get(FedOrigin, "a")
        assert origin is not None
        page = read_page(session, origin=origin, after=0, limit=100, writer=a.fed.log_writer)
    for expected in (2, 0):
        with b.session() as session, session.begin():
            result = b.fed.sync.applier.apply_page(session, page, via_peer="a")
        assert result.applied == expected
    assert b.replica() == {("a", "r1"): {"version": 1, "title": "Hamlet"}}


def test_paging_follows_the_limit_and_resumes_from_the_cursor(tmp_path: Path) -> None:
    for a, b, c in nodes_in_line(tmp_path, "a", "b", "c", page_limit=3):
        for i in range(10):
            a.write(f"r{i}", {"n": i})
        assert b.pull("a").applied == {"a": 11}
        assert c.pull("b").applied == {"a": 11, "b": 1}
        assert len(c.replica()) == 10
        a.write("r10", {"n": 10})
        assert b.pull("a").applied == {"a": 1}
        assert c.pull("b").applied == {"a": 1}


def test_unknown_kinds_are_stored_and_relayed(line: list[Node]) -> None:
    a, b, c = line
    with a.session() as session, session.begin():
        a.fed.log_writer.append(
            session, kind="future.thing", record_id="x", version=1, body={"new": True}
        )
    assert b.pull("a").ok
    assert c.pull("b").ok
    assert bodies(c, "a", "x") == ['{"new":true}']
    assert c.replica() == {}


def test_key_rotation_keeps_sync_working(line: list[Node]) -> None:
    a, b, c = line
    a.write("r1", {"title": "before"})
    b.pull("a")
    c.pull("b")
    a.fed.rotate_key(generate_keypair("a-key-rotated"))
    a.write("r1", {"title": "after"})
    report = b.pull("a")
    assert report.ok, report.error
    assert c.pull("b").ok
    assert c.replica()[("a", "r1")]["title"] == "after"
    # A signs its requests with the new key and B accepts them.
    a.fed.notify_peer("b")
    with b.session() as session:
        keys = session.get(FedOrigin, "a")
        assert keys is not None
        assert [k["id"] for k in keys.keys][-1] == "a-key-rotated"


def test_a_newcomer_learns_a_rotated_origin_from_a_relay(tmp_path: Path) -> None:
    for a, b, c in nodes_in_line(tmp_path, "a", "b", "c"):
        a.write("r1", {"title": "before"})
        b.pull("a")
        a.fed.rotate_key(generate_keypair("a-key-2"))
        a.write("r2", {"title": "after"})
        b.pull("a")
        report = c.pull("b")
        assert report.ok, report.error
        assert set(c.replica()) == {("a", "r1"), ("a", "r2")}


def test_b_relays_c_back_to_a(line: list[Node]) -> None:
    a, b, c = line
    c.write("z", {"from": "c"})
    b.pull("c")
    a.pull("b")
    assert a.replica() == {("c", "z"): {"version": 1, "from": "c"}}


def test_an_erased_body_leaves_no_bytes_in_the_database_files(
    line: list[Node], tmp_path: Path
) -> None:
    a, b, c = line
    secret = "Zephyrine-Quartz-4711"
    a.write("r1", {"phone": secret})
    b.pull("a")
    c.pull("b")

    def files_holding_it() -> list[str]:
        files = [p for p in tmp_path.iterdir() if p.name.startswith("c.db")]
        return [p.name for p in files if secret.encode() in p.read_bytes()]

    assert files_holding_it()  # the body is there (table, log copy, WAL) ...
    a.write("r1", None)
    b.pull("a")
    assert c.pull("b").purged
    assert files_holding_it() == []  # ... and after the tombstone it is nowhere


def test_status_reports_cursors_lag_and_errors(line: list[Node]) -> None:
    a, b, _ = line
    for i in range(3):
        a.write(f"r{i}", {"n": i})
    b.pull("a")
    with b.session() as session:
        status = b.fed.status(session)
    (peer_a,) = [p for p in status.peers if p.slug == "a"]
    assert peer_a.last_success_at is not None and peer_a.last_error is None
    assert {(cur.origin, cur.seq, cur.lag) for cur in peer_a.cursors} == {("a", 4, 0)}
    a.write("r9", {"n": 9})
    with b.session() as session, session.begin():
        cursor = session.get(FedCursor, ("a", "a"))
        assert cursor is not None
        cursor.remote_seq = 5  # as a heads answer would report it
    with b.session() as session:
        status = b.fed.status(session)
    (origin_a,) = [o for o in status.origins if o.origin == "a"]
    assert (origin_a.head_seq, origin_a.known_seq, origin_a.lag) == (4, 5, 1)
    assert 'archipel_federation_origin_lag{origin="a"} 1.0' in b.fed.metrics_text()
    assert 'archipel_federation_entries_applied_total{origin="a"} 4.0' in b.fed.metrics_text()


def test_a_replica_on_either_database_converges(tmp_path: Path, db_url: str) -> None:
    """The receiving node runs on each configured database (SQLite, PostgreSQL)."""
    transport = MultiAppTransport()
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"))
    c = make_node("c", transport, db_url=db_url)
    try:
        peer(a, c)
        a.write("r1", {"title": "v1"})
        a.write("r2", {"title": "gone"})
        assert c.pull("a").ok
        a.write("r1", {"title": "v2"})
        a.write("r2", None)
        report = c.pull("a")
        assert report.ok, report.error
        assert c.replica() == {("a", "r1"): {"version": 2, "title": "v2"}}
        assert bodies(c, "a", "r1") == [None, '{"title":"v2"}']
        c.fed.block_origin("a")
        assert c.replica() == {}
    finally:
        close(a, c)
