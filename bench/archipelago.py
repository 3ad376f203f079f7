"""The network at the scale of a country: 100 to 500 bureaus in one process.

Each bureau is a real `Federation` (its own SQLite file, keys, signed HTTP) served through the
in-process transport the federation tests use; bureaus peer with their 3 to 6 nearest
neighbours on a map of France. A change made at one bureau travels as production makes it
travel — a signed notify carrying the sender's heads to every peer, a pull of the pages the
heads show missing, then the relay notifies its own peers — but hop by hop in waves, driven
here rather than by the scheduler's threads, so every message is counted and nothing waits on
a timer. Before the first change every bureau is given every other bureau's identity entry
(copied into its tables, as a converged network holds them), so notifies carry the heads of
the whole network and a change costs what it costs in a settled network. What the simulation
cannot hold at full size (every bureau holding every member's card) is measured apart: one new
bureau catching up with N × 200 members through the same `PageApplier` a pull uses.
"""

from __future__ import annotations

import math
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, insert, select

from bench import cards
from bench.logs import origin_log
from bench.nodes import create_node, sessions
from federation.apply import PageApplier
from federation.models import FedCursor, FedEntry, FedOrigin
from federation.sync import Statistics
from node.federated import build_registry
from schemas.federation import Heads
from tests.federation.helpers import MultiAppTransport, Node, close, make_node, peer

PAGE = 1000
MEMBERS_PER_BUREAU = 200


class CountingTransport(MultiAppTransport):
    """The in-process transport, counting requests and bytes (bodies and headers, both ways)
    by the kind of federation request."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()
        self.bytes: Counter[str] = Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        kind = request.url.path.removeprefix("/federation/").split("/", 1)[0]
        self.calls[kind] += 1
        self.bytes[kind] += (
            len(request.content)
            + _header_bytes(request.headers)
            + len(response.content)
            + _header_bytes(response.headers)
        )
        return response


def _header_bytes(headers: httpx.Headers) -> int:
    return sum(len(k) + len(v) + 4 for k, v in headers.raw)


def neighbours(size: int, *, seed: int = 3) -> list[tuple[int, int]]:
    """Sparse peerings like bureaus': each one peers with its 3 to 6 nearest on a map, and
    the map's islands are joined by their closest pair, so the network is connected."""
    rng = random.Random(seed)
    points = [(rng.random() * 1000, rng.random() * 1000) for _ in range(size)]
    edges: set[tuple[int, int]] = set()
    for i, (x, y) in enumerate(points):
        nearest = sorted(range(size), key=lambda j: math.dist((x, y), points[j]))[1:]
        for j in nearest[: rng.randint(3, 6)]:
            edges.add((min(i, j), max(i, j)))
    while True:
        parts = _components(size, edges)
        if len(parts) == 1:
            return sorted(edges)
        a, b = min(
            ((i, j) for i in parts[0] for j in range(size) if j not in parts[0]),
            key=lambda pair: math.dist(points[pair[0]], points[pair[1]]),
        )
        edges.add((min(a, b), max(a, b)))


def _components(size: int, edges: set[tuple[int, int]]) -> list[set[int]]:
    near: dict[int, set[int]] = {i: set() for i in range(size)}
    for a, b in edges:
        near[a].add(b)
        near[b].add(a)
    seen: set[int] = set()
    parts = []
    for start in range(size):
        if start in seen:
            continue
        part, stack = {start}, [start]
        while stack:
            for there in near[stack.pop()] - part:
                part.add(there)
                stack.append(there)
        seen |= part
        parts.append(part)
    return parts


@dataclass
class Network:
    """The simulated bureaus, their peerings, and the notifies waiting to be acted on."""

    nodes: list[Node]
    edges: list[tuple[int, int]]
    transport: CountingTransport
    waiting: list[tuple[str, str, Heads | None]] = field(default_factory=list)

    @property
    def by_slug(self) -> dict[str, Node]:
        return {n.slug: n for n in self.nodes}

    def peers_of(self, slug: str) -> list[str]:
        index = {n.slug: i for i, n in enumerate(self.nodes)}[slug]
        return [self.nodes[b if a == index else a].slug for a, b in self.edges if index in (a, b)]


