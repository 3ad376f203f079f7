"""The outbox leaves the moment its recipient is back: any sign of life from a peer (its
notify, a pull from it that succeeded, any request it signed) makes every message waiting for
it due at once, whatever its backoff said; each failed delivery is logged with its reason."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from federation.models import FedInbox, FedOutbox
from tests.federation.helpers import FakeClock, MultiAppTransport, Node, close, make_node, peer

Nodes = tuple[Node, Node, Node, MultiAppTransport, FakeClock]


@pytest.fixture
def nodes(new_db_url: Callable[[str], str]) -> Iterator[Nodes]:
    """a, peered with b and c, on a fake clock; b and c are not peers."""
    transport, clock = MultiAppTransport(), FakeClock()
    a, b, c = (make_node(s, transport, db_url=new_db_url(s), clock=clock) for s in "abc")
    peer(a, b)
    peer(a, c)
    yield a, b, c, transport, clock
    close(a, b, c)


def queue_for(recipient: Node, sender: Node, key: str) -> None:
    with sender.session() as session, session.begin():
        sender.fed.send_message(
            session, recipient=recipient.slug, kind="loan.request", body={}, idempotency_key=key
        )


def received(node: Node) -> list[str]:
    with node.session() as session:
        return list(session.scalars(select(FedInbox.idempotency_key).order_by(FedInbox.id)))


def outbox_of(node: Node) -> dict[str, FedOutbox]:
    with node.session() as session:
        return {r.idempotency_key: r for r in session.scalars(select(FedOutbox))}


def failed_once_while_down(a: Node, b: Node, c: Node, transport: MultiAppTransport) -> None:
    """a queues one message for b and one for c while both are down; both fail and back off,
    and once they are up again a's next rounds still wait for the backoff."""
    queue_for(b, a, "for-b")
    queue_for(c, a, "for-c")
    transport.down |= {"b.test", "c.test"}
    a.fed.exchange_messages()
    transport.down.clear()
    rows = outbox_of(a)
    assert [rows[k].attempts for k in ("for-b", "for-c")] == [1, 1]
    a.fed.exchange_messages()
    assert received(b) == [] and received(c) == []


def test_a_notify_from_the_recipient_makes_its_waiting_messages_leave_at_once(
    nodes: Nodes,
) -> None:
    a, b, c, transport, clock = nodes
    failed_once_while_down(a, b, c, transport)
    clock.advance(1)
    b.fed.notify_peer("a")
    a.fed.exchange_messages()
    assert received(b) == ["for-b"]
    assert received(c) == []  # c showed no sign of life: its message still backs off


def test_a_successful_pull_of_the_recipient_makes_its_waiting_messages_leave_at_once(
    nodes: Nodes,
) -> None:
    a, b, c, transport, clock = nodes
    failed_once_while_down(a, b, c, transport)
    clock.advance(1)
    transport.down.add("c.test")
    assert a.fed.scheduler.pull("c").error is not None  # a failed pull is no sign of life
    transport.down.clear()
    assert a.fed.scheduler.pull("b").ok
    a.fed.exchange_messages()
    assert received(b) == ["for-b"]
    assert received(c) == []


def test_any_request_the_recipient_signs_makes_its_waiting_messages_leave_at_once(
    nodes: Nodes,
) -> None:
    a, b, c, transport, clock = nodes
    failed_once_while_down(a, b, c, transport)
    clock.advance(1)
    assert c.fed.sync.pull_peer("a").ok  # c pulls a: signed GETs of a's heads and log
    a.fed.exchange_messages()
    assert received(c) == ["for-c"]
    assert received(b) == []
    due = outbox_of(a)["for-b"].next_attempt_at
    assert due is not None and due.replace(tzinfo=UTC) > datetime.fromtimestamp(clock(), UTC)


def test_a_failed_delivery_is_logged_with_its_reason_and_next_attempt(
    nodes: Nodes, caplog: pytest.LogCaptureFixture
) -> None:
    a, b, _c, transport, _clock = nodes
    queue_for(b, a, "for-b")
    transport.down.add("b.test")
    with caplog.at_level(logging.WARNING, logger="federation.messages"):
        a.fed.exchange_messages()
    (line,) = [r.getMessage() for r in caplog.records if r.name == "federation.messages"]
    assert "(loan.request) to b not delivered, attempt 1: unreachable:" in line
    assert "next attempt in" in line and "as soon as b shows a sign of life" in line
