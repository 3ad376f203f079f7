"""The federation endpoints refuse what is not signed by an active peer, and sign every answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from federation.keys import KeyPair, generate_keypair
from federation.models import FedInbox, FedNonce
from federation.signatures import SigningAuth, signature_nonce, verify_response
from federation.trust import current_key_resolver, keyset_from_identity
from tests.federation.helpers import MultiAppTransport, Node, close, make_node, peer, sqlite_url


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node, MultiAppTransport]]:
    transport = MultiAppTransport()
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"))
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"), max_body_bytes=2000)
    peer(a, b)
    yield a, b, transport
    close(a, b)


def signed(pair: KeyPair, method: str, url: str, content: bytes | None = None) -> httpx.Request:
    request = httpx.Request(method, url, content=content)
    flow = SigningAuth(pair).sync_auth_flow(request)
    return next(flow)


def send(transport: MultiAppTransport, request: httpx.Request) -> httpx.Response:
    return transport.handle_request(request)


def assert_signed_by(node: Node, response: httpx.Response, request: httpx.Request) -> None:
    """The answer verifies with the node's key, bound to our request's nonce."""
    keys = keyset_from_identity(node.fed.identity_document())
    try:
        nonce: str | None = signature_nonce(request.headers)
    except Exception:
        nonce = None
    verify_response(
        status=response.status_code,
        headers=response.headers,
        body=response.content,
        resolve_key=current_key_resolver(keys, now=0, grace=0),
        expected_nonce=nonce,
    )


def refused(node: Node, reason: str) -> float:
    for line in node.fed.metrics_text().splitlines():
        if line.startswith(f'archipel_federation_requests_refused_total{{reason="{reason}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def nonce_count(node: Node) -> int:
    with node.session() as session:
        return session.scalar(select(func.count()).select_from(FedNonce)) or 0


def test_an_active_peer_gets_signed_heads(nodes: tuple[Node, Node, MultiAppTransport]) -> None:
    a, b, transport = nodes
    b.pull("a")
    request = signed(a.fed.current_key(), "GET", "http://b.test/federation/heads")
    response = send(transport, request)
    assert response.status_code == 200
    assert_signed_by(b, response, request)
    assert {h["origin"] for h in response.json()["origins"]} == {"a", "b"}


@pytest.mark.parametrize(
    ("make_request", "status", "reason"),
    [
        (lambda a: httpx.Request("GET", "http://b.test/federation/heads"), 401, "unsigned"),
        (
            lambda a: signed(generate_keypair("stranger"), "GET", "http://b.test/federation/heads"),
            401,
            "unknown_key",
        ),
        (
            lambda a: signed(a.fed.current_key(), "GET", "http://alias.test/federation/heads"),
            403,
            "wrong_audience",
        ),
        (
            lambda a: signed(
                a.fed.current_key(), "POST", "http://b.test/federation/notify", b"x" * 3000
            ),
            413,
            "body_too_large",
        ),
    ],
    ids=["unsigned", "unknown-key", "wrong-audience", "oversized"],
)
def test_bad_requests_are_refused_with_a_signed_problem(
    nodes: tuple[Node, Node, MultiAppTransport], make_request, status: int, reason: str
) -> None:
    a, b, transport = nodes
    transport.mount("alias.test", transport.apps["b.test"])
    request = make_request(a)
    response = send(transport, request)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["reason"] == reason and problem["status"] == status
    assert {"type", "title", "detail"} <= set(problem)
    assert_signed_by(b, response, request)
    assert refused(b, reason) == 1
    assert nonce_count(b) == 0


def test_a_body_larger_than_announced_is_refused(
    nodes: tuple[Node, Node, MultiAppTransport],
) -> None:
    a, b, transport = nodes
    request = signed(a.fed.current_key(), "POST", "http://b.test/federation/inbox", b"y" * 3000)
    # A lying Content-Length: the server counts what it actually reads.
    request.headers["Content-Length"] = "10"
    response = send(transport, request)
    assert response.status_code == 413, response.text
    with b.session() as session:
        assert session.scalar(select(func.count()).select_from(FedInbox)) == 0


def test_a_replayed_request_is_refused(nodes: tuple[Node, Node, MultiAppTransport]) -> None:
    a, _, transport = nodes
    request = signed(a.fed.current_key(), "GET", "http://b.test/federation/heads")
    assert send(transport, request).status_code == 200
    again = send(transport, request)
    assert again.status_code == 401
    assert again.json()["reason"] == "replayed_nonce"


def test_a_removed_peer_is_refused_at_once(nodes: tuple[Node, Node, MultiAppTransport]) -> None:
    a, b, transport = nodes
    with b.session() as session, session.begin():
        assert b.fed.remove_peer(session, "a")
    request = signed(a.fed.current_key(), "GET", "http://b.test/federation/heads")
    response = send(transport, request)
    assert response.status_code == 403
    assert response.json()["reason"] == "not_peered"
    report = b.pull("a")
    assert not report.ok and "not_peered" in (report.error or "")


def test_a_known_node_that_is_not_a_peer_is_told_so(tmp_path: Path) -> None:
    transport = MultiAppTransport()
    a, b, c = (make_node(s, transport, db_url=sqlite_url(tmp_path, s)) for s in "abc")
    try:
        peer(a, b)
        peer(b, c)
        b.pull("c")
        a.pull("b")  # a now knows c's key, relayed through b
        request = signed(c.fed.current_key(), "GET", "http://a.test/federation/heads")
        response = send(transport, request)
        assert response.status_code == 403
        assert response.json()["reason"] == "not_peered"
    finally:
        close(a, b, c)


def test_the_identity_endpoint_needs_no_signature(
    nodes: tuple[Node, Node, MultiAppTransport],
) -> None:
    _, b, transport = nodes
    request = httpx.Request("GET", "http://b.test/federation/node")
    response = send(transport, request)
    assert response.status_code == 200
    assert response.json()["slug"] == "b"
    assert response.json()["rotations"] == []
    assert_signed_by(b, response, request)


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("/federation/log/a?after=0&limit=6000", 400, "bad_request"),
        ("/federation/log/a?after=-1", 400, "bad_request"),
        ("/federation/log/a?after=zero", 400, "bad_request"),
        ("/federation/log/nobody", 404, "unknown_origin"),
    ],
)
def test_log_parameters_are_checked(
    nodes: tuple[Node, Node, MultiAppTransport], path: str, status: int, reason: str
) -> None:
    a, _, transport = nodes
    response = send(transport, signed(a.fed.current_key(), "GET", f"http://b.test{path}"))
    assert response.status_code == status
    assert response.json()["reason"] == reason


def test_a_page_of_the_own_log_ends_at_a_fresh_checkpoint(
    nodes: tuple[Node, Node, MultiAppTransport],
) -> None:
    a, b, transport = nodes
    for i in range(5):
        b.write(f"r{i}", {"n": i})
    url = "http://b.test/federation/log/b?after=1&limit=3"
    page = send(transport, signed(a.fed.current_key(), "GET", url)).json()
    assert [e["seq"] for e in page["entries"]] == [2, 3, 4]
    assert page["checkpoint"]["seq"] == 4 and page["head_seq"] == 6


def test_an_invalid_notify_body_is_a_bad_request(
    nodes: tuple[Node, Node, MultiAppTransport],
) -> None:
    a, _, transport = nodes
    request = signed(a.fed.current_key(), "POST", "http://b.test/federation/notify", b"[1]")
    response = send(transport, request)
    assert response.status_code == 400
    ok = signed(
        a.fed.current_key(),
        "POST",
        "http://b.test/federation/notify",
        json.dumps({"origins": ["a"]}).encode(),
    )
    assert send(transport, ok).status_code == 202
