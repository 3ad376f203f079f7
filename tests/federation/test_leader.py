"""Leader election: one scheduler per node, and a quick takeover when the leader goes."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from federation.leader import leadership_for
from federation.models import FedBase
from node.db import make_engine
from tests.processes import wait_for


@pytest.mark.parametrize("lease", [1.5])
def test_only_one_contender_leads_and_another_takes_over_after_release(
    new_db_url: Callable[[str], str], lease: float
) -> None:
    url = new_db_url("leader")
    engines = [make_engine(url) for _ in range(3)]
    FedBase.metadata.create_all(engines[0])
    contenders = [leadership_for(e, node="lyon", lease_seconds=lease) for e in engines]
    try:
        held = [c.hold() for c in contenders]
        assert held.count(True) == 1
        leader = held.index(True)
        assert contenders[leader].hold() is True  # renewing keeps it
        assert [c.hold() for i, c in enumerate(contenders) if i != leader] == [False, False]
        contenders[leader].release()
        after = [c.hold() for i, c in enumerate(contenders) if i != leader]
        assert after.count(True) == 1
    finally:
        for contender in contenders:
            contender.release()
        for engine in engines:
            engine.dispose()


def test_an_expired_sqlite_lease_is_taken_over(new_db_url: Callable[[str], str]) -> None:
    url = new_db_url("lease")
    if not url.startswith("sqlite"):
        pytest.skip("leases are SQLite's mechanism; PostgreSQL frees the lock with the session")
    engine = make_engine(url)
    FedBase.metadata.create_all(engine)
    try:
        first = leadership_for(engine, node="lyon", lease_seconds=0.2)
        second = leadership_for(engine, node="lyon", lease_seconds=0.2)
        assert first.hold() is True
        assert second.hold() is False
        time.sleep(0.3)  # the first leader died without releasing: its lease runs out
        assert second.hold() is True
        assert first.hold() is False
    finally:
        engine.dispose()


def test_a_postgres_leader_whose_session_dies_is_replaced(
    new_db_url: Callable[[str], str],
) -> None:
    url = new_db_url("pg")
    if url.startswith("sqlite"):
        pytest.skip("advisory locks are PostgreSQL's mechanism")
    engines = [make_engine(url), make_engine(url)]
    FedBase.metadata.create_all(engines[0])
    try:
        first = leadership_for(engines[0], node="lyon", lease_seconds=1)
        second = leadership_for(engines[1], node="lyon", lease_seconds=1)
        assert first.hold() is True
        assert second.hold() is False
        engines[0].dispose()  # the leader's process is gone: the server frees its lock
        first._conn.invalidate()  # type: ignore[attr-defined]
        # The server frees the lock once it notices the closed session: soon, not instantly.
        wait_for(second.hold, timeout=10)
        second.release()
    finally:
        for engine in engines:
            engine.dispose()
