"""A peer's heads are claims: refused ones leave the lag, heads that go back are flagged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from federation.claims import note_heads, reached, refuse_claim
from federation.metrics import FederationMetrics
from federation.models import FedBase, FedCursor, FedOrigin
from federation.status import OriginStatus, read_status
from schemas.federation import Heads, OriginHead
from tests.federation.helpers import make_engine

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(new_db_url: Callable[[str], str]) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(new_db_url("claims"))
    FedBase.metadata.create_all(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session, session.begin():
        session.add(FedOrigin(slug="lyon", head_seq=10, head_hash="a" * 64, blocked=False, keys=[]))
    yield factory
    engine.dispose()


def heads(seq: int) -> Heads:
    return Heads(
        node="grenoble",
        origins=[OriginHead(origin="lyon", seq=seq, head="b" * 64, checkpoint=None)],
    )


def note(sessions: sessionmaker[Session], seq: int, *, only_forward: bool = False) -> None:
    with sessions() as session, session.begin():
        note_heads(
            session,
            peer="grenoble",
            heads=heads(seq),
            own="annecy",
            now=NOW,
            only_forward=only_forward,
        )


def lyon(sessions: sessionmaker[Session]) -> OriginStatus:
    with sessions() as session:
        status = read_status(session, node="annecy", metrics=FederationMetrics())
    return next(o for o in status.origins if o.origin == "lyon")


def test_heads_that_go_back_are_flagged_until_the_peer_claims_as_much_again(
    sessions: sessionmaker[Session],
) -> None:
    note(sessions, 12)
    assert lyon(sessions).lag == 2
    note(sessions, 7)
    status = lyon(sessions)
    assert [(w.peer, w.seq, w.reason) for w in status.went_back] == [("grenoble", 12, "went_back")]
    assert status.lag == 0
    note(sessions, 12)
    assert lyon(sessions).went_back == []


def test_a_notify_never_moves_a_claim_back_nor_flags_it(sessions: sessionmaker[Session]) -> None:
    note(sessions, 12)
    note(sessions, 7, only_forward=True)
    status = lyon(sessions)
    assert (status.known_seq, status.went_back) == (12, [])


def test_a_refused_claim_is_not_counted_again_until_pages_reach_it(
    sessions: sessionmaker[Session],
) -> None:
    note(sessions, 15)
    with sessions() as session, session.begin():
        refuse_claim(
            session, peer="grenoble", origin="lyon", seq=15, reason="bad_checkpoint", now=NOW
        )
    note(sessions, 15)
    note(sessions, 14, only_forward=True)
    status = lyon(sessions)
    assert (status.lag, status.known_seq) == (0, 10)
    assert [(r.peer, r.seq, r.reason, r.at) for r in status.refused_claims] == [
        ("grenoble", 15, "bad_checkpoint", NOW)
    ]
    note(sessions, 16)  # a new claim beyond the refused one counts
    assert lyon(sessions).lag == 6
    with sessions() as session, session.begin():
        cursor = session.get(FedCursor, ("grenoble", "lyon"))
        assert cursor is not None
        reached(cursor, 16)
    assert lyon(sessions).refused_claims == []
