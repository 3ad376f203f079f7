"""Faults between real nodes: a dead peer, a partition and its healing, kill -9 during sync.

Three `archipel serve` processes in a star, grenoble – lyon – annecy (lyon peers with both;
grenoble and annecy are not peers). Lyon's and annecy's public URLs are `FaultProxy`s, so a
test can stall annecy (it accepts connections and never answers), or cut lyon from annecy
both ways, while the test itself talks to every node's own socket. The nodes pull every
`SYNC_INTERVAL` seconds, back off at most `BACKOFF_MAX`, and give up a request after
`REQUEST_TIMEOUT`: long enough that a delay caused by a stalled peer is told apart from
the push path's usual half second. The kill -9 tests run on that SQLite star and again on
a pair lyon – annecy on PostgreSQL, each node in its own schema.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from conftest import POSTGRES_ENV, postgres_schemas
from tests.e2e.faults import FaultProxy
from tests.e2e.nodes import (
    TERRITORIES,
    Node,
    boot,
    log_digest,
    make_node,
    own_entries,
    peer,
    unique_word,
    wait_until,
)
from tests.processes import free_port

pytestmark = pytest.mark.e2e

SYNC_INTERVAL = 6.0
BACKOFF_MAX = 2.0
REQUEST_TIMEOUT = 3.0
FAULT_ENV = {
    "ARCHIPEL_FEDERATION__SYNC_INTERVAL": str(SYNC_INTERVAL),
    "ARCHIPEL_FEDERATION__BACKOFF_MAX": str(BACKOFF_MAX),
    "ARCHIPEL_FEDERATION__REQUEST_TIMEOUT": str(REQUEST_TIMEOUT),
}
# kill -9 cycles of the crash test: a few in CI, `make reliability` runs 50.
CYCLES = int(os.environ.get("ARCHIPEL_RELIABILITY_CYCLES", "3"))
# A restart on a loaded 2-core machine can take a while; the test is about what survives it.
RESTART_TIMEOUT = 45.0


@dataclass
class Star:
    lyon: Node
    grenoble: Node
    annecy: Node
    lyon_proxy: FaultProxy
    annecy_proxy: FaultProxy

    @property
    def nodes(self) -> tuple[Node, Node, Node]:
        return (self.lyon, self.grenoble, self.annecy)

    def heal(self) -> None:
        self.lyon_proxy.heal()
        self.annecy_proxy.heal()


@pytest.fixture(scope="module")
def star(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Star]:
    base = tmp_path_factory.mktemp("star")
    lyon_port, annecy_port = free_port(), free_port()
    lyon_proxy, annecy_proxy = FaultProxy(lyon_port), FaultProxy(annecy_port)
    lyon = make_node(base, "lyon", port=lyon_port, url=lyon_proxy.url)
    grenoble = make_node(base, "grenoble")
    annecy = make_node(base, "annecy", port=annecy_port, url=annecy_proxy.url)
    nodes = [lyon, grenoble, annecy]
    for node in nodes:
        node.env |= FAULT_ENV
    try:
        boot(nodes, TERRITORIES)
        peer((lyon, grenoble), (grenoble, lyon), (lyon, annecy), (annecy, lyon))
        yield Star(lyon, grenoble, annecy, lyon_proxy, annecy_proxy)
    finally:
        for node in nodes:
            node.stop()
        lyon_proxy.close()
        annecy_proxy.close()


@pytest.fixture(scope="module")
def postgres_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Node]]:
    """lyon and annecy on PostgreSQL, each in its own schema, peered both ways."""
    base_url = os.environ.get(POSTGRES_ENV)
    if not base_url:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_ENV} to crash nodes on it")
    base = tmp_path_factory.mktemp("pg-pair")
    with postgres_schemas(base_url, prefix="e2e") as schema:
        lyon = make_node(base, "lyon", db_url=schema("lyon"))
        annecy = make_node(base, "annecy", db_url=schema("annecy"))
        for node in (lyon, annecy):
            node.env |= FAULT_ENV
        try:
            boot([lyon, annecy], TERRITORIES)
            peer((lyon, annecy), (annecy, lyon))
            yield lyon, annecy
        finally:
            lyon.stop()
            annecy.stop()


@pytest.fixture
def healthy(star: Star) -> Iterator[Star]:
    """The star with every link passing, before and after the test."""
    star.heal()
    yield star
    star.heal()


def has(node: Node, word: str) -> bool:
    return bool(node.directory(q=word))


def seconds_until(node: Node, word: str, *, timeout: float) -> float:
    started = time.monotonic()
    wait_until(lambda: has(node, word), timeout=timeout, interval=0.05, what=f"{word} on {node}")
    return time.monotonic() - started


def test_a_peer_that_never_answers_delays_no_other_peer(
    healthy: Star, record_property: Any
) -> None:
    """Annecy accepts connections and never answers: lyon's notify to annecy (sent first,
    the peers sorted by name) hangs, yet grenoble hears of lyon's change at once, and lyon
    of grenoble's; lyon's status names annecy unreachable; after healing it recovers."""
    star = healthy
    star.annecy_proxy.stall()
    from_lyon, from_grenoble = unique_word(), unique_word()
    star.lyon.create_member(f"Aude {from_lyon.title()}", city="Lyon")
    to_grenoble = seconds_until(star.grenoble, from_lyon, timeout=SYNC_INTERVAL + 5)
    star.grenoble.create_member(f"Basile {from_grenoble.title()}", city="Grenoble")
    to_lyon = seconds_until(star.lyon, from_grenoble, timeout=SYNC_INTERVAL + 5)
    print(f"with annecy stalled: lyon → grenoble {to_grenoble:.2f} s, back {to_lyon:.2f} s")
    record_property("e2e_dead_peer_first_seen_s", f"{to_grenoble:.2f}/{to_lyon:.2f}")
    # A stalled notify or pull would cost REQUEST_TIMEOUT; the push path takes well under it.
    assert to_grenoble < REQUEST_TIMEOUT - 0.5
    assert to_lyon < REQUEST_TIMEOUT - 0.5

    status = wait_until(
        lambda: (p := star.lyon.peer_status("annecy"))["failures"] > 0 and p,
        timeout=REQUEST_TIMEOUT * 3 + SYNC_INTERVAL + 5,
        what="lyon to record annecy's failure",
    )
    assert status["last_error"].startswith("unreachable"), status["last_error"]

    star.annecy_proxy.heal()
    healed = datetime.now(UTC)
    recovered = wait_until(
        lambda: (
            (p := star.lyon.peer_status("annecy"))["failures"] == 0
            and p["last_success_at"] is not None
            and datetime.fromisoformat(p["last_success_at"]) > healed
            and p
        ),
        timeout=BACKOFF_MAX + SYNC_INTERVAL + 10,
        what="lyon to pull annecy again",
    )
    assert recovered["last_error"] is not None  # the failure stays visible to operators


def test_a_partition_heals_and_both_sides_converge_within_one_interval(
    healthy: Star, record_property: Any
) -> None:
    """Lyon and annecy cut apart both ways: each keeps taking local writes, backoff stays
    capped, and after healing each holds the other's change within one sync interval."""
    star = healthy
    star.lyon_proxy.cut()
    star.annecy_proxy.cut()
    on_lyon, on_annecy = unique_word(), unique_word()
    star.lyon.create_member(f"Clémence {on_lyon.title()}", city="Lyon")
    star.annecy.create_member(f"Damien {on_annecy.title()}", city="Annecy")
    assert has(star.lyon, on_lyon) and has(star.annecy, on_annecy)  # local work goes on

    # Cut for a few backoffs: failures pile up, the wait between attempts does not grow past
    # the cap, and nothing crosses.
    def backing_off() -> dict[str, Any] | None:
        peer = star.annecy.peer_status("lyon")
        return peer if peer["failures"] >= 2 else None

    peer_status = wait_until(backing_off, timeout=BACKOFF_MAX * 4 + REQUEST_TIMEOUT * 3 + 5,
                             what="annecy to back off from lyon")  # fmt: skip
    wait = datetime.fromisoformat(peer_status["next_attempt_at"]) - datetime.now(UTC)
    assert wait.total_seconds() <= BACKOFF_MAX + 0.5, peer_status
    assert not has(star.annecy, on_lyon) and not has(star.lyon, on_annecy)
    refused = star.lyon_proxy.refused + star.annecy_proxy.refused
    assert refused > 0

    star.heal()
    started = time.monotonic()
    for node, word in ((star.annecy, on_lyon), (star.lyon, on_annecy), (star.grenoble, on_annecy)):
        wait_until(lambda n=node, w=word: has(n, w), timeout=SYNC_INTERVAL + BACKOFF_MAX + 5,
                   interval=0.1, what=f"{word} on {node.slug} after healing")  # fmt: skip
    took = time.monotonic() - started
    print(f"partition: {refused} connections refused; converged {took:.2f} s after healing")
    record_property("e2e_partition_heal_s", round(took, 2))
    record_property("e2e_partition_refused_connections", refused)
    assert took <= SYNC_INTERVAL + 1

    # A slow link (0.2 s per relayed chunk) and a reset of every open connection: still there.
    star.lyon_proxy.delay(0.2)
    star.annecy_proxy.delay(0.2)
    slow = unique_word()
    star.lyon.create_member(f"Emile {slow.title()}", city="Lyon")
    star.annecy_proxy.reset()
    star.lyon_proxy.reset()
    seconds_until(star.annecy, slow, timeout=SYNC_INTERVAL + BACKOFF_MAX + REQUEST_TIMEOUT * 3)


