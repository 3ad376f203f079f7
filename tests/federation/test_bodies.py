"""A relay that serves a record's latest upsert without its body cannot hold the update back."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from federation.models import FedEntry, FedMissingBody, FedOrigin
from federation.pages import read_page
from federation.status import OriginStatus
from tests.federation.helpers import (
    FakeClock,
    MultiAppTransport,
    Node,
    close,
    make_node,
    peer,
    sqlite_url,
)


class Network:
    """Nodes on one transport and one fake clock, each on its own database of the engine
    under test; `add` makes a node, `peer` pairs two."""

    def __init__(self, new_db_url: Callable[[str], str]) -> None:
        self.transport = MultiAppTransport()
        self.clock = FakeClock()
        self.nodes: list[Node] = []
        self._new_db_url = new_db_url

    def add(self, slug: str, **config: object) -> Node:
        node = make_node(
            slug, self.transport, db_url=self._new_db_url(slug), clock=self.clock, **config
        )
        self.nodes.append(node)
        return node


@pytest.fixture
def network(new_db_url: Callable[[str], str]) -> Iterator[Network]:
    net = Network(new_db_url)
    try:
        yield net
    finally:
        close(*net.nodes)


def line(network: Network, *slugs: str) -> list[Node]:
    nodes = [network.add(slug) for slug in slugs]
    for left, right in itertools.pairwise(nodes):
        peer(left, right)
    return nodes


def withhold_latest(relay: Node, origin: str, record_id: str) -> int:
    """Make `relay` serve the record's latest entry without its body; return its seq."""
    with relay.session() as session, session.begin():
        seq = session.scalar(
            select(func.max(FedEntry.seq)).where(
                FedEntry.origin == origin, FedEntry.record_id == record_id
            )
        )
        assert seq is not None
        session.execute(
            update(FedEntry).where(FedEntry.origin == origin, FedEntry.seq == seq).values(body=None)
        )
    return seq


def origin_status(node: Node, origin: str) -> OriginStatus:
    with node.session() as session:
        status = node.fed.status(session)
    (found,) = [o for o in status.origins if o.origin == origin]
    return found


def body_at(node: Node, origin: str, seq: int) -> str | None:
    with node.session() as session:
        row = session.get(FedEntry, (origin, seq))
        assert row is not None
        return row.body


def test_a_relay_withholding_a_latest_body_shows_the_origin_incomplete(network: Network) -> None:
    a, b, c = line(network, "a", "b", "c")
    a.write("r1", {"title": "v1"})
    a.write("r2", {"title": "other"})
    assert b.pull("a").ok and c.pull("b").ok
    a.write("r1", {"title": "v2"})
    assert b.pull("a").ok
    withhold_latest(b, "a", "r1")
    network.clock.advance(60)
    report = c.pull("b")
    assert report.ok, report.error
    assert report.recovered == {}  # no one else to ask: c peers only with b
    assert c.replica()[("a", "r1")] == {"version": 1, "title": "v1"}
    status = origin_status(c, "a")
    assert (status.complete, status.missing_bodies, status.lag) == (False, 1, 0)
    assert status.incomplete_since is not None
    assert status.incomplete_since.timestamp() == network.clock.now
    assert 'archipel_federation_origin_missing_bodies{origin="a"} 1.0' in c.fed.metrics_text()


def test_a_later_update_clears_a_record_held_back(network: Network) -> None:
    """The record's next entry, with its body, ends the wait: no note stays forever."""
    a, b, c = line(network, "a", "b", "c")
    a.write("r1", {"title": "v1"})
    a.write("r1", {"title": "v2"})
    assert b.pull("a").ok
    withhold_latest(b, "a", "r1")
    assert c.pull("b").ok
    assert not origin_status(c, "a").complete
    a.write("r1", {"title": "v3"})
    assert b.pull("a").ok and c.pull("b").ok
    assert c.replica()[("a", "r1")] == {"version": 3, "title": "v3"}
    status = origin_status(c, "a")
    assert (status.complete, status.missing_bodies, status.incomplete_since) == (True, 0, None)


