"""The sync loop: due peers are pulled, failures back off on a fake clock, notify pulls at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from federation.models import FedPeer
from federation.sync import SyncReport
from tests.federation.helpers import (
    FakeClock,
    MultiAppTransport,
    Node,
    close,
    make_node,
    peer,
    sqlite_url,
)

Nodes = tuple[Node, Node, MultiAppTransport, FakeClock]


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[Nodes]:
    clock = FakeClock()
    transport = MultiAppTransport()
    config: dict[str, Any] = {"sync_interval": 30.0, "sync_jitter": 0.0, "backoff_max": 200.0}
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"), clock=clock, **config)
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"), clock=clock, **config)
    peer(a, b)
    yield a, b, transport, clock
    close(a, b)


def peer_row(node: Node, slug: str) -> FedPeer:
    with node.session() as session:
        row = session.get(FedPeer, slug)
        assert row is not None
        return row


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_run_once_pulls_every_due_peer(nodes: Nodes) -> None:
    a, b, _, _ = nodes
    a.write("r1", {"title": "Hamlet"})
    (report,) = b.fed.scheduler.run_once()
    assert report.ok and report.applied == {"a": 2}
    assert b.replica() == {("a", "r1"): {"version": 1, "title": "Hamlet"}}


def test_run_once_leaves_alone_a_peer_whose_job_is_pulling_it(nodes: Nodes) -> None:
    """run_once goes through each peer's job: a pull in flight is never doubled."""
    a, b, _, _ = nodes
    a.write("r1", {"title": "Hamlet"})
    pull = b.fed.sync.pull_peer
    started, release = threading.Event(), threading.Event()

    def slow_pull(*args: Any, **kwargs: Any) -> SyncReport:
        started.set()
        release.wait(10)
        return pull(*args, **kwargs)

    b.fed.sync.pull_peer = slow_pull  # type: ignore[method-assign]
    job = threading.Thread(target=b.fed.scheduler.pull_if_due, args=("a",))
    job.start()
    try:
        assert started.wait(10)
        b.fed.sync.pull_peer = pull  # type: ignore[method-assign]
        assert b.fed.scheduler.run_once() == []
    finally:
        release.set()
        job.join(10)
    assert b.replica() == {("a", "r1"): {"version": 1, "title": "Hamlet"}}


def test_failures_back_off_exponentially_up_to_a_cap(nodes: Nodes) -> None:
    _, b, transport, clock = nodes
    transport.down.add("a.test")
    expected = [60, 120, 200, 200]
    for delay in expected:
        (report,) = b.fed.scheduler.run_once()
        assert not report.ok and "unreachable" in (report.error or "")
        row = peer_row(b, "a")
        assert row.next_attempt_at == datetime.fromtimestamp(clock(), UTC) + timedelta(
            seconds=delay
        )
        assert b.fed.scheduler.run_once() == []  # not due yet
        clock.advance(delay)
    assert peer_row(b, "a").failures == 4
    transport.down.clear()
    (report,) = b.fed.scheduler.run_once()
    assert report.ok
    row = peer_row(b, "a")
    assert (row.failures, row.next_attempt_at) == (0, None)
    assert row.last_success_at == datetime.fromtimestamp(clock(), UTC)


def test_a_notify_from_a_backing_off_peer_makes_it_due(nodes: Nodes) -> None:
    a, b, transport, _ = nodes
    transport.down.add("a.test")
    b.fed.scheduler.run_once()
    assert b.fed.scheduler.run_once() == []
    transport.down.clear()
    a.fed.notify_peer("b")
    (report,) = b.fed.scheduler.run_once()
    assert report.ok


def test_notify_triggers_an_immediate_pull(tmp_path: Path) -> None:
    transport = MultiAppTransport()
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"), sync_interval=3600.0)
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"), sync_interval=3600.0)
    try:
        peer(a, b)
        b.fed.start()
        wait_for(lambda: peer_row(b, "a").last_success_at is not None)  # the first tick
        a.write("r1", {"title": "Hamlet"})
        a.fed.notify_peer("b")
        wait_for(lambda: ("a", "r1") in b.replica())
    finally:
        close(a, b)


def test_with_notify_off_peers_learn_of_changes_only_by_pulling(tmp_path: Path) -> None:
    transport = MultiAppTransport()
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"), notify=False)
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"))
    notified: list[str] = []
    b.fed.scheduler.trigger_now = lambda peer_slug, heads=None: notified.append(peer_slug)  # type: ignore[method-assign]
    try:
        peer(a, b)
        a.fed.scheduler.start()
        a.write("r1", {"title": "Hamlet"})
        a.fed.log_grew()
        a.fed.scheduler.notifier.flush_notifications()  # what the debounce timer and the watch call
        time.sleep(0.5)  # a notify would have left at once (no start-up announce either)
        assert notified == []
        assert b.fed.sync.pull_peer("a").error is None
        assert ("a", "r1") in b.replica()
    finally:
        close(a, b)


def test_log_growth_is_notified_once_per_debounce(tmp_path: Path) -> None:
    transport = MultiAppTransport()
    # The first notify after a quiet spell leaves at once; a burst within the debounce of it
    # is gathered into one more. A long debounce keeps the burst inside it on a busy machine.
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"), notify_debounce=1.0)
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"))
    notified: list[str] = []
    b.fed.scheduler.trigger_now = lambda peer_slug, heads=None: notified.append(peer_slug)  # type: ignore[method-assign]
    try:
        peer(a, b)
        a.fed.log_grew()  # not started: nobody is notified
        a.fed.scheduler.start()
        wait_for(lambda: notified == ["a"])  # the announce on start
        for _ in range(5):
            a.fed.log_grew()
        wait_for(lambda: len(notified) == 2)
        time.sleep(1.2)
        assert notified == ["a", "a"]
    finally:
        close(a, b)
