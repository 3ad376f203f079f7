"""Catch-up sync between two real nodes, and the raw limit of verifying and applying pages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bench import cards
from bench.logs import extend_own_log, origin_log
from bench.nodes import create_node, peer, running, serve, sessions, wait_ready
from federation.apply import PageApplier
from federation.models import FedOrigin
from federation.sync import Statistics
from node.federated import build_registry
from schemas.federation import LogPage

PAGE = 1000


def _head(engine: Engine, origin: str) -> int:
    with sessions(engine)() as session:
        row = session.get(FedOrigin, origin)
        return 0 if row is None else row.head_seq


def catch_up(root: Path, count: int, *, db_url: Any = None) -> dict[str, float]:
    """Node B pulls `count` card entries of origin A, both real `archipel serve` processes.

    The rate is timed between the first and the last page B commits (its database is polled
    every 10 ms), so process start-up and the first request are not counted.
    """
    a = create_node(root, "a", db_url=db_url("a") if db_url else "")
    b = create_node(root, "b", db_url=db_url("b") if db_url else "")
    bureau = cards.BUREAUS[0]
    engine = a.engine()
    with sessions(engine)() as session, session.begin():
        head = extend_own_log(session, a.slug, cards.cards(bureau, count))
    engine.dispose()
    peer(a, b)
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    with running([a, b]):
        serve(a, logs)
        wait_ready([a])
        watch = b.engine()
        serve(b, logs)
        first_seen = first_at = 0.0
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            seen = _head(watch, a.slug)
            now = time.perf_counter()
            if seen and not first_seen:
                first_seen, first_at = seen, now
            if seen >= head:
                break
            time.sleep(0.01)
        else:
            raise RuntimeError(f"B held {seen} of {head} entries after 30 min")
        watch.dispose()
    elapsed = now - first_at
    moved = head - first_seen
    return {
        "entries": count,
        "seconds": round(elapsed, 3),
        "entries_per_s": round(moved / elapsed, 1) if elapsed > 0 else 0.0,
    }


def raw_limit(root: Path, count: int, *, db_url: Any = None) -> dict[str, float]:
    """The same pages, verified and applied by the same `PageApplier`, in one process.

    The chain of each page is checked and its checkpoint signature verified; entries,
    replica rows, tags, availability and the full-text index are written in one
    transaction per page, as a pull does. No HTTP, no JSON: the floor sync cannot beat.
    """
    node = create_node(root, "raw", db_url=db_url("raw") if db_url else "")
    log = origin_log("a", cards.BUREAUS[0].territory, cards.cards(cards.BUREAUS[0], count))
    pages: list[LogPage] = log.pages(PAGE)
    applier = PageApplier(own_slug=node.slug, registry=build_registry())
    engine = node.engine()
    factory = sessions(engine)
    statistics = Statistics()  # as a pull keeps PostgreSQL's planner statistics current
    started = time.perf_counter()
    for page in pages:
        with factory() as session, session.begin():
            result = applier.apply_page(session, page, via_peer="a")
        statistics.grew(factory, result.applied)
    elapsed = time.perf_counter() - started
    engine.dispose()
    total = len(log.entries)
    return {
        "entries": total,
        "seconds": round(elapsed, 3),
        "entries_per_s": round(total / elapsed, 1),
    }