@dataclass
class CrashSite:
    """Where a kill -9 test runs: lyon writes, annecy pulls it, `replicas` all hold its log."""

    engine: str
    lyon: Node
    annecy: Node
    replicas: tuple[Node, ...]


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest) -> CrashSite:
    """The SQLite star (every link healed) or the PostgreSQL pair."""
    if request.param == "sqlite":
        star: Star = request.getfixturevalue("healthy")
        return CrashSite("sqlite", star.lyon, star.annecy, (star.grenoble, star.annecy))
    lyon, annecy = request.getfixturevalue("postgres_pair")
    return CrashSite("postgresql", lyon, annecy, (annecy,))


class Writer(threading.Thread):
    """Creates lyon members one after another until stopped; remembers the acknowledged."""

    def __init__(self, node: Node, word: str) -> None:
        super().__init__(daemon=True)
        self.node, self.word = node, word
        self.acked: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        for i in range(100_000):
            if self.stop.is_set():
                return
            member = self.node.create_member(f"Fanny {self.word.title()}{i:04d}", city="Lyon")
            self.acked.append(member["id"])
            self.stop.wait(0.05)


class TolerantWriter(Writer):
    """A `Writer` that keeps going while its node is down: only 201 answers are acknowledged,
    and the requests in flight when it died are counted apart."""

    def __init__(self, node: Node, word: str) -> None:
        super().__init__(node, word)
        self.failed = 0

    def run(self) -> None:
        for i in range(100_000):
            if self.stop.is_set():
                return
            body = {"display_name": f"Gilles {self.word.title()}{i:04d}", "visibility": "network"}
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{self.node.port}/api/members",
                    json=body,
                    headers={"Authorization": f"Bearer {self.node.token}"},
                    timeout=5,
                )
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code == 201:
                self.acked.append(response.json()["id"])
            else:
                self.failed += 1
            self.stop.wait(0.05)


