"""Directory search over 20 origins' cards: load, serve, query over HTTP, memory, annuaire page."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
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
HERE = Path(__file__).resolve().parent.parent


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


def measure(
    root: Path, node: Node, *, queries: int, annuaire: bool = False, busy_entries: int = 0
) -> dict[str, Any]:
    """p50/p95 of `/api/directory` over HTTP, the serving process's peak RSS, and (optionally)
    the time of `GET /annuaire` (the network directory page) as a logged-in viewer, and the
    same queries while a second process applies `busy_entries` pulled entries."""
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
            if busy_entries:
                # Last, and its memory apart: the node then holds the pulled cards too.
                result |= _beside_a_pull(client, node, workload, busy_entries)
                result["rss_busy_mb"] = round(rss_mb(node.pid())[1], 1)
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


def _beside_a_pull(
    client: httpx.Client, node: Node, workload: list[dict[str, str]], entries: int
) -> dict[str, Any]:
    """The workload's queries, in a loop, while another process applies `entries` entries of
    a new origin page by page into the node's database (`bench.applier`), as a pull does."""
    applier = subprocess.Popen(
        [sys.executable, "-m", "bench.applier", "--db", node.settings.database_url,
         "--entries", str(entries)],
        cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert applier.stdin is not None and applier.stdout is not None
    try:
        if applier.stdout.readline().strip() != "ready":
            raise RuntimeError("the applier process did not start")
        applier.stdin.write("go\n")
        applier.stdin.flush()
        latencies: list[float] = []
        while applier.poll() is None:
            for params in workload[: len(workload) // 4]:
                started = time.perf_counter()
                response = client.get("/api/directory", params=params)
                latencies.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
        applied = json.loads(applier.stdout.read().strip().splitlines()[-1])
    finally:
        if applier.poll() is None:
            applier.kill()
        applier.wait(timeout=60)
    return {
        "search_busy_p50_ms": round(_pct(latencies, 50), 2),
        "search_busy_p95_ms": round(_pct(latencies, 95), 2),
        "search_busy_max_ms": round(max(latencies), 2),
        "search_busy_queries": len(latencies),
        "busy_apply_entries_per_s": round(applied["entries"] / applied["seconds"], 1),
    }


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
