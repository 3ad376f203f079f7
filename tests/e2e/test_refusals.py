"""What real nodes refuse over real HTTP: a tampering relay; unsigned, unknown-key, expired,
altered, misaddressed and replayed requests; a node no admin accepted; a peer just removed."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from federation.keys import KeyPair, generate_keypair
from federation.signatures import SigningAuth
from node.keystore import current_key
from tests.e2e.nodes import Line, Node, unique_word, wait_until

pytestmark = pytest.mark.e2e

REFUSED_METRIC = re.compile(
    r'^archipel_federation_requests_refused_total\{reason="(?P<reason>[a-z_]+)"\} (?P<value>\S+)$',
    re.MULTILINE,
)
REFUSALS = {"bad_signature", "digest_mismatch", "body_hash_mismatch", "broken_chain"}


def signed_request(
    url: str, pair: KeyPair, body: bytes, *, clock: Callable[[], float] = time.time
) -> httpx.Request:
    """A `POST` of `body` to `url`, signed with `pair` as a node signs it (RFC 9421)."""
    request = httpx.Request("POST", url, content=body, headers={"Content-Type": "application/json"})
    return next(SigningAuth(pair, clock=clock).auth_flow(request))


def signed_notify(to: Node, pair: KeyPair, origins: list[str]) -> httpx.Response:
    """A `POST /federation/notify` to `to`'s public URL, signed with `pair`."""
    body = json.dumps({"origins": origins}).encode()
    with httpx.Client(timeout=15) as client:
        return client.send(signed_request(f"{to.url}/federation/notify", pair, body))


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    return body


def node_key(node: Node) -> KeyPair:
    return current_key(node.home, node.slug)


def test_a_tampering_relay_is_caught_and_its_forgery_kept_out(line: Line) -> None:
    word = unique_word()
    forged = word[:-1] + ("x" if word[-1] != "x" else "y")
    since = datetime.now(UTC)
    # The name is title-cased in the card's JSON body.
    line.proxy.tamper = (word.title().encode(), forged.title().encode())
    try:
        member = line.a.create_member(f"Clémence {word.title()}", city="Lyon")
        wait_until(lambda: line.b.directory(q=word), timeout=20, what="the card on grenoble")

        def refused() -> dict[str, Any] | None:
            peer = line.c.peer_status("grenoble")
            at = peer["last_error_at"]
            if at and datetime.fromisoformat(at) >= since and line.proxy.tampered:
                return peer
            return None

        peer = wait_until(refused, timeout=20, what="annecy to refuse grenoble's page")
        reason = peer["last_error"].split(":")[0]
        print(f"annecy refused the altered page: {peer['last_error']}")
        assert reason in REFUSALS, peer["last_error"]
        assert "lyon" in peer["last_error"]
        assert line.c.directory(q=forged) == []
        assert line.c.directory(q=word) == []
        listed = line.c.cli("peer", "list").stdout
        assert reason in listed
    finally:
        line.proxy.tamper = None
    # Once the relay is honest again, annecy gets the genuine card.
    item = wait_until(
        lambda: line.c.directory(q=word), timeout=20, what="the genuine card on annecy"
    )
    assert [(i["id"], i["display_name"]) for i in item] == [
        (member["id"], f"Clémence {word.title()}")
    ]
    assert line.c.directory(q=forged) == []


def refusal_counts(node: Node) -> dict[str, float]:
    """`archipel_federation_requests_refused_total` by reason, from the node's /metrics."""
    text = httpx.get(f"http://127.0.0.1:{node.port}/metrics", timeout=15).text
    return {m["reason"]: float(m["value"]) for m in REFUSED_METRIC.finditer(text)}


def test_each_refused_request_names_its_reason_and_is_counted(line: Line) -> None:
    b, peer_key = line.b, node_key(line.c)
    url = f"{b.url}/federation/notify"
    replayed = signed_request(url, peer_key, b'{"origins": ["annecy"]}')
    genuine = signed_request(url, peer_key, b'{"origins": ["annecy"]}')
    altered = httpx.Request(
        "POST",
        url,
        content=b'{"origins": ["lyon"]}',
        headers={k: v for k, v in genuine.headers.items() if k.lower() != "content-length"},
    )
    cases = [
        ("unsigned", 401, httpx.Request("POST", url, json={"origins": ["annecy"]})),
        ("unknown_key", 401, signed_request(url, generate_keypair("mallory-1"), b"{}")),
        ("expired", 401, signed_request(url, peer_key, b"{}", clock=lambda: time.time() - 900)),
        ("digest_mismatch", 401, altered),
        # Signed for grenoble's socket, not for the public URL its peers know it by.
        (
            "wrong_audience",
            403,
            signed_request(f"http://127.0.0.1:{b.port}/federation/notify", peer_key, b"{}"),
        ),
    ]
    before = refusal_counts(b)
    with httpx.Client(timeout=15) as client:
        assert client.send(replayed).status_code == 202
        cases.append(("replayed_nonce", 401, replayed))
        for reason, status, request in cases:
            response = client.send(request)
            assert (response.status_code, problem(response)["reason"]) == (status, reason)
    # lyon is real and annecy knows its key (relayed through grenoble), but no admin of
    # annecy accepted it as a peer.
    response = signed_notify(line.c, node_key(line.a), ["lyon"])
    assert (response.status_code, problem(response)["reason"]) == (403, "not_peered")
    after = refusal_counts(b)
    for reason, _status, _request in cases:
        assert after.get(reason, 0) - before.get(reason, 0) >= 1, reason


def test_peer_remove_takes_effect_at_once(line: Line) -> None:
    assert signed_notify(line.b, node_key(line.c), ["annecy"]).status_code == 202
    line.b.cli("peer", "remove", "annecy")
    try:
        response = signed_notify(line.b, node_key(line.c), ["annecy"])
        assert response.status_code == 403
        assert problem(response)["reason"] == "not_peered"
    finally:
        line.b.cli("peer", "add", line.c.url, "--yes")
    assert signed_notify(line.b, node_key(line.c), ["annecy"]).status_code == 202