def build(root: Path, size: int, *, seed: int = 3) -> Network:
    """`size` bureaus `b000`… on SQLite files under `root`, peered along `neighbours`."""
    transport = CountingTransport()
    nodes = [
        make_node(f"b{i:03d}", transport, db_url=f"sqlite:///{root / f'b{i:03d}.db'}")
        for i in range(size)
    ]
    edges = neighbours(size, seed=seed)
    for a, b in edges:
        peer(nodes[a], nodes[b])
    network = Network(nodes=nodes, edges=edges, transport=transport)
    settle(network)
    for node in nodes:
        # The notify's receiver would make the sender due at once (`trigger_now`); here the
        # wave loop acts on it, with the heads the notify carried, as the scheduler does.
        node.fed.scheduler.trigger_now = _recorder(network, node.slug)  # type: ignore[method-assign]
    return network


def settle(network: Network) -> None:
    """Give every bureau every other bureau's identity entry and origin row, as a converged
    network holds them (pulling them all would cost N² page applies before the first change)."""
    own: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for node in network.nodes:
        with node.sessions() as session:
            origin = session.execute(
                select(FedOrigin.__table__).where(FedOrigin.slug == node.slug)
            ).one()
            entry = session.execute(
                select(FedEntry.__table__).where(FedEntry.origin == node.slug)
            ).one()
            own.append((dict(origin._mapping), dict(entry._mapping)))
    for node in network.nodes:
        relay = network.peers_of(node.slug)[0]
        others = [(o, e) for o, e in own if o["slug"] != node.slug]
        with node.sessions() as session, session.begin():
            # Peering stored its peers' origin rows, not yet their entries: replace them.
            session.execute(delete(FedOrigin).where(FedOrigin.slug != node.slug))
            session.execute(insert(FedOrigin), [{**o, "via_peer": relay} for o, _ in others])
            session.execute(insert(FedEntry), [e for _, e in others])
            # And how far each peer holds each bureau, as its last heads said.
            session.execute(
                insert(FedCursor),
                [
                    {"peer": p, "origin": o["slug"], "seq": 1, "remote_seq": 1}
                    for p in network.peers_of(node.slug)
                    for o, _ in own
                    if o["slug"] not in (node.slug, p)
                ],
            )


def _recorder(network: Network, receiver: str) -> Callable[..., None]:
    def record(peer_slug: str, heads: Heads | None = None) -> None:
        network.waiting.append((receiver, peer_slug, heads))

    return record


def propagate(network: Network, origin: Node, record_id: str) -> dict[str, Any]:
    """One change at `origin`, carried hop by hop until no notify is left; what it cost."""
    transport = network.transport
    calls, sent = Counter(transport.calls), Counter(transport.bytes)
    origin.write(record_id, {"name": record_id, "bio": "x" * 400})
    reached = {origin.slug: 0}
    work: list[float] = []
    _notify_peers(network, origin)
    hops = 0
    while network.waiting:
        hops += 1
        wave, network.waiting = network.waiting, []
        grew = []
        for receiver, sender, heads in wave:
            started = time.perf_counter()
            report = network.by_slug[receiver].fed.sync.pull_peer(sender, heads)
            work.append(time.perf_counter() - started)
            assert report.ok, report.error
            if report.applied.get(origin.slug) and receiver not in reached:
                reached[receiver] = hops
                grew.append(receiver)
        for slug in grew:
            _notify_peers(network, network.by_slug[slug])
    assert len(reached) == len(network.nodes), f"{len(reached)} of {len(network.nodes)} reached"
    messages = {k: transport.calls[k] - calls[k] for k in transport.calls}
    volume = {k: transport.bytes[k] - sent[k] for k in transport.bytes}
    return {
        "hops_to_last": max(reached.values()),
        "mean_hops": round(statistics.fmean(reached.values()), 2),
        "messages": sum(messages.values()),
        "notifies": messages.get("notify", 0),
        "page_requests": messages.get("log", 0),
        "heads_requests": messages.get("heads", 0),
        "bytes": sum(volume.values()),
        "bytes_per_notify": round(volume.get("notify", 0) / max(1, messages.get("notify", 0))),
        "bytes_per_page_request": round(volume.get("log", 0) / max(1, messages.get("log", 0))),
        "pull_ms_mean": round(1000 * statistics.fmean(work), 2) if work else 0.0,
    }