def test_kill_9_during_local_writes_keeps_every_acknowledged_write_once(
    site: CrashSite, record_property: Any
) -> None:
    """kill -9 lyon during a stream of API creations, restart it: every acknowledged member
    is there once, with one log entry, and its peers' copies of lyon's log equal lyon's."""
    lyon = site.lyon
    rng = random.Random(seed := time.time_ns())
    print(f"seed {seed} on {site.engine}")
    writer = TolerantWriter(lyon, unique_word(6))
    writer.start()
    try:
        time.sleep(rng.uniform(1.0, 2.5))
        lyon.kill()
        time.sleep(rng.uniform(0.1, 0.5))
        lyon.start()
        lyon.wait_healthy(RESTART_TIMEOUT)
        restarted = len(writer.acked)
        time.sleep(2.0)
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    acked = set(writer.acked)
    members = [
        i["id"] for i in lyon.directory(origin="lyon") if writer.word in i["display_name"].lower()
    ]
    entries = own_entries(lyon, acked)
    lost = len(acked - set(members)) + len(acked - set(entries))
    duplicated = len(members) - len(set(members)) + sum(n - 1 for n in entries.values())
    for other in site.replicas:
        wait_until(lambda o=other: o.head_of("lyon") == lyon.head_of("lyon"),
                   timeout=SYNC_INTERVAL * 2 + 30, what=f"{other.slug}'s catch-up")  # fmt: skip
        assert log_digest(other, "lyon") == log_digest(lyon, "lyon"), other.slug
    print(f"acknowledged {len(acked)}, failed {writer.failed}, lost {lost}, dup {duplicated}")
    record_property("e2e_crash_writes_acked_failed_lost_duplicated",
                    f"{len(acked)}/{writer.failed}/{lost}/{duplicated}")  # fmt: skip
    assert writer.failed >= 1, "lyon was not down during the writes"
    assert len(writer.acked) > restarted, "lyon took no write after its restart"
    assert (lost, duplicated) == (0, 0)


