"""The reads the node makes of federation's tables, through the public surface."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from federation.service import (
    active_peers,
    applied_at,
    inbox_pending,
    known_origins,
    latest_entry,
    queued_message,
    withdraw_message,
)
from tests.federation.helpers import MultiAppTransport, Node, close, make_node, peer, sqlite_url


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    transport = MultiAppTransport()
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"))
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"))
    peer(a, b)
    yield a, b
    close(a, b)


def test_known_origins_and_their_freshness_leave_blocked_origins_out(
    pair: tuple[Node, Node],
) -> None:
    a, b = pair
    a.write("r1", {"title": "Hamlet"})
    assert b.pull("a").ok
    with b.session() as session:
        assert [(o.slug, o.name) for o in known_origins(session)] == [
            ("a", "Bureau a"),
            ("b", "Bureau b"),
        ]
        assert applied_at(session, {"a"})["a"] is not None
        assert applied_at(session, set()) == {}
        assert active_peers(session) == ["a"]
    b.fed.block_origin("a")
    with b.session() as session:
        assert [o.slug for o in known_origins(session)] == ["b"]
        assert applied_at(session, {"a"}) == {}


def test_a_queued_message_is_seen_until_delivered_or_withdrawn(pair: tuple[Node, Node]) -> None:
    a, b = pair
    with a.session() as session, session.begin():
        for key in ("k1", "k2"):
            a.fed.send_message(
                session, recipient="b", kind="test.ping", body={}, idempotency_key=key
            )
    with a.session() as session:
        queued = queued_message(session, recipient="b", idempotency_key="k1")
        assert queued is not None and not queued.delivered
        assert queued_message(session, recipient="b", idempotency_key="other") is None
    with a.session() as session, session.begin():
        withdraw_message(session, queued)
    with a.session() as session:
        assert queued_message(session, recipient="b", idempotency_key="k1") is None
    a.fed.exchange_messages()
    with a.session() as session:
        sent = queued_message(session, recipient="b", idempotency_key="k2")
        assert sent is not None and sent.delivered
    with b.session() as session:
        assert inbox_pending(session, sender="a", idempotency_key="k2") is True
        assert inbox_pending(session, sender="a", idempotency_key="k1") is False  # withdrawn
    b.fed.exchange_messages()  # no handler for test.ping: stored as unhandled
    with b.session() as session:
        assert inbox_pending(session, sender="a", idempotency_key="k2") is False


def test_the_latest_entry_says_whether_it_carries_a_body(pair: tuple[Node, Node]) -> None:
    a, _ = pair
    a.write("r1", {"title": "Hamlet"})
    a.write("r1", {"title": "Macbeth"})
    with a.session() as session:
        latest = latest_entry(session, origin="a", kind="test.card", record_id="r1")
        assert latest is not None and latest.version == 2
        assert latest.carries({"title": "Macbeth"})
        assert not latest.carries({"title": "Hamlet"})
        assert latest_entry(session, origin="a", kind="test.card", record_id="r2") is None
    a.write("r1", None)
    with a.session() as session:
        gone = latest_entry(session, origin="a", kind="test.card", record_id="r1")
        assert gone is not None and gone.op == "delete" and not gone.carries({"title": "Macbeth"})
