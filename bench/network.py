"""Real nodes on loopback (20 by default): convergence, push and pull-only, and a live fan-out."""

from __future__ import annotations

import statistics
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text

from bench import cards
from bench.nodes import (
    Node,
    create_node,
    peer,
    serve,
    sessions,
    sqlite_template,
    stop,
    wait_ready,
)
from federation.registry import Upsert
from node.replica.appliers import CardKind


def topology(size: int) -> list[tuple[int, int]]:
    """A ring with a few chords: sparse, like bureaus peering with neighbours."""
    ring = [(i, (i + 1) % size) for i in range(size)]
    half, quarter = size // 2, size // 4
    starts = (0, quarter, quarter // 2, quarter + quarter // 2) if size >= 16 else (0,)
    chords = [(i, i + half) for i in starts]
    return ring + chords


def distances(size: int, edges: list[tuple[int, int]], source: int) -> list[int]:
    near: dict[int, set[int]] = {i: set() for i in range(size)}
    for a, b in edges:
        near[a].add(b)
        near[b].add(a)
    dist = [-1] * size
    dist[source] = 0
    queue = deque([source])
    while queue:
        here = queue.popleft()
        for there in near[here]:
            if dist[there] < 0:
                dist[there] = dist[here] + 1
                queue.append(there)
    return dist


class Archipelago:
    """Up to twenty bureaus, each holding its own members' cards, peered along `topology`."""

    def __init__(
        self, root: Path, *, nodes: int, cards_per_node: int, sync_interval: float
    ) -> None:
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.sync_interval = sync_interval
        self.nodes: list[Node] = []
        template = sqlite_template(root)
        for bureau in cards.BUREAUS[:nodes]:
            node = create_node(root, bureau.slug, territory=bureau.territory, template=template)
            _own_cards(node, cards.cards(bureau, cards_per_node))
            self.nodes.append(node)
        self.edges = topology(len(self.nodes))
        for a, b in self.edges:
            peer(self.nodes[a], self.nodes[b])
        size = len(self.nodes)
        eccentricity = [max(distances(size, self.edges, s)) for s in range(size)]
        self.diameter = max(eccentricity)
        self.source = eccentricity.index(self.diameter)
        self._watch: list[Engine] = []
        self.stuck: list[dict[str, Any]] = []

    def env(self) -> dict[str, str]:
        """Pull-only runs: every node pulls each peer every `sync_interval` seconds."""
        return {"ARCHIPEL_FEDERATION__SYNC_INTERVAL": str(self.sync_interval)}

    def start(self) -> None:
        """Every node with the default settings (as a bureau runs: pulls every 30 s)."""
        for node in self.nodes:
            serve(node, self.logs)
        wait_ready(self.nodes)
        self._watch = [node.engine() for node in self.nodes]

    def stop(self) -> None:
        for engine in self._watch:
            engine.dispose()
        for node in self.nodes:
            stop(node)

    def converge(self, client: httpx.Client, label: str, timeout: float = 120) -> float | None:
        """Seconds from a new member at the source until every node holds their card; None
        when some node still lacks it after `timeout` (their logs are kept in `stuck`)."""
        source = self.nodes[self.source]
        started = time.perf_counter()
        response = client.post(
            f"{source.url}/api/members",
            json={"display_name": f"Convergence {label}", "trades": ["Régie son"],
                  "visibility": "network"},
            headers=source.headers,
        )  # fmt: skip
        response.raise_for_status()
        record_id = response.json()["id"]
        waiting = set(range(len(self.nodes)))
        while waiting and time.perf_counter() - started < timeout:
            for i in list(waiting):
                if _holds(self._watch[i], source.slug, record_id):
                    waiting.discard(i)
            time.sleep(0.005)
        if waiting:
            for i in sorted(waiting):
                slug = self.nodes[i].slug
                lines = (self.logs / f"{slug}.log").read_text(errors="replace").splitlines()
                self.stuck.append({"change": label, "node": slug, "log_tail": lines[-40:]})
            return None
        return time.perf_counter() - started

    def restart_for_pull_only(self) -> None:
        """Pull-only: every node restarted to pull every `sync_interval` seconds and to send
        no notify (`federation.notify` off), so each hop waits for a periodic pull."""
        for node in self.nodes:
            stop(node)
        for node in self.nodes:
            serve(node, self.logs, self.env() | {"ARCHIPEL_FEDERATION__NOTIFY": "false"})
        wait_ready(self.nodes)

    def fanout(self, queries: list[dict[str, str]]) -> list[float]:
        """Latency of each query sent to every node at once and merged (ms)."""
        clients = [httpx.Client(base_url=n.url, headers=n.headers, timeout=30) for n in self.nodes]
        latencies = []
        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            for params in queries:
                started = time.perf_counter()
                pages = list(pool.map(lambda c, p=params: _directory(c, p), clients))
                merged = sorted((i for page in pages for i in page), key=_name)[:20]
                assert isinstance(merged, list)
                latencies.append((time.perf_counter() - started) * 1000)
        for client in clients:
            client.close()
        return latencies


def _directory(client: httpx.Client, params: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/api/directory", params=params)
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _name(item: dict[str, Any]) -> str:
    return str(item["display_name"])


def _holds(engine: Engine, origin: str, record_id: str) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT 1 FROM directory_cards WHERE origin = :o AND record_id = :r"),
            {"o": origin, "r": record_id},
        ).first()
    return found is not None


def _own_cards(node: Node, bodies: list[dict[str, Any]]) -> None:
    """A bureau's own members' cards in its replica, written by the same applier in bulk."""
    engine = node.engine()
    with sessions(engine)() as session, session.begin():
        CardKind().apply_many(
            session,
            origin=node.slug,
            records=[Upsert(f"m{i:07d}", 1, body) for i, body in enumerate(bodies)],
        )
    engine.dispose()


def run(
    root: Path, *, nodes: int, cards_per_node: int, queries: int, repeats: int
) -> dict[str, Any]:
    """Convergence with push, then pull-only; then the fan-out query latency."""
    net = Archipelago(root, nodes=nodes, cards_per_node=cards_per_node, sync_interval=2.0)
    try:
        net.start()
        with httpx.Client(timeout=30) as client:
            time.sleep(3)  # let the start-up round of notifies and pulls settle first
            push = [net.converge(client, f"push {i}") for i in range(repeats)]
            fan = net.fanout(cards.queries(queries))
            net.restart_for_pull_only()
            time.sleep(3)
            pull = [net.converge(client, f"pull {i}") for i in range(repeats)]
    finally:
        net.stop()
    return {
        "nodes": len(net.nodes),
        "edges": len(net.edges),
        "diameter": net.diameter,
        "sync_interval_s": net.sync_interval,  # pull-only runs; push runs use the default
        "convergence_push_s": _median(push),
        "convergence_push_runs_s": [None if x is None else round(x, 3) for x in push],
        "convergence_pull_s": _median(pull),
        "convergence_pull_runs_s": [None if x is None else round(x, 3) for x in pull],
        "convergence_timeouts": net.stuck,
        "fanout_p50_ms": round(_pct(fan, 50), 2),
        "fanout_p95_ms": round(_pct(fan, 95), 2),
        "fanout_cards_per_node": cards_per_node,
    }


def _median(runs: list[float | None]) -> float | None:
    """The median of the changes that converged; None if one did not (see the timeouts)."""
    if any(x is None for x in runs):
        return None
    return round(statistics.median([x for x in runs if x is not None]), 3)


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