def test_kill_9_during_sync_loses_and_duplicates_nothing(
    site: CrashSite, record_property: Any
) -> None:
    """CYCLES times: kill -9 annecy at a random moment while it pulls lyon, which keeps
    writing (about ten a second); restart it. Then annecy's copy of lyon's log is lyon's,
    entry for entry, and its directory holds every acknowledged card exactly once."""
    lyon, annecy = site.lyon, site.annecy
    seed = time.time_ns()
    rng = random.Random(seed)
    word = unique_word(6)
    writer = Writer(lyon, word)
    print(f"seed {seed}, {CYCLES} cycles on {site.engine}")
    started = time.monotonic()
    starts = annecy.starts
    writer.start()
    try:
        for _cycle in range(CYCLES):
            time.sleep(rng.uniform(0.1, 1.0))
            annecy.kill()
            time.sleep(rng.uniform(0.0, 0.3))
            annecy.start()
            annecy.wait_healthy(RESTART_TIMEOUT)
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert annecy.starts == starts + CYCLES
    acked = set(writer.acked)

    def caught_up() -> bool:
        return annecy.head_of("lyon") == lyon.head_of("lyon")

    wait_until(caught_up, timeout=SYNC_INTERVAL * 2 + 30, interval=0.2, what="annecy's catch-up")
    run_s = time.monotonic() - started
    origin, replica = log_digest(lyon, "lyon"), log_digest(annecy, "lyon")
    seen = [i["id"] for i in annecy.directory(origin="lyon") if word in i["display_name"].lower()]
    lost, duplicated = len(acked - set(seen)), len(seen) - len(set(seen))
    figures = {
        "cycles": CYCLES,
        "writes": len(acked),
        "entries": origin[0],
        "lost": lost,
        "duplicated": duplicated,
        "digest_equal": origin == replica,
        "run_s": round(run_s, 1),
    }
    print(f"crash during sync on {site.engine}: {figures}")
    for name, value in figures.items():
        record_property(f"e2e_crash_sync_{name}", value)
    assert origin == replica, (origin, replica)
    assert (lost, duplicated) == (0, 0)
    assert set(seen) == acked
