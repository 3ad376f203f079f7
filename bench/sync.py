"""Catch-up sync between two real nodes, and the raw limit of verifying and applying pages."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from bench import cards
from bench.logs import extend_own_log, origin_log
from bench.nodes import create_node, peer, running, serve, sessions, wait_ready
from federation.apply import PageApplier
from federation.models import FedOrigin
from federation.sync import Statistics
from node.db import reading
from node.federated import build_registry
from schemas.federation import LogPage

PAGE = 1000  # the node's default `federation.page_limit`
MIN_PAGES = 10


def _head(engine: Engine, origin: str) -> tuple[int, datetime | None]:
    """B's head of `origin` and when B applied the page that set it (B's own record).

    Read in a read-only transaction, so the watcher never queues behind B's page writes."""
    with reading(sessions(engine)) as session:
        row = session.execute(
            select(FedOrigin.head_seq, FedOrigin.last_applied_at).where(FedOrigin.slug == origin)
        ).first()
        return (0, None) if row is None else (row.head_seq, row.last_applied_at)


def catch_up(root: Path, count: int, *, db_url: Any = None) -> dict[str, float]:
    """Node B pulls about `count` card entries of origin A, both real `archipel serve` processes.

    A's log is made to end on a whole page (at least ten pages). The rate counts the whole
    pages B applied after its first one, over the time between B's own records of applying
    the first and the last page (`last_applied_at`): start-up, the first request and how
    often the watcher polls do not enter the figure.
    """
    a = create_node(root, "a", db_url=db_url("a") if db_url else "")
    b = create_node(root, "b", db_url=db_url("b") if db_url else "")
    bureau = cards.BUREAUS[0]
    engine = a.engine()
    with sessions(engine)() as session, session.begin():
        start = session.get(FedOrigin, a.slug)
        assert start is not None, "the node's genesis comes first"
        pages = max(MIN_PAGES, round(count / PAGE))
        head = extend_own_log(session, a.slug, cards.cards(bureau, pages * PAGE - start.head_seq))
    engine.dispose()
    assert head % PAGE == 0, head
    peer(a, b)
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    with running([a, b]):
        serve(a, logs)
        wait_ready([a])
        watch = b.engine()
        serve(b, logs)
        first: tuple[int, datetime | None] = (0, None)
        seen: tuple[int, datetime | None] = (0, None)
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            seen = _head(watch, a.slug)
            if seen[0] and not first[0]:
                first = seen
            if seen[0] >= head:
                break
            time.sleep(0.01)
        else:
            raise RuntimeError(f"B held {seen[0]} of {head} entries after 30 min")
        watch.dispose()
    assert first[1] is not None and seen[1] is not None
    elapsed = (seen[1] - first[1]).total_seconds()
    moved = head - first[0]
    if moved < PAGE or elapsed <= 0:
        raise RuntimeError(
            f"B applied {head} entries in one step: no whole page to time (first at {first[0]})"
        )
    return {
        "entries": head,
        "pages": head // PAGE,
        "timed_pages": moved // PAGE,
        "seconds": round(elapsed, 3),
        "entries_per_s": round(moved / elapsed, 1),
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
