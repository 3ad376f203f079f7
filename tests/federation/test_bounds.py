"""What a peer sends is bounded: answers, pages and records over a limit are refused whole,
stored nowhere, relayed to no one, and leave no lag behind them."""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import func, select

from federation import sync
from federation.client import FederationClient, RemoteError
from federation.config import FederationConfig
from federation.errors import ResponseTooLarge
from federation.keys import generate_keypair
from federation.models import FedEntry, FedPeer
from federation.signatures import sign_response_headers, signature_nonce
from schemas.shared import KIND_CARD, MAX_BODY_BYTES
from tests.federation.helpers import MultiAppTransport, Node, close, make_node, peer

SECRET = "texte-du-pair-qui-ne-doit-pas-fuiter"


@pytest.fixture
def line(new_db_url: Callable[[str], str]) -> Iterator[tuple[Node, Node, Node, MultiAppTransport]]:
    """A–B–C: B relays A to C."""
    transport = MultiAppTransport()
    a = make_node("a", transport, db_url=new_db_url("a"))
    b = make_node("b", transport, db_url=new_db_url("b"))
    c = make_node("c", transport, db_url=new_db_url("c"))
    peer(a, b)
    peer(b, c)
    yield a, b, c, transport
    close(a, b, c)


def entries_of(node: Node, origin: str) -> int:
    with node.session() as session:
        return (
            session.scalar(
                select(func.count()).select_from(FedEntry).where(FedEntry.origin == origin)
            )
            or 0
        )


def origin_status(node: Node, origin: str) -> Any:
    with node.session() as session:
        status = node.fed.status(session)
    return next(o for o in status.origins if o.origin == origin)


def card(**over: Any) -> dict[str, Any]:
    return {"schema_version": 1, "display_name": "Clémence Roux", "city": "Lyon", **over}


def test_a_card_over_its_field_limits_is_refused_with_its_page_and_not_relayed(
    line: tuple[Node, Node, Node, MultiAppTransport],
) -> None:
    a, b, c, _transport = line
    assert b.pull("a").ok  # a's genesis
    held = entries_of(b, "a")
    with a.sessions() as session, session.begin():
        a.fed.log_writer.append(session, kind="test.card", record_id="r1", version=1, body={})
        a.fed.log_writer.append(
            session, kind=KIND_CARD, record_id="m1", version=1, body=card(bio="x" * 6_000)
        )
    report = b.pull("a")
    assert report.error is not None and report.error.startswith("record_too_large")
    assert "bio" in report.error
    assert entries_of(b, "a") == held  # the valid entry before it is refused with the page
    assert c.pull("b").ok
    assert entries_of(c, "a") == held
    assert 'reason="record_too_large"' in b.fed.metrics_text()


