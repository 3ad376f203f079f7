"""The own log: genesis identity, hash chain, compaction and lazily signed checkpoints."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from federation.chain import verify_page
from federation.keys import generate_keypair
from federation.models import FedEntry, FedOrigin, FedPeer
from federation.pages import read_page
from federation.registry import KEYS_KIND, NODE_KIND, Registry
from federation.trust import checkpoint_resolver
from tests.federation.helpers import CardKind, MultiAppTransport, Node, close, make_node


@pytest.fixture
def node(db_url: str) -> Iterator[Node]:
    made = make_node("lyon", MultiAppTransport(), db_url=db_url)
    yield made
    close(made)


def rows(node: Node) -> list[FedEntry]:
    with node.session() as session:
        return list(
            session.scalars(
                select(FedEntry).where(FedEntry.origin == "lyon").order_by(FedEntry.seq)
            )
        )


def test_the_identity_document_is_entry_one(node: Node) -> None:
    (first,) = rows(node)
    assert (first.seq, first.kind, first.record_id, first.op) == (1, NODE_KIND, "lyon", "upsert")
    assert '"slug":"lyon"' in (first.body or "")
    node.fed.ensure_genesis()
    assert len(rows(node)) == 1


def test_appends_form_a_chain_a_checkpoint_vouches_for(node: Node) -> None:
    node.write("r1", {"title": "Hamlet", "é": 1})
    node.write("r2", {"title": "Phèdre"})
    with node.session() as session, session.begin():
        origin = session.get(FedOrigin, "lyon")
        assert origin is not None and origin.head_seq == 3
        page = read_page(session, origin=origin, after=0, limit=10, writer=node.fed.log_writer)
        keys = list(origin.keys)
    assert page.checkpoint is not None
    verify_page(
        page.entries,
        origin="lyon",
        after_seq=0,
        after_hash="0" * 64,
        checkpoint=page.checkpoint,
        resolve_key=checkpoint_resolver(keys, signed_at=page.checkpoint.signed_at),
    )
    assert rows(node)[1].body == '{"title":"Hamlet","é":1}'


def test_a_newer_upsert_or_a_tombstone_compacts_older_bodies(node: Node) -> None:
    node.write("r1", {"v": 1})
    node.write("r1", {"v": 2})
    assert [r.body for r in rows(node)[1:]] == [None, '{"v":2}']
    node.write("r1", None)
    assert [(r.op, r.body) for r in rows(node)[1:]] == [
        ("upsert", None),
        ("upsert", None),
        ("delete", None),
    ]


def test_federation_kinds_are_never_compacted_nor_appended_by_the_node(node: Node) -> None:
    node.fed.rotate_key(generate_keypair("lyon-2"), announce=False)
    kinds = [(r.kind, r.body is not None) for r in rows(node)]
    assert kinds == [(NODE_KIND, True), (KEYS_KIND, True), (NODE_KIND, True)]
    with node.session() as session, session.begin(), pytest.raises(ValueError):
        node.fed.log_writer.append(session, kind=NODE_KIND, record_id="x", version=1, body={})
    with pytest.raises(ValueError):
        Registry().register(type("K", (CardKind,), {"kind": "archipel.evil"})())


def test_a_changed_identity_is_logged_again(node: Node) -> None:
    node.fed.config = node.fed.config.model_copy(update={"name": "Bureau de Lyon"})
    node.fed.ensure_genesis()
    last = rows(node)[-1]
    assert (last.seq, last.kind, last.version) == (2, NODE_KIND, 2)


def test_a_page_end_is_signed_once_and_reused(node: Node) -> None:
    node.write("r1", {"v": 1})
    with node.session() as session, session.begin():
        first = node.fed.log_writer.checkpoint_at(session, 2)
    with node.session() as session, session.begin():
        again = node.fed.log_writer.checkpoint_at(session, 2)
    assert first == again


def test_timestamps_come_back_timezone_aware(node: Node) -> None:
    other = make_node("nantes", MultiAppTransport(), db_url="sqlite://")
    with node.session() as session, session.begin():
        node.fed.accept_peer(
            session, other.fed.identity_document(), other.fed.current_key().fingerprint()
        )
    with node.session() as session:
        peer = session.get(FedPeer, "nantes")
        assert peer is not None and peer.added_at.tzinfo is not None
    close(other)