def test_a_withheld_body_is_fetched_from_another_peer(network: Network) -> None:
    a, b, c, d = (network.add(slug) for slug in "abcd")
    for left, right in [(a, b), (b, c), (a, d), (d, c)]:
        peer(left, right)
    a.write("r1", {"title": "v1"})
    assert b.pull("a").ok and d.pull("a").ok and c.pull("b").ok
    a.write("r1", {"title": "v2"})
    assert b.pull("a").ok and d.pull("a").ok
    seq = withhold_latest(b, "a", "r1")
    report = c.pull("b")
    assert report.ok, report.error
    assert report.recovered == {"a": 1}
    assert c.replica()[("a", "r1")] == {"version": 2, "title": "v2"}
    assert origin_status(c, "a").complete
    assert body_at(c, "a", seq) == '{"title":"v2"}'  # c now relays it whole
    assert body_at(c, "a", seq - 1) is None  # and v1 is compacted


def test_a_withheld_body_is_fetched_from_the_origin(network: Network) -> None:
    a, b, c = line(network, "a", "b", "c")
    peer(a, c)
    a.write("r1", {"title": "v1"})
    assert b.pull("a").ok and c.pull("b").ok
    a.write("r1", {"title": "v2"})
    assert b.pull("a").ok
    withhold_latest(b, "a", "r1")
    report = c.pull("b")
    assert report.ok, report.error
    assert report.recovered == {"a": 1}
    assert c.replica()[("a", "r1")] == {"version": 2, "title": "v2"}
    status = origin_status(c, "a")
    assert (status.complete, status.missing_bodies) == (True, 0)


def test_a_body_completed_on_a_relay_completes_the_nodes_behind_it(network: Network) -> None:
    """d got the entry from c while c still missed its body: d's next pull of c fetches it."""
    a, b, c, d = line(network, "a", "b", "c", "d")
    a.write("r1", {"title": "v1"})
    assert b.pull("a").ok and c.pull("b").ok and d.pull("c").ok
    a.write("r1", {"title": "v2"})
    assert b.pull("a").ok
    withhold_latest(b, "a", "r1")
    assert c.pull("b").ok and d.pull("c").ok
    assert origin_status(d, "a").missing_bodies == 1
    peer(a, c)
    assert c.pull("b").recovered == {"a": 1}
    report = d.pull("c")
    assert report.ok and report.applied == {} and report.recovered == {"a": 1}
    assert d.replica()[("a", "r1")] == {"version": 2, "title": "v2"}
    assert origin_status(d, "a").complete


def test_a_fetched_body_that_does_not_match_the_chained_hash_is_not_applied(
    network: Network,
) -> None:
    a, b, c = line(network, "a", "b", "c")
    d = network.add("d")
    peer(a, d)
    peer(d, c)
    a.write("r1", {"title": "v1"})
    assert b.pull("a").ok and c.pull("b").ok
    a.write("r1", {"title": "v2"})
    assert b.pull("a").ok and d.pull("a").ok
    seq = withhold_latest(b, "a", "r1")
    with d.session() as session, session.begin():
        session.execute(
            update(FedEntry)
            .where(FedEntry.origin == "a", FedEntry.seq == seq)
            .values(body='{"title":"forged"}')
        )
    report = c.pull("b")
    assert report.ok and report.recovered == {}
    assert c.replica()[("a", "r1")] == {"version": 1, "title": "v1"}
    assert body_at(c, "a", seq) is None
    assert origin_status(c, "a").missing_bodies == 1


def test_a_body_legitimately_compacted_is_noted_only_until_its_superseder_arrives(
    network: Network,
) -> None:
    """Pages ending between a record's entries carry its older upserts without body: an
    update and a tombstone further on each clear the note."""
    a, c = network.add("a"), network.add("c")
    peer(a, c)
    a.write("r1", {"title": "v1"})  # seq 2, compacted by seq 4
    a.write("r2", {"title": "gone"})  # seq 3, compacted by the tombstone at seq 5
    a.write("r1", {"title": "v2"})
    a.write("r2", None)

    def deliver(after: int, limit: int) -> None:
        with a.session() as session, session.begin():
            held = session.get(FedOrigin, "a")
            assert held is not None
            page = read_page(
                session, origin=held, after=after, limit=limit, writer=a.fed.log_writer
            )
        with c.session() as session, session.begin():
            c.fed.sync.applier.apply_page(session, page, via_peer="a")

    deliver(0, 3)
    status = origin_status(c, "a")
    assert (status.complete, status.missing_bodies) == (False, 2)
    deliver(3, 10)
    status = origin_status(c, "a")
    assert (status.complete, status.missing_bodies) == (True, 0)
    assert c.replica() == {("a", "r1"): {"version": 2, "title": "v2"}}


