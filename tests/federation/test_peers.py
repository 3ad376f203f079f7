"""Peering is explicit and mutual: a confirmed fingerprint pins a key; removal is immediate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from federation.errors import FederationError
from federation.models import FedOrigin
from federation.peers import ConfirmationRequired, FingerprintMismatch, list_peers
from federation.trust import identity_fingerprint
from tests.federation.helpers import MultiAppTransport, Node, close, make_node, sqlite_url


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    transport = MultiAppTransport()
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"))
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"))
    yield a, b
    close(a, b)


def test_adding_a_peer_asks_to_confirm_its_fingerprint(pair: tuple[Node, Node]) -> None:
    a, b = pair
    with pytest.raises(ConfirmationRequired) as asked:
        a.fed.add_peer(url=b.url)
    assert asked.value.fingerprint == b.fed.current_key().fingerprint()
    assert identity_fingerprint(asked.value.identity) == asked.value.fingerprint
    peer = a.fed.add_peer(url=b.url, fingerprint=asked.value.fingerprint)
    assert peer.state == "active" and peer.fingerprint == asked.value.fingerprint
    with a.session() as session:
        assert [p.slug for p in list_peers(session)] == ["b"]
        origin = session.get(FedOrigin, "b")
        assert origin is not None and origin.name == "Bureau b"


def test_a_wrong_fingerprint_is_refused(pair: tuple[Node, Node]) -> None:
    a, b = pair
    with pytest.raises(FingerprintMismatch):
        a.fed.add_peer(url=b.url, fingerprint="SHA256:not-the-key")
    with a.session() as session:
        assert list_peers(session) == []


def test_a_node_cannot_peer_with_itself(pair: tuple[Node, Node]) -> None:
    a, _ = pair
    with pytest.raises(FederationError):
        a.fed.add_peer(url=a.url, yes=True)


def test_until_both_admins_accept_requests_are_refused(pair: tuple[Node, Node]) -> None:
    a, b = pair
    a.fed.add_peer(url=b.url, yes=True)
    report = a.pull("b")
    assert not report.ok
    assert "unknown_key" in (report.error or "")
    b.fed.add_peer(url=a.url, yes=True)
    assert a.pull("b").ok


def test_removing_a_peer_stops_pulling_it(pair: tuple[Node, Node]) -> None:
    a, b = pair
    a.fed.add_peer(url=b.url, yes=True)
    b.fed.add_peer(url=a.url, yes=True)
    with a.session() as session, session.begin():
        assert a.fed.remove_peer(session, "b")
        assert not a.fed.remove_peer(session, "b")
    assert a.fed.scheduler.run_once() == []
    # Accepting it again re-activates it.
    a.fed.add_peer(url=b.url, yes=True)
    assert [r.ok for r in a.fed.scheduler.run_once()] == [True]


def test_a_known_peer_presenting_another_key_is_not_swapped_silently(tmp_path: Path) -> None:
    transport = MultiAppTransport()
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"))
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"))
    impostor = None
    try:
        a.fed.add_peer(url=b.url, yes=True)
        impostor = make_node("b", transport, db_url=f"sqlite:///{tmp_path / 'other-b.db'}")
        with pytest.raises(FingerprintMismatch, match="--replace"):
            a.fed.add_peer(url=b.url, yes=True)
        replaced = a.fed.add_peer(url=b.url, yes=True, replace=True)
        assert replaced.fingerprint == impostor.fed.current_key().fingerprint()
    finally:
        close(a, b, *([impostor] if impostor else []))
