"""A notify carries the sender's heads, so the receiver pulls pages at once; a relay notifies
as soon as a page is committed; a notify to the scheduling process is kept in memory."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from federation.models import FedCursor, FedPeer
from federation.pages import read_heads
from federation.scheduler import _newer_heads
from federation.server import notified_heads
from federation.sync import SyncReport
from schemas.federation import Heads, Notify, OriginHead
from tests.federation.helpers import MultiAppTransport, Node, close, make_node, peer, sqlite_url
from tests.processes import wait_for

HASH_A, HASH_B = "a" * 64, "b" * 64


class RecordingTransport(MultiAppTransport):
    """Keeps every request's host and path, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.seen.append((request.url.host, request.url.path))
        return super().handle_request(request)

    def asked(self, host: str, path: str) -> int:
        with self._lock:
            return sum(1 for h, p in self.seen if h == host and p == path)


Pair = tuple[Node, Node, RecordingTransport]


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    transport = RecordingTransport()
    config: dict[str, Any] = {"sync_interval": 3600.0, "sync_jitter": 0.0}
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"), **config)
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"), **config)
    peer(a, b)
    yield a, b, transport
    close(a, b)


def captured_notifies(node: Node) -> list[tuple[str, Heads | None]]:
    """Replace `node`'s reaction to a notify by a list of what it was given."""
    calls: list[tuple[str, Heads | None]] = []

    def trigger_now(peer_slug: str, heads: Heads | None = None) -> None:
        calls.append((peer_slug, heads))

    node.fed.scheduler.trigger_now = trigger_now  # type: ignore[method-assign]
    return calls


def peer_row(node: Node, slug: str) -> FedPeer:
    with node.session() as session:
        row = session.get(FedPeer, slug)
        assert row is not None
        return row


def test_a_notify_carries_the_senders_heads(pair: Pair) -> None:
    a, b, _ = pair
    a.write("r1", {"title": "Hamlet"})
    calls = captured_notifies(b)
    a.fed.notify_peer("b")
    ((slug, heads),) = calls
    assert slug == "a" and heads is not None
    with a.session() as session:
        assert heads == read_heads(session, node="a", checkpoints=False)
    ((origin, seq),) = [(h.origin, h.seq) for h in heads.origins]
    assert (origin, seq) == ("a", 2)


def test_a_pull_with_notified_heads_skips_the_heads_request(pair: Pair) -> None:
    a, b, transport = pair
    a.write("r1", {"title": "Hamlet"})
    with a.session() as session:
        heads = read_heads(session, node="a", checkpoints=False)
    report = b.fed.sync.pull_peer("a", heads)
    assert report.ok, report.error
    assert report.applied == {"a": 2}
    assert b.replica() == {("a", "r1"): {"version": 1, "title": "Hamlet"}}
    assert transport.asked("a.test", "/federation/heads") == 0
    assert transport.asked("a.test", "/federation/log/a") == 1
    # The heads are noted for the lag, as those asked for would be.
    with b.session() as session:
        cursor = session.scalars(select(FedCursor).where(FedCursor.peer == "a")).one()
        assert (cursor.seq, cursor.remote_seq) == (2, 2)
    # Without heads (an older sender's notify, a periodic pull), they are asked for.
    assert b.fed.sync.pull_peer("a").ok
    assert transport.asked("a.test", "/federation/heads") == 1


def test_notified_heads_that_fork_from_ours_are_refused(pair: Pair) -> None:
    a, b, _ = pair
    a.write("r1", {"title": "Hamlet"})
    assert b.pull("a").ok
    forged = Heads(node="a", origins=[OriginHead(origin="a", seq=2, head=HASH_A, checkpoint=None)])
    report = b.fed.sync.pull_peer("a", forged)
    assert report.error is not None and report.error.startswith("broken_chain")


def test_heads_in_a_notify_are_only_a_hint() -> None:
    def notify(extra: dict[str, Any]) -> Notify:
        return Notify.model_validate_json(json.dumps({"origins": ["a"], **extra}))

    good = {"node": "a", "origins": [{"origin": "c", "seq": 3, "head": HASH_A, "checkpoint": None}]}
    assert notified_heads("a", notify({})) is None  # an older sender: the pull asks for them
    assert notified_heads("a", notify({"heads": {"node": "a"}})) is None  # not heads
    assert notified_heads("a", notify({"heads": [1, 2]})) is None
    assert notified_heads("b", notify({"heads": good})) is None  # another node's
    heads = notified_heads("a", notify({"heads": good}))
    assert heads is not None and heads.origins[0].seq == 3


