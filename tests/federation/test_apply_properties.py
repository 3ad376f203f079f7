"""Any order, duplication or interruption of page deliveries converges to in-order delivery."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from federation.apply import PageApplier
from federation.bodies import missing_by_origin
from federation.errors import FederationError
from federation.models import FedBase, FedEntry, FedOrigin
from federation.pages import read_page
from federation.registry import Registry
from schemas.federation import LogPage
from tests.federation.helpers import (
    Card,
    CardBase,
    CardKind,
    MultiAppTransport,
    Node,
    close,
    make_engine,
    make_node,
)

RECORDS = ["r0", "r1", "r2"]
ops = st.lists(
    st.tuples(st.sampled_from(RECORDS), st.booleans()),  # (record, is_delete)
    min_size=1,
    max_size=12,
)
cuts = st.lists(st.tuples(st.integers(0, 14), st.integers(1, 5)), min_size=1, max_size=6)
deliveries = st.lists(st.tuples(st.integers(0, 11), st.booleans()), max_size=16)


def write_all(origin: Node, batch: list[tuple[str, bool]]) -> None:
    for record_id, is_delete in batch:
        origin.write(record_id, None if is_delete else {"at": origin.versions.get(record_id, 0)})


def pages(origin: Node, bounds: list[tuple[int, int]]) -> list[LogPage]:
    made = []
    with origin.session() as session, session.begin():
        row = session.get(FedOrigin, origin.slug)
        assert row is not None
        for after, limit in bounds:
            if after <= row.head_seq:
                page = read_page(
                    session, origin=row, after=after, limit=limit, writer=origin.fed.log_writer
                )
                made.append(page)
    return made


class Receiver:
    """A bare replica: tables, a registry with the card kind, a page applier."""

    def __init__(self, url: str) -> None:
        engine = make_engine(url)
        FedBase.metadata.create_all(engine)
        CardBase.metadata.create_all(engine)
        self.engine = engine
        self.sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self.cards = CardKind()
        registry = Registry()
        registry.register(self.cards)
        self.applier = PageApplier(own_slug="r", registry=registry)

    def deliver(self, page: LogPage, *, crash: bool = False) -> None:
        record = next((e.id for e in page.entries if e.kind == "test.card" and e.body), None)
        self.cards.fail_on = record if crash else None
        try:
            with self.sessions() as session, session.begin():
                self.applier.apply_page(session, page, via_peer="o")
        except (FederationError, RuntimeError):
            pass  # refused or interrupted: the transaction rolled back
        finally:
            self.cards.fail_on = None

    def catch_up(self, origin: Node) -> None:
        while True:
            with self.sessions() as session:
                row = session.get(FedOrigin, origin.slug)
                held = 0 if row is None else row.head_seq
            (page,) = pages(origin, [(held, 4)])
            if not page.entries:
                return
            self.deliver(page)

    def state(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        with self.sessions() as session:
            return _log(session, "o"), [
                (c.origin, c.record_id, c.version, c.body)
                for c in session.scalars(select(Card).order_by(Card.record_id))
            ]


def _log(session: Session, origin: str) -> list[tuple[Any, ...]]:
    return [
        (e.seq, e.hash, e.body)
        for e in session.scalars(
            select(FedEntry).where(FedEntry.origin == origin).order_by(FedEntry.seq)
        )
    ]


def expected_replica(batch: list[tuple[str, bool]]) -> list[tuple[Any, ...]]:
    """The cards an in-sync replica holds after the origin wrote `batch`."""
    versions: dict[str, int] = {}
    live: dict[str, bool] = {}
    for record_id, is_delete in batch:
        versions[record_id] = versions.get(record_id, 0) + 1
        live[record_id] = not is_delete
    return [("o", r, versions[r], {"at": versions[r] - 1}) for r in sorted(live) if live[r]]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(first=ops, second=ops, early=cuts, late=cuts, order=deliveries)
def test_deliveries_in_any_order_converge(
    first: list[tuple[str, bool]],
    second: list[tuple[str, bool]],
    early: list[tuple[int, int]],
    late: list[tuple[int, int]],
    order: list[tuple[int, bool]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        origin = make_node("o", MultiAppTransport(), db_url=f"sqlite:///{Path(tmp) / 'o.db'}")
        write_all(origin, first)
        offered = pages(origin, early)
        write_all(origin, second)
        offered += pages(origin, late)
        shuffled = Receiver(f"sqlite:///{Path(tmp) / 'shuffled.db'}")
        in_order = Receiver(f"sqlite:///{Path(tmp) / 'in_order.db'}")
        try:
            for index, crash in order if offered else []:
                shuffled.deliver(offered[index % len(offered)], crash=crash)
            shuffled.catch_up(origin)
            in_order.catch_up(origin)
            log, replica = shuffled.state()
            assert (log, replica) == in_order.state()
            with origin.session() as session:
                assert log == _log(session, "o")  # the same bodies survive compaction
            assert replica == expected_replica(first + second)
            with shuffled.sessions() as session:
                # Bodies compacted for a later entry are never held back once caught up.
                assert missing_by_origin(session) == {}
        finally:
            for receiver in (shuffled, in_order):
                receiver.engine.dispose()
            close(origin)
