"""Hostile bodies from an accepted peer: deeply nested JSON and a flood of notifies are
answered with 4xx or absorbed, never a server error, and store nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from federation.models import FedInbox, FedPeer
from tests.federation.helpers import MultiAppTransport, Node, close, make_node, peer, sqlite_url
from tests.federation.test_server import send, signed


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node, MultiAppTransport]]:
    transport = MultiAppTransport()
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"))
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"))
    peer(a, b)
    yield a, b, transport
    close(a, b)


def inbox_rows(node: Node) -> int:
    with node.session() as session:
        return session.scalar(select(func.count()).select_from(FedInbox)) or 0


@pytest.mark.parametrize("depth", [64, 5_000, 200_000])
def test_deeply_nested_json_is_refused_or_stored_never_a_server_error(
    nodes: tuple[Node, Node, MultiAppTransport], depth: int
) -> None:
    a, b, transport = nodes
    nested = "[" * depth + "]" * depth
    body = (
        '{"id": "m1", "kind": "note", "sender": "a", "recipient": "b", '
        f'"idempotency_key": "deep-{depth}", "body": {{"x": {nested}}}}}'
    ).encode()
    response = send(
        transport, signed(a.fed.current_key(), "POST", "http://b.test/federation/inbox", body)
    )
    assert response.status_code < 500, response.text
    if depth > 1_000:
        assert response.status_code in (400, 413)
        assert response.json()["reason"] in ("bad_request", "body_too_large")
        assert inbox_rows(b) == 0
    else:
        assert response.status_code == 202
        assert inbox_rows(b) == 1


def test_a_flood_of_notifies_only_marks_the_peer_due(
    nodes: tuple[Node, Node, MultiAppTransport],
) -> None:
    a, b, transport = nodes
    payload = json.dumps({"origins": ["a"]}).encode()
    codes = set()
    for _n in range(300):
        request = signed(a.fed.current_key(), "POST", "http://b.test/federation/notify", payload)
        codes.add(send(transport, request).status_code)
    assert codes == {202}
    with b.session() as session:
        row = session.get(FedPeer, "a")
        assert row is not None and row.next_attempt_at is not None  # one mark, not 300 pulls
    assert inbox_rows(b) == 0