def test_a_later_notify_keeps_the_further_seqs_of_an_unconsumed_one() -> None:
    def heads(**seqs: int) -> Heads:
        return Heads(
            node="a",
            origins=[
                OriginHead(origin=o, seq=s, head=HASH_A if s % 2 else HASH_B, checkpoint=None)
                for o, s in seqs.items()
            ],
        )

    assert _newer_heads(None, heads(a=1)) == heads(a=1)
    # Handled out of order: c's further seq is kept, with its own head; d (no longer
    # listed: blocked by the peer) is dropped.
    assert _newer_heads(heads(a=1, c=5, d=2), heads(a=2, c=4)) == heads(a=2, c=5)


def test_a_relay_notifies_as_soon_as_each_page_is_committed(tmp_path: Path) -> None:
    transport = MultiAppTransport()
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"))
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"), page_limit=1)
    try:
        peer(a, b)
        a.write("r1", {"title": "Hamlet"})
        a.write("r2", {"title": "Lear"})
        held_when_told: list[int] = []
        b.fed.sync._on_applied = lambda: held_when_told.append(len(b.replica()))
        assert b.pull("a").applied == {"a": 3}
        # Once per page (genesis, r1, r2), each time with the page already committed.
        assert held_when_told == [0, 1, 2]
        assert b.pull("a").applied == {}
        assert held_when_told == [0, 1, 2]  # nothing applied, nobody told
    finally:
        close(a, b)


def test_a_notify_to_the_scheduler_pulls_at_once_with_its_heads(pair: Pair) -> None:
    a, b, transport = pair
    b.fed.scheduler.start()
    wait_for(lambda: peer_row(b, "a").last_success_at is not None)  # the first tick
    asked = transport.asked("a.test", "/federation/heads")
    a.write("r1", {"title": "Hamlet"})
    a.fed.notify_peer("b")
    wait_for(lambda: ("a", "r1") in b.replica())
    assert transport.asked("a.test", "/federation/heads") == asked
    # Kept in memory by the process that pulls: the database holds no "due" mark.
    assert peer_row(b, "a").next_attempt_at is None


def test_a_notify_ends_a_backoff_which_a_success_then_clears(pair: Pair) -> None:
    a, b, transport = pair
    transport.down.add("a.test")
    b.fed.scheduler.start()
    wait_for(lambda: peer_row(b, "a").failures == 1)
    assert peer_row(b, "a").next_attempt_at is not None  # backing off for a long while
    transport.down.clear()
    a.write("r1", {"title": "Hamlet"})
    a.fed.notify_peer("b")
    wait_for(lambda: ("a", "r1") in b.replica())
    wait_for(lambda: peer_row(b, "a").failures == 0)
    assert peer_row(b, "a").next_attempt_at is None


def test_a_notify_during_a_pull_is_pulled_right_after_it(pair: Pair) -> None:
    a, b, _ = pair
    b.fed.scheduler.start()
    wait_for(lambda: peer_row(b, "a").last_success_at is not None)
    real_pull = b.fed.sync.pull_peer
    entered, release = threading.Event(), threading.Event()
    hints: list[Heads | None] = []

    def slow_pull(
        peer_slug: str,
        heads: Heads | None = None,
        *,
        bookkeeping: Callable[[FedPeer, SyncReport], None] | None = None,
    ) -> SyncReport:
        hints.append(heads)
        if len(hints) == 1:
            entered.set()
            release.wait(10)
        return real_pull(peer_slug, heads, bookkeeping=bookkeeping)

    b.fed.sync.pull_peer = slow_pull  # type: ignore[method-assign]
    a.write("r1", {"title": "Hamlet"})
    a.fed.notify_peer("b")
    assert entered.wait(10)
    a.write("r2", {"title": "Lear"})
    a.fed.notify_peer("b")  # while the first pull is in flight
    release.set()
    wait_for(lambda: len(hints) >= 2)
    assert [h.origins[0].seq if h is not None else None for h in hints[:2]] == [2, 3]
    wait_for(lambda: ("a", "r2") in b.replica())
