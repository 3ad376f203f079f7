"""Leader election: one scheduler per node, and a quick takeover when the leader goes (at once
when it was a process of this host that died without releasing its SQLite lease)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert

from federation.leader import LEASE_NAME, leadership_for
from federation.models import FedBase, FedLeader
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


def test_a_sqlite_lease_of_a_process_gone_from_this_host_is_taken_over_at_once(
    new_db_url: Callable[[str], str],
) -> None:
    url = new_db_url("gone")
    if not url.startswith("sqlite"):
        pytest.skip("leases are SQLite's mechanism; PostgreSQL frees the lock with the session")
    engine = make_engine(url)
    FedBase.metadata.create_all(engine)
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    host = socket.gethostname()
    try:
        contender = leadership_for(engine, node="lyon", lease_seconds=60)
        far = datetime.now(UTC) + timedelta(minutes=1)
        for holder, taken in (
            (f"elsewhere:{ended.stdout.strip()}:abcd1234", False),  # another host: its lease runs
            (f"{host}:{os.getpid()}:abcd1234", False),  # alive here
            (f"{host}:{ended.stdout.strip()}:abcd1234", True),  # killed -9, never released
        ):
            with engine.begin() as conn:
                conn.execute(delete(FedLeader))
                conn.execute(
                    insert(FedLeader).values(name=LEASE_NAME, holder=holder, expires_at=far)
                )
            assert contender.hold() is taken, holder
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