def test_a_body_over_the_byte_bound_is_refused_whatever_its_kind(
    line: tuple[Node, Node, Node, MultiAppTransport],
) -> None:
    a, b, _c, _transport = line
    assert b.pull("a").ok
    held = entries_of(b, "a")
    a.write("big", {"blob": "é" * (MAX_BODY_BYTES // 2 + 1)})  # two bytes each in UTF-8
    report = b.pull("a")
    assert report.error is not None and report.error.startswith("record_too_large")
    assert f"more than {MAX_BODY_BYTES}" in report.error
    assert entries_of(b, "a") == held


def test_an_answer_over_the_response_limit_is_abandoned_and_refused(
    line: tuple[Node, Node, Node, MultiAppTransport], new_db_url: Callable[[str], str]
) -> None:
    a, _b, c, transport = line
    b = make_node("d", transport, db_url=new_db_url("d"), max_response_bytes=200_000)
    peer(a, b)
    peer(b, c)
    try:
        answer_over_the_limit(a, b, c)
    finally:
        close(b)


def answer_over_the_limit(a: Node, b: Node, c: Node) -> None:
    """B reads answers of at most 200 kB; A serves a page of some 250 kB."""
    assert b.pull("a").ok
    held = entries_of(b, "a")
    for n in range(30):  # 30 valid cards of 8 kB: a page of some 250 kB
        a.write(f"r{n}", {"notes": "n" * 8_000})
    report = b.pull("a")
    assert report.error is not None and report.error.startswith("response_too_large")
    assert entries_of(b, "a") == held
    assert c.pull("d").ok and entries_of(c, "a") == held
    with b.session() as session:
        row = session.get(FedPeer, "a")
        assert row is not None and row.failures == 0  # bookkeeping is the scheduler's
    outcomes = {r.peer: r for r in b.fed.scheduler.run_once()}
    assert not outcomes["a"].ok
    with b.session() as session:
        row = session.get(FedPeer, "a")
        assert row is not None and row.failures == 1 and row.next_attempt_at is not None


def test_a_refused_claim_leaves_no_lag_and_is_shown_with_its_peer(
    line: tuple[Node, Node, Node, MultiAppTransport],
) -> None:
    a, b, _c, _transport = line
    assert b.pull("a").ok
    a.write("r1", {"bio": "x"})
    with a.sessions() as session, session.begin():
        a.fed.log_writer.append(
            session, kind=KIND_CARD, record_id="m1", version=1, body=card(skills=["s"] * 51)
        )
    for _round in range(2):  # a second pull repeats the claim: it stays refused
        assert not b.pull("a").ok
        status = origin_status(b, "a")
        assert status.lag == 0
        assert [(r.peer, r.seq, r.reason) for r in status.refused_claims] == [
            ("a", 3, "record_too_large")
        ]
    # The origin fixes the card: the oversized body is compacted, the claim is met.
    with a.sessions() as session, session.begin():
        a.fed.log_writer.append(
            session, kind=KIND_CARD, record_id="m1", version=2, body=card(skills=["s"])
        )
    assert b.pull("a").ok
    status = origin_status(b, "a")
    assert (status.head_seq, status.lag, status.refused_claims) == (4, 0, [])


def test_a_page_with_more_entries_than_any_page_may_hold_is_refused(
    line: tuple[Node, Node, Node, MultiAppTransport], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, _c, _transport = line
    assert b.pull("a").ok
    held = entries_of(b, "a")
    for n in range(4):
        a.write(f"r{n}", {"n": n})
    monkeypatch.setattr(sync, "MAX_PAGE_ENTRIES", 3)
    report = b.pull("a")
    assert report.error is not None and report.error.startswith("page_too_large")
    assert entries_of(b, "a") == held


def signed(body: bytes, node: Node, request: Request, status: int = 200) -> Response:
    """`body` as `node` would answer it: authentic, whatever it says."""
    headers = sign_response_headers(
        status=status,
        headers={"content-type": "application/json"},
        body=body,
        pair=node.fed.current_key(),
        request_nonce=signature_nonce(request.headers),
    )
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def test_a_malformed_page_reaches_neither_the_log_nor_the_status_as_text(
    line: tuple[Node, Node, Node, MultiAppTransport], caplog: pytest.LogCaptureFixture
) -> None:
    a, b, _c, transport = line
    assert b.pull("a").ok
    impostor = FastAPI()

    @impostor.get("/federation/heads")
    def heads(request: Request) -> Response:
        head = {"origin": "a", "seq": 9, "head": "0" * 64, "checkpoint": None}
        return signed(json.dumps({"node": "a", "origins": [head]}).encode(), a, request)

    @impostor.get("/federation/log/a")
    def page(request: Request) -> Response:
        bad = {"origin": "a", "entries": [{"seq": SECRET}], "checkpoint": None, "head_seq": 9}
        return signed(json.dumps(bad).encode(), a, request)

    transport.mount("a.test", impostor)
    with caplog.at_level(logging.DEBUG):
        report = b.pull("a")
    assert report.error is not None and report.error.startswith("malformed_response")
    assert SECRET not in caplog.text
    assert SECRET not in report.error
    status = origin_status(b, "a")
    assert status.lag == 0
    assert [(r.peer, r.seq, r.reason) for r in status.refused_claims] == [
        ("a", 9, "malformed_response")
    ]


def test_a_peers_problem_text_is_not_repeated(
    line: tuple[Node, Node, Node, MultiAppTransport],
) -> None:
    a, b, _c, transport = line
    impostor = FastAPI()

    @impostor.get("/federation/heads")
    def heads(request: Request) -> Response:
        problem = {"status": 403, "reason": "not_peered", "detail": SECRET}
        return signed(json.dumps(problem).encode(), a, request, status=403)

    transport.mount("a.test", impostor)
    with pytest.raises(RemoteError) as refused:
        b.fed.client.request(
            "GET", "http://a.test/federation/heads", resolve_key=b.fed.sync._keys("a")
        )
    assert refused.value.remote_reason == "not_peered"
    assert SECRET not in str(refused.value)


def test_an_answer_without_a_length_is_cut_off_as_it_streams_past_the_limit() -> None:
    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        while True:
            sent.append(65_536)
            yield b" " * 65_536

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=ChunkStream(endless()))

    config = FederationConfig(
        slug="b", name="Bureau b", url="http://b.test", max_response_bytes=1_000_000
    )
    client = FederationClient(
        config, signer=lambda: generate_keypair("b-1"), transport=httpx.MockTransport(handler)
    )
    with pytest.raises(ResponseTooLarge):
        client.request("GET", "http://a.test/federation/heads", resolve_key=lambda _id: None)
    assert 1_000_000 < sum(sent) <= 1_000_000 + 65_536
    client.close()


class ChunkStream(httpx.SyncByteStream):
    """A body of unknown length, yielded as the peer produces it."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_compressed_answer_is_bounded_once_expanded(coding: str) -> None:
    """A few kB of compressed zeros that would expand to 50 MB are cut off at the limit; an
    honest compressed answer (a proxy that compresses anyway) is read."""

    def compressed(data: bytes) -> bytes:
        wbits = 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS
        packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
        return packer.compress(data) + packer.flush()

    answers = {
        "/bomb": compressed(b"0" * 50_000_000),
        "/honest": compressed(b'{"ok": true}'),
    }
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.headers["accept-encoding"])
        body = answers[request.url.path]
        return httpx.Response(
            200, headers={"content-encoding": coding}, stream=ChunkStream(iter([body]))
        )

    config = FederationConfig(
        slug="b", name="Bureau b", url="http://b.test", max_response_bytes=1_000_000
    )
    client = FederationClient(
        config, signer=lambda: generate_keypair("b-1"), transport=httpx.MockTransport(handler)
    )
    try:
        assert len(answers["/bomb"]) < 100_000
        with pytest.raises(ResponseTooLarge):
            client._send("GET", "http://a.test/bomb")
        assert client._send("GET", "http://a.test/honest").content == b'{"ok": true}'
        assert asked == ["identity", "identity"]
    finally:
        client.close()
