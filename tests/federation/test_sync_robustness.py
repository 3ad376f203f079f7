"""Sync keeps going through bad answers, and relays pass changes on without waiting."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI, Request, Response

from federation.models import FedPeer
from federation.signatures import sign_response_headers, signature_nonce
from tests.federation.helpers import MultiAppTransport, close, make_node, peer, sqlite_url
from tests.processes import wait_for


def test_a_malformed_answer_is_a_named_refusal_and_the_peer_backs_off(tmp_path: Path) -> None:
    transport = MultiAppTransport()
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"))
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"))
    try:
        peer(a, b)
        impostor = FastAPI()

        @impostor.get("/federation/heads")
        def broken_heads(request: Request) -> Response:
            """A's key, so the answer is authentic; the document is not a heads document."""
            body = json.dumps({"node": 12, "origins": "nope"}).encode()
            headers = sign_response_headers(
                status=200,
                headers={"content-type": "application/json"},
                body=body,
                pair=a.fed.current_key(),
                request_nonce=signature_nonce(request.headers),
            )
            return Response(body, media_type="application/json", headers=headers)

        real = transport.apps["a.test"]
        transport.mount("a.test", impostor)
        (report,) = b.fed.scheduler.run_once()
        assert report.error is not None
        assert report.error.startswith("malformed_response")
        with b.session() as session:
            row = session.get(FedPeer, "a")
            assert row is not None and row.failures == 1
            assert row.last_error is not None and "malformed_response" in row.last_error
        assert 'reason="malformed_response"' in b.fed.metrics_text()
        transport.mount("a.test", real)
        a.write("r1", {"title": "Hamlet"})
        assert b.pull("a").ok
        assert ("a", "r1") in b.replica()
    finally:
        close(a, b)


def test_a_relay_passes_a_change_on_at_once(tmp_path: Path) -> None:
    """A–B–C with hour-long intervals: only push hints can carry the change in time."""
    transport = MultiAppTransport()
    nodes = [
        make_node(
            s, transport, db_url=sqlite_url(tmp_path, s), sync_interval=3600.0, notify_debounce=0.05
        )
        for s in ("a", "b", "c")
    ]
    a, b, c = nodes
    try:
        peer(a, b)
        peer(b, c)
        for node in nodes:
            node.fed.start()
        wait_for(lambda: all(n.fed.scheduler.leading for n in nodes), timeout=10)
        a.write("r1", {"title": "Le Misanthrope"})
        a.fed.log_grew()
        took = wait_for(lambda: ("a", "r1") in c.replica(), timeout=10, every=0.02)
        assert took < 5
    finally:
        close(*nodes)


def test_transport_failures_do_not_count_as_refused_pages(tmp_path: Path) -> None:
    transport = MultiAppTransport()
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"))
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"))
    try:
        peer(a, b)
        transport.down.add("a.test")
        report = b.pull("a")
        assert report.error is not None and report.error.startswith("unreachable")
        assert "pages_refused_total{" not in b.fed.metrics_text()
    finally:
        close(a, b)
