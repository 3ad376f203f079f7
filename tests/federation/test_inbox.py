"""Cross-bureau messages: stored once per idempotency key, processed later, retried when sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.models import FedInbox, FedOutbox
from schemas.federation import InboxMessage
from tests.federation.helpers import MultiAppTransport, Node, close, make_node, peer, sqlite_url


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node, MultiAppTransport]]:
    transport = MultiAppTransport()
    a = make_node("a", transport, db_url=sqlite_url(tmp_path, "a"))
    b = make_node("b", transport, db_url=sqlite_url(tmp_path, "b"))
    peer(a, b)
    yield a, b, transport
    close(a, b)


def send(node: Node, kind: str, key: str, body: dict[str, Any]) -> None:
    with node.session() as session, session.begin():
        node.fed.send_message(session, recipient="b", kind=kind, body=body, idempotency_key=key)


def inbox(node: Node) -> list[FedInbox]:
    with node.session() as session:
        return list(session.scalars(select(FedInbox).order_by(FedInbox.id)))


def test_a_message_is_delivered_once_and_handled(
    nodes: tuple[Node, Node, MultiAppTransport],
) -> None:
    a, b, _ = nodes
    seen: list[InboxMessage] = []

    def handle(session: Session, message: InboxMessage) -> None:
        seen.append(message)

    b.fed.registry.register_message_handler("loan.request", handle)
    send(a, "loan.request", "loan-1", {"resource": "van"})
    send(a, "loan.request", "loan-1", {"resource": "van"})  # queued once
    send(a, "hosting.offer", "offer-1", {"date": "2025-07-01"})
    a.fed.housekeeping()
    assert [r.state for r in inbox(b)] == ["pending", "pending"]
    b.fed.housekeeping()
    assert [r.state for r in inbox(b)] == ["handled", "unhandled"]
    assert [m.body for m in seen] == [{"resource": "van"}]
    with a.session() as session:
        assert all(r.delivered_at is not None for r in session.scalars(select(FedOutbox)))


def test_redelivery_of_the_same_message_is_harmless(
    nodes: tuple[Node, Node, MultiAppTransport],
) -> None:
    a, b, _ = nodes
    message = InboxMessage(
        id="m1", kind="k", sender="a", recipient="b", body={}, idempotency_key="same"
    )
    for expected in (False, True):
        response = a.fed.client.request(
            "POST",
            "http://b.test/federation/inbox",
            payload=message.model_dump(mode="json"),
            resolve_key=lambda key_id: b.fed.current_key().public_key,
        )
        assert response.status_code == 202 and response.json()["duplicate"] is expected
    assert len(inbox(b)) == 1


def test_a_message_claiming_another_sender_is_refused(
    nodes: tuple[Node, Node, MultiAppTransport],
) -> None:
    a, b, _ = nodes
    message = InboxMessage(
        id="m1", kind="k", sender="c", recipient="b", body={}, idempotency_key="x"
    )
    from federation.client import RemoteError

    with pytest.raises(RemoteError) as refused:
        a.fed.client.request(
            "POST",
            "http://b.test/federation/inbox",
            payload=message.model_dump(mode="json"),
            resolve_key=lambda key_id: b.fed.current_key().public_key,
        )
    assert refused.value.remote_status == 403
    assert refused.value.remote_reason == "sender_mismatch"
    assert inbox(b) == []


def test_the_outbox_retries_until_the_peer_is_back(
    nodes: tuple[Node, Node, MultiAppTransport],
) -> None:
    a, b, transport = nodes
    send(a, "k", "once", {"n": 1})
    transport.down.add("b.test")
    a.fed.housekeeping()
    with a.session() as session:
        (row,) = session.scalars(select(FedOutbox))
        assert row.attempts == 1 and row.delivered_at is None
        assert "unreachable" in (row.last_error or "")
        due = row.next_attempt_at
    transport.down.clear()
    a.fed.housekeeping()  # not due yet: still waiting
    assert inbox(b) == []
    assert due is not None


def test_a_failing_handler_is_retried_then_parked(
    nodes: tuple[Node, Node, MultiAppTransport],
) -> None:
    a, b, _ = nodes

    def broken(session: Session, message: InboxMessage) -> None:
        raise ValueError("bug")

    b.fed.registry.register_message_handler("k", broken)
    send(a, "k", "once", {})
    a.fed.housekeeping()
    for _ in range(b.fed.config.inbox_max_attempts):
        with b.session() as session, session.begin():
            assert b.fed.process_inbox_once(session) == 0
    (row,) = inbox(b)
    assert row.state == "failed" and row.last_error == "ValueError: bug"