def test_pulling_compacted_pages_through_a_relay_leaves_the_origin_complete(
    network: Network,
) -> None:
    """Small pages end between the entries of records updated and deleted later on."""
    a, b, c = network.add("a"), network.add("b", page_limit=2), network.add("c", page_limit=2)
    peer(a, b)
    peer(b, c)
    for round_ in range(3):
        for i in range(4):
            a.write(f"r{i}", {"n": round_} if i or round_ < 2 else None)
    assert b.pull("a").ok
    report = c.pull("b")
    assert report.ok and report.recovered == {}
    assert report.applied["a"] == 13
    assert origin_status(c, "a").complete
    assert set(c.replica()) == {("a", "r1"), ("a", "r2"), ("a", "r3")}


def test_blocking_an_origin_forgets_its_records_held_back(network: Network) -> None:
    a, b, c = line(network, "a", "b", "c")
    a.write("r1", {"title": "v1"})
    assert b.pull("a").ok
    withhold_latest(b, "a", "r1")
    assert c.pull("b").ok
    c.fed.block_origin("a")
    with c.session() as session:
        assert session.scalar(select(func.count()).select_from(FedMissingBody)) == 0
    assert origin_status(c, "a").complete


writes = st.lists(
    st.tuples(st.sampled_from(["r0", "r1", "r2", "r3"]), st.booleans()),  # (record, is_delete)
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    batch=writes,
    withheld=st.sets(st.sampled_from(["r0", "r1", "r2", "r3"])),
    relay_limit=st.integers(1, 4),
    limit=st.integers(1, 4),
)
def test_exactly_the_withheld_records_are_noted_and_the_origin_completes_them(
    tmp_path_factory: pytest.TempPathFactory,
    batch: list[tuple[str, bool]],
    withheld: set[str],
    relay_limit: int,
    limit: int,
) -> None:
    """Whatever the writes and page sizes, a receiver reached only through the relay notes
    the live records whose latest body the relay withheld, and no other; one that also peers
    with the origin ends with the origin's records, complete."""
    tmp = tmp_path_factory.mktemp("withheld")
    transport = MultiAppTransport()
    a = make_node("a", transport, db_url=sqlite_url(tmp, "a"))
    b = make_node("b", transport, db_url=sqlite_url(tmp, "b"), page_limit=relay_limit)
    alone = make_node("alone", transport, db_url=sqlite_url(tmp, "alone"), page_limit=limit)
    both = make_node("both", transport, db_url=sqlite_url(tmp, "both"), page_limit=limit)
    try:
        for left, right in [(a, b), (b, alone), (b, both), (a, both)]:
            peer(left, right)
        for record_id, is_delete in batch:
            a.write(record_id, None if is_delete else {"n": a.versions.get(record_id, 0)})
        assert b.pull("a").ok
        live = {r for r in {r for r, _ in batch} if not last_write(batch, r)[1]}
        for record_id in withheld & live:
            withhold_latest(b, "a", record_id)
        assert alone.pull("b").ok
        with alone.session() as session:
            noted = set(session.scalars(select(FedMissingBody.record_id)))
        assert noted == withheld & live
        assert both.pull("b").ok
        assert origin_status(both, "a").complete
        assert both.replica() == {
            ("a", r): {"version": a.versions[r], "n": a.versions[r] - 1} for r in live
        }
    finally:
        close(a, b, alone, both)


def last_write(batch: list[tuple[str, bool]], record_id: str) -> tuple[str, bool]:
    """The record's last write of the batch: (id, is_delete)."""
    return [w for w in batch if w[0] == record_id][-1]
