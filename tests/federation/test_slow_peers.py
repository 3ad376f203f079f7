"""A peer that never answers, or answers a byte at a time, holds up nobody but itself."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from federation.client import FederationClient, Unreachable
from federation.config import FederationConfig
from federation.keys import generate_keypair
from tests.federation.helpers import MultiAppTransport, close, make_node, peer, sqlite_url
from tests.processes import wait_for

TIMEOUT = 0.5  # request_timeout of the client under test: each read waits at most this


@contextmanager
def loopback_server(answer: str) -> Iterator[int]:
    """A loopback TCP server that accepts every connection, then either never answers
    (`silent`) or sends a valid HTTP head and then one body byte every 0.1 s (`trickle`);
    stopped (and its connections closed) on exit."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve(conn: socket.socket) -> None:
        if answer == "trickle":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            for _ in range(60):  # at most 6 s, then the connection ends: the test stays bounded
                if stop.wait(0.1):
                    return
                try:
                    conn.sendall(b"x")
                except OSError:
                    return
            conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(conn)
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        listener.close()


def _client() -> FederationClient:
    config = FederationConfig(slug="a", name="A", url="http://a.test", request_timeout=TIMEOUT)
    pair = generate_keypair("a-key")
    return FederationClient(config, signer=lambda: pair)


@pytest.mark.parametrize("answer", ["silent", "trickle"])
def test_a_request_to_a_peer_that_stalls_gives_up_within_its_deadline(answer: str) -> None:
    """Silent: the read timeout. Trickling (every read on time): the whole-answer deadline,
    three times the timeout, where before a peer could hold a pull for as long as it liked."""
    client = _client()
    with loopback_server(answer) as port:
        started = time.monotonic()
        with pytest.raises(Unreachable):
            client.request(
                "GET", f"http://127.0.0.1:{port}/federation/heads", resolve_key=lambda _k: None
            )
        took = time.monotonic() - started
    client.close()
    assert took < TIMEOUT * 3 + 1.5, f"gave up after {took:.1f} s"


class HungThenFast:
    """A notify function: `hung` peers block until released, the others return at once."""

    def __init__(self, hung: str) -> None:
        self.hung = hung
        self.release = threading.Event()
        self.calls: list[tuple[str, float]] = []

    def __call__(self, slug: str) -> None:
        self.calls.append((slug, time.monotonic()))
        if slug == self.hung:
            self.release.wait(10)


def test_a_hung_notify_delays_no_other_peer_and_is_not_repeated_while_in_flight(
    tmp_path: Path,
) -> None:
    transport = MultiAppTransport()
    nodes = [make_node(s, transport, db_url=sqlite_url(tmp_path, s)) for s in "abc"]
    a, b, c = nodes
    notify = HungThenFast(hung="b")  # b sorts before c: notified first
    a.fed.scheduler.notifier._notify = notify
    try:
        peer(a, b)
        peer(a, c)
        started = time.monotonic()
        a.fed.scheduler.notifier.flush_notifications()
        wait_for(lambda: any(slug == "c" for slug, _ in notify.calls), timeout=2, every=0.01)
        assert next(t for s, t in notify.calls if s == "c") - started < 1
        # Two more growths while b's notify hangs: c gets both, b none (one in flight)...
        for _ in range(2):
            a.fed.scheduler.notifier.flush_notifications()
        wait_for(lambda: [s for s, _ in notify.calls].count("c") == 3, timeout=2, every=0.01)
        assert [s for s, _ in notify.calls].count("b") == 1
        # ...and exactly one more once it returns, so b still hears of the latest growth.
        notify.release.set()
        wait_for(lambda: [s for s, _ in notify.calls].count("b") == 2, timeout=2, every=0.01)
        time.sleep(0.2)
        assert [s for s, _ in notify.calls].count("b") == 2
    finally:
        notify.release.set()
        close(*nodes)
