"""A relay cannot alter or drop an origin's entries, and a blocked origin stays out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from federation.models import FedCheckpoint, FedEntry, FedOrigin
from federation.pages import read_heads
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
    for nodes in nodes_in_line(tmp_path, "a", "b", "c"):
        a, b, _ = nodes
        a.write("r1", {"title": "Hamlet"})
        a.write("r2", {"title": "Phèdre"})
        assert b.pull("a").ok
        yield nodes


def entries_of(node: Node, origin: str) -> int:
    with node.session() as session:
        return (
            session.scalar(
                select(func.count()).select_from(FedEntry).where(FedEntry.origin == origin)
            )
            or 0
        )


def peer_error(node: Node, slug: str) -> str:
    with node.session() as session:
        status = node.fed.status(session)
    (peer,) = [p for p in status.peers if p.slug == slug]
    return peer.last_error or ""


def test_a_relay_that_edits_a_body_is_refused(line: list[Node]) -> None:
    _, b, c = line
    with b.session() as session, session.begin():
        session.execute(
            update(FedEntry)
            .where(FedEntry.origin == "a", FedEntry.record_id == "r1")
            .values(body='{"title":"Forged"}')
        )
    report = c.pull("b")
    assert not report.ok
    assert "body_hash_mismatch" in peer_error(c, "b")
    assert entries_of(c, "a") == 0 and c.replica() == {}
    assert 'archipel_federation_pages_refused_total{reason="body_hash_mismatch"} 1.0' in (
        c.fed.metrics_text()
    )
    assert entries_of(c, "b") == 1  # b's own log still came through


def test_a_relay_that_drops_an_entry_in_the_middle_is_refused(line: list[Node]) -> None:
    _, b, c = line
    with b.session() as session, session.begin():
        session.execute(delete(FedEntry).where(FedEntry.origin == "a", FedEntry.seq == 2))
    report = c.pull("b")
    assert not report.ok
    assert "broken_chain" in peer_error(c, "b")
    assert entries_of(c, "a") == 0


def test_a_relay_that_rewrites_a_version_is_refused(line: list[Node]) -> None:
    _, b, c = line
    with b.session() as session, session.begin():
        session.execute(update(FedEntry).where(FedEntry.origin == "a").values(version=9))
    assert not c.pull("b").ok
    assert entries_of(c, "a") == 0


def test_a_relay_that_forges_a_checkpoint_is_refused(line: list[Node]) -> None:
    _, b, c = line
    with b.session() as session, session.begin():
        session.execute(
            update(FedCheckpoint).where(FedCheckpoint.origin == "a").values(signature="AAAA")
        )
    assert not c.pull("b").ok
    assert "bad_checkpoint" in peer_error(c, "b")
    assert entries_of(c, "a") == 0


def test_blocking_an_origin_purges_it_and_refuses_it_relayed(line: list[Node]) -> None:
    a, b, c = line
    assert c.pull("b").ok
    assert len(c.replica()) == 2
    c.fed.block_origin("a")
    assert c.replica() == {}
    assert entries_of(c, "a") == 0
    a.write("r3", {"title": "Ubu"})
    b.pull("a")
    assert c.pull("b").ok
    assert c.replica() == {} and entries_of(c, "a") == 0
    with c.session() as session:
        assert "a" not in {h.origin for h in read_heads(session, node="c").origins}
        origin = session.get(FedOrigin, "a")
        assert origin is not None and origin.blocked


def test_an_unblocked_origin_is_pulled_anew(line: list[Node]) -> None:
    _, _, c = line
    c.fed.block_origin("a")
    with c.session() as session, session.begin():
        assert c.fed.unblock_origin(session, "a")
    assert c.pull("b").ok
    assert len(c.replica()) == 2


def test_peering_with_an_origin_drops_a_forged_copy_learned_through_a_relay(
    tmp_path: Path,
) -> None:
    """A relay vouched for a fake "x"; the admin then confirms the real x's key."""
    transport = MultiAppTransport()
    fake = make_node("x", transport, db_url=f"sqlite:///{tmp_path / 'fake-x.db'}")
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"))
    c = make_node("c", transport, db_url=sqlite_url(tmp_path, "c"))
    real = None
    try:
        peer(fake, b)
        peer(b, c)
        fake.write("r1", {"title": "forged"})
        assert b.pull("x").ok
        assert c.pull("b").ok
        assert ("x", "r1") in c.replica()
        fake.fed.stop()
        real = make_node("x", transport, db_url=f"sqlite:///{tmp_path / 'real-x.db'}")
        real.write("r2", {"title": "real"})
        peer(real, c)
        assert ("x", "r1") not in c.replica()
        assert c.pull("x").ok
        assert ("x", "r2") in c.replica()
        refused = c.pull("b")
        assert not refused.ok
        assert ("x", "r1") not in c.replica()
    finally:
        close(b, c, *([real] if real else []))
        fake.engine.dispose()
