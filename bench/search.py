"""Directory search over 20 origins' cards: load, serve, query over HTTP, memory, annuaire page."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from bench import cards
from bench.logs import origin_log
from bench.nodes import Node, create_node, rss_mb, running, serve, sessions, wait_ready
from federation.apply import PageApplier
from node.actors import Role
from node.api.deps import SESSION_COOKIE
from node.federated import build_registry
from node.services import accounts

PAGE = 1000


def load(root: Path, total: int, *, db_url: Any = None, name: str = "search") -> tuple[Node, float]:
    """A node holding `total` cards of the 20 bureaus, applied through the real pull path.

    Each origin's log is cut into signed pages and every page goes through `PageApplier`
    (chain and checkpoint verified, entries stored, replica rows, tags, availability and
    full-text index written), exactly as pages pulled from a peer; only HTTP is skipped.
    Returns the node and the apply rate (entries/s).
    """
    node = create_node(root, name, db_url=db_url(name) if db_url else "")
    per_origin = max(1, total // len(cards.BUREAUS))
    applier = PageApplier(own_slug=node.slug, registry=build_registry())
    engine = node.engine()
    factory = sessions(engine)
    applied, spent = 0, 0.0
    for bureau in cards.BUREAUS:
        log = origin_log(bureau.slug, bureau.territory, cards.cards(bureau, per_origin))
        pages = log.pages(PAGE)
        started = time.perf_counter()
        for page in pages:
            with factory() as session, session.begin():
                applier.apply_page(session, page, via_peer=bureau.slug)
        spent += time.perf_counter() - started
        applied += len(log.entries)
    if engine.dialect.name == "postgresql":
        # What autovacuum does on a live server soon after a bulk load: planner statistics,
        # and the GIN index's pending list merged.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return node, applied / spent


def _viewer_cookie(node: Node) -> str:
    """A logged-in staff account's session cookie, made in the node's database."""
    engine = node.engine()
    with sessions(engine)() as session, session.begin():
        account = accounts.create_account(
            session,
            username="bench-viewer",
            password="bench-viewer-password-2026",
            role=Role.staff,
            must_change_password=False,
        )
        opened = accounts.open_session(session, account=account, days=1)
    engine.dispose()
    return opened.token


def measure(root: Path, node: Node, *, queries: int, annuaire: bool = False) -> dict[str, Any]:
    """p50/p95 of `/api/directory` over HTTP, the serving process's peak RSS, and (optionally)
    the time of `GET /annuaire` (the network directory page) as a logged-in viewer."""
    cookie = _viewer_cookie(node) if annuaire else ""
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    workload = cards.queries(queries)
    result: dict[str, Any] = {}
    with running([node]):
        serve(node, logs, {"ARCHIPEL_FEDERATION__ENABLED": "false"})
        wait_ready([node])
        with httpx.Client(base_url=node.url, headers=node.headers, timeout=60) as client:
            for params in workload[:20]:  # warm the caches the way a running node has them
                client.get("/api/directory", params=params).raise_for_status()
            latencies = []
            matched = []
            for params in workload:
                started = time.perf_counter()
                response = client.get("/api/directory", params=params)
                latencies.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                matched.append(len(response.json()["items"]))
            result["search_p50_ms"] = round(_pct(latencies, 50), 2)
            result["search_p95_ms"] = round(_pct(latencies, 95), 2)
            result["search_max_ms"] = round(max(latencies), 2)
            result["queries"] = len(workload)
            if annuaire:
                result |= _annuaire(client, cookie)
        current, peak = rss_mb(node.pid())
        result["rss_mb"] = round(peak, 1)
        result["rss_now_mb"] = round(current, 1)
    return result


def _annuaire(client: httpx.Client, cookie: str) -> dict[str, Any]:
    """Time `GET /annuaire` (first page, with and without a search)."""
    client.cookies.set(SESSION_COOKIE, cookie)
    times = []
    for i in range(30):
        params = {"q": "régie son"} if i % 2 else {}
        started = time.perf_counter()
        response = client.get("/annuaire", params=params, headers={"Authorization": ""})
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"/annuaire answered {response.status_code}")
        if i >= 4:
            times.append(elapsed)
    client.cookies.clear()
    return {"annuaire_render_ms": round(statistics.median(times), 2),
            "annuaire_render_p95_ms": round(_pct(times, 95), 2)}  # fmt: skip


def count_matches(node: Node, query: str) -> int:
    """How many cards a full-text query matches (to show the data is realistic)."""
    from node.services.network import search_directory

    engine = node.engine()
    with sessions(engine)() as session:
        rows, _ = search_directory(session, q=query, limit=200_000)
    engine.dispose()
    return len(rows)


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
