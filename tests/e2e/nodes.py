"""Real `archipel serve` processes on free loopback ports, driven through the CLI and HTTP.

A `Node` is a home folder made by `archipel init`, served by `archipel serve` in its own
process group (so `kill -9` takes the whole of it), with a staff token for its API.
`running_line` boots three of them peered in a line, lyon – grenoble – annecy (A–B–C: A and
C are not peers), with grenoble reached through a `TamperProxy`. `query`, `log_digest` and
`own_entries` read a node's database (SQLite or PostgreSQL) beside its running process.
Every wait is bounded.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import string
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.e2e.proxy import TamperProxy
from tests.processes import ARCHIPEL, free_port

ROOT = Path(__file__).resolve().parents[2]
HEALTH_TIMEOUT = 15.0
CLI_TIMEOUT = 60.0
# Pull every second (the safety net behind push hints), so waits across the line are short.
NODE_ENV = {
    "ARCHIPEL_FEDERATION__SYNC_INTERVAL": "1",
    "ARCHIPEL_FEDERATION__NOTIFY_DEBOUNCE": "0.2",
    "ARCHIPEL_FEDERATION__BACKOFF_MAX": "2",
    "ARCHIPEL_FEDERATION__REQUEST_TIMEOUT": "5",
}

ACCESS_OK = re.compile(r'" 2\d\d ')  # uvicorn's access line of a 2xx answer
T = TypeVar("T")


def node_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of node processes: ours minus any ARCHIPEL_ setting, plus the tier's;
    the checkout first on the path, so the nodes run the code under test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIPEL_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["COLUMNS"] = "200"  # rich tables keep whole words when stdout is a pipe
    env |= NODE_ENV | (extra or {})
    return env


def wait_until(
    probe: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.1
) -> T:
    """Call `probe` until it returns something truthy, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class Node:
    """One `archipel serve` process: its home, port, public URL, log file and a staff token."""

    slug: str
    home: Path
    port: int
    url: str
    env: dict[str, str]
    db_url: str = ""
    token: str = ""
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    _client: httpx.Client | None = field(default=None, repr=False)

    # -- the command line ---------------------------------------------------------------------

    def cli(
        self, *args: str, check: bool = True, timeout: float = CLI_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        """Run `archipel --home HOME ARGS` to completion; stdin is not a terminal."""
        result = subprocess.run(
            [*ARCHIPEL, "--home", str(self.home), *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"`archipel {' '.join(args)}` on {self.slug} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def init(self, territory: str) -> None:
        """`archipel init` the home, then take a staff token for the API."""
        args = ["init", "--slug", self.slug, "--name", f"Bureau de {self.slug.title()}"]
        args += ["--territory", territory, "--url", self.url]
        if self.db_url:
            args += ["--db", self.db_url]
        self.cli(*args)
        self.token = self.cli("token", "create", "--role", "staff", "--quiet").stdout.strip()

    # -- the server process -------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self.home.parent / f"{self.slug}.log"

    def start(self) -> None:
        """Start `archipel serve` (appending to the node's log) without waiting for it."""
        assert self.proc is None, f"{self.slug} is already running"
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n=== start #{self.starts} on port {self.port} ===\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [*ARCHIPEL, "--home", str(self.home), "serve", "--port", str(self.port)],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one
            )

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT) -> None:
        """Wait for `/health` to answer (the app is up, its scheduler started)."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"{self.slug} exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.slug} not healthy after {timeout:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def kill(self) -> None:
        """`kill -9` the whole process group, at once."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """Ask politely (SIGTERM), then kill after a few seconds."""
        self._signal(signal.SIGTERM, grace=5.0)

    def restart(self) -> None:
        self.stop()
        self.start()
        self.wait_healthy()

    def _signal(self, sig: signal.Signals, grace: float = 0.0) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace or 5.0)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5.0)

    def log_tail(self, lines: int = 60) -> str:
        """The end of the node's log, without the access lines of requests that succeeded."""
        if not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        kept = [line for line in text.splitlines() if not ACCESS_OK.search(line)]
        return "\n".join(kept[-lines:])

    # -- HTTP ---------------------------------------------------------------------------------

    @property
    def api(self) -> httpx.Client:
        """A client of the node's socket with the staff token (renewed after a restart)."""
        if self._client is None:
            self._client = httpx.Client(
                base_url=f"http://127.0.0.1:{self.port}",
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=15,
            )
        return self._client

    def create_member(self, display_name: str, **fields: Any) -> dict[str, Any]:
        body = {"display_name": display_name, "visibility": "network", **fields}
        response = self.api.post("/api/members", json=body)
        assert response.status_code == 201, response.text
        member: dict[str, Any] = response.json()
        return member

    def directory(self, **params: Any) -> list[dict[str, Any]]:
        """Every directory item matching `params`, following the cursor."""
        items: list[dict[str, Any]] = []
        cursor = None
        for _ in range(1000):
            query = {"limit": 200, **params} | ({"cursor": cursor} if cursor else {})
            response = self.api.get("/api/directory", params=query)
            assert response.status_code == 200, response.text
            page = response.json()
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return items
        raise AssertionError("the directory never stopped paging")

    def status(self) -> dict[str, Any]:
        response = self.api.get("/api/federation/status")
        assert response.status_code == 200, response.text
        status: dict[str, Any] = response.json()
        return status

    def head_of(self, origin: str) -> int:
        for row in self.status()["origins"]:
            if row["origin"] == origin:
                return int(row["head_seq"])
        return 0

    def peer_status(self, slug: str) -> dict[str, Any]:
        for peer in self.status()["peers"]:
            if peer["slug"] == slug:
                return dict(peer)
        raise AssertionError(f"{slug} is not a peer of {self.slug}")

    # -- files --------------------------------------------------------------------------------

    def db_bytes(self) -> bytes:
        """Every byte of the SQLite database: the file, its WAL and shared memory, if present."""
        assert not self.db_url, "only SQLite homes keep their database in files"
        base = self.home / "archipel.db"
        parts = [Path(f"{base}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")]
        return b"".join(p.read_bytes() for p in parts if p.exists())

    def traces(self, *needles: str, settle: float = 0.0) -> list[str]:
        """The needles still readable (case-insensitively) anywhere in the database files,
        checked again for up to `settle` seconds while any is left."""
        deadline = time.monotonic() + settle
        while True:
            data = self.db_bytes().lower()
            left = [n for n in needles if n.lower().encode() in data]
            if not left or time.monotonic() >= deadline:
                return left
            time.sleep(0.25)


# -- reading a node's database beside its process -------------------------------------------


def query(node: Node, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """The rows of `sql` on the node's own database, read beside its running process (a
    SQLite file opened read-only, or the node's PostgreSQL schema)."""
    url = node.db_url or f"sqlite:///file:{node.home / 'archipel.db'}?mode=ro&uri=true"
    args = {} if node.db_url else {"timeout": 10}
    engine = create_engine(url, poolclass=NullPool, connect_args=args)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def log_digest(node: Node, origin: str) -> tuple[int, str]:
    """(head seq, SHA-256 over every `seq:hash` of `origin`'s log as `node` holds it)."""
    rows = query(
        node, "SELECT seq, hash FROM fed_entries WHERE origin = :origin ORDER BY seq", origin=origin
    )
    digest = hashlib.sha256("".join(f"{seq}:{h}\n" for seq, h in rows).encode()).hexdigest()
    seqs = [seq for seq, _ in rows]
    assert seqs == list(range(1, len(rows) + 1)), f"{node.slug} has a gap or duplicate"
    return len(rows), digest


def own_entries(node: Node, record_ids: set[str]) -> dict[str, int]:
    """How many create entries (version 1) of each record the node's own log holds."""
    rows = query(
        node,
        "SELECT record_id, COUNT(*) FROM fed_entries WHERE origin = :origin AND version = 1 "
        "GROUP BY record_id",
        origin=node.slug,
    )
    return {record_id: count for record_id, count in rows if record_id in record_ids}


@dataclass
class Line:
    """Three nodes peered in a line, A–B–C; B is reached through `proxy`."""

    a: Node
    b: Node
    c: Node
    proxy: TamperProxy

    @property
    def nodes(self) -> tuple[Node, Node, Node]:
        return (self.a, self.b, self.c)


def make_node(
    base: Path, slug: str, *, port: int | None = None, url: str = "", db_url: str = ""
) -> Node:
    """A node (not yet initialised) on `port` (a free one by default), known to its peers by
    `url` (by default its own socket's)."""
    port = port or free_port()
    url = url or f"http://127.0.0.1:{port}"
    return Node(slug=slug, home=base / slug, port=port, url=url, env=node_env(), db_url=db_url)


def boot(
    nodes: list[Node], territories: dict[str, str], *, health_timeout: float = HEALTH_TIMEOUT
) -> None:
    """init, token, serve and wait for health, every node at once."""

    def one(node: Node) -> None:
        node.init(territories.get(node.slug, ""))
        node.start()
        node.wait_healthy(health_timeout)

    with ThreadPoolExecutor(len(nodes)) as pool:
        for future in [pool.submit(one, n) for n in nodes]:
            future.result()


def peer(*pairs: tuple[Node, Node]) -> None:
    """`archipel peer add URL --yes` for each (who, whom), all at once."""
    with ThreadPoolExecutor(len(pairs)) as pool:
        futures = [pool.submit(a.cli, "peer", "add", b.url, "--yes") for a, b in pairs]
        for future in futures:
            future.result()


TERRITORIES = {"lyon": "Rhône", "grenoble": "Isère", "annecy": "Haute-Savoie"}


@contextmanager
def running_line(base: Path, db_url: Callable[[str], str] | None = None) -> Iterator[Line]:
    """lyon – grenoble – annecy, served, peered both ways along the line; stopped after."""
    b_port = free_port()
    proxy = TamperProxy(b_port, victim="annecy")
    url_of = db_url or (lambda _slug: "")
    a = make_node(base, "lyon", db_url=url_of("lyon"))
    # Grenoble's public URL is the proxy's: its peers reach it only through the proxy.
    b = make_node(base, "grenoble", port=b_port, url=proxy.url, db_url=url_of("grenoble"))
    c = make_node(base, "annecy", db_url=url_of("annecy"))
    nodes = [a, b, c]
    try:
        boot(nodes, TERRITORIES)
        peer((a, b), (b, a), (b, c), (c, b))
        yield Line(a, b, c, proxy)
    finally:
        with ThreadPoolExecutor(len(nodes)) as pool:
            list(pool.map(Node.stop, nodes))
        proxy.close()


def unique_word(length: int = 10) -> str:
    """A made-up lowercase word, for names no other test (or FTS token) shares."""
    return "".join(random.choice(string.ascii_lowercase) for _ in range(length))