def _notify_peers(network: Network, node: Node) -> None:
    for slug in network.peers_of(node.slug):
        node.fed.notify_peer(slug)


def catch_up(root: Path, bureaus: int, members: int) -> dict[str, Any]:
    """A new bureau applies `bureaus` logs of `members` cards each through `PageApplier`, one
    transaction per page as a pull does: how long, and how large its database then is."""
    node = create_node(root, "new")
    origins = [
        origin_log(f"o{i:03d}", bureau.territory, cards.cards(bureau, members, seed=i))
        for i, bureau in enumerate(cards.BUREAUS[i % len(cards.BUREAUS)] for i in range(bureaus))
    ]
    applier = PageApplier(own_slug=node.slug, registry=build_registry())
    engine = node.engine()
    factory = sessions(engine)
    statistics_ = Statistics()
    started = time.perf_counter()
    entries = 0
    for log in origins:
        for page in log.pages(PAGE):
            with factory() as session, session.begin():
                result = applier.apply_page(session, page, via_peer=log.slug)
            statistics_.grew(factory, result.applied)
            entries += result.applied
    elapsed = time.perf_counter() - started
    engine.dispose()  # the last connection to close checkpoints the WAL into the database
    size = sum(p.stat().st_size for p in node.home.glob("archipel.db*"))
    return {
        "bureaus": bureaus,
        "members": bureaus * members,
        "entries": entries,
        "seconds": round(elapsed, 1),
        "entries_per_s": round(entries / elapsed, 1),
        "replica_mb": round(size / 1e6, 1),
        "bytes_per_member": round(size / (bureaus * members)),
    }


def run(sizes: list[int], *, changes: int, catch_up_bureaus: list[int], log: Any) -> dict[str, Any]:
    """The growth table: per network size, what one change costs; and the catch-up."""
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix=f"archipel-{size}-") as folder:
            log(f"network of {size} bureaus: building and peering")
            started = time.perf_counter()
            network = build(Path(folder), size)
            built = time.perf_counter() - started
            degrees = Counter(x for edge in network.edges for x in edge)
            runs = []
            rng = random.Random(size)
            for n in range(changes):
                origin = network.nodes[rng.randrange(size)]
                runs.append(propagate(network, origin, f"card-{n}"))
            close(*network.nodes)
        row: dict[str, Any] = {
            "bureaus": size,
            "peerings": len(network.edges),
            "peers_per_bureau": round(statistics.fmean(degrees.values()), 2),
            "peers_max": max(degrees.values()),
            "build_seconds": round(built, 1),
        }
        for key in runs[0]:
            row[key] = round(statistics.fmean(r[key] for r in runs), 2)
        row["hops_to_last_max"] = max(r["hops_to_last"] for r in runs)
        log(
            f"  {row['messages']:.0f} messages, {row['bytes'] / 1e3:.0f} kB per change, "
            f"{row['hops_to_last']:.1f} hops to the last bureau"
        )
        rows.append(row)
    caught = []
    for bureaus in catch_up_bureaus:
        log(f"a new bureau catches up with {bureaus} × {MEMBERS_PER_BUREAU} members")
        with tempfile.TemporaryDirectory(prefix="archipel-catchup-") as folder:
            caught.append(catch_up(Path(folder), bureaus, MEMBERS_PER_BUREAU))
        log(f"  {caught[-1]['seconds']} s, replica {caught[-1]['replica_mb']} MB")
    return {"networks": rows, "catch_up": caught}
