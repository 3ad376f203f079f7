"""Real nodes for the benchmarks: homes made in-process, `archipel serve` processes on loopback."""

from __future__ import annotations

import shutil
import signal
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from federation.peers import accept_peer
from federation.trust import identity_fingerprint
from node.actors import Role
from node.db import make_engine, make_sessionmaker
from node.federated import wire
from node.keystore import create_key
from node.migrations import upgrade
from node.services import accounts
from node.services.setup import init_node
from node.settings import SETTINGS_FILE, Settings, load_settings, render_settings_file
from schemas.federation import IdentityDocument
from tests.processes import Process, answers, free_port, wait_for


@dataclass
class Node:
    """A benchmark node: its home, port, staff token and (once started) its serving process."""

    slug: str
    home: Path
    port: int
    settings: Settings
    token: str
    identity: IdentityDocument
    process: Process | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    def pid(self) -> int:
        assert self.process is not None
        return self.process.popen.pid


def sqlite_template(root: Path) -> Path:
    """A migrated SQLite database to copy into new homes (migrating each one costs seconds)."""
    path = root / "template.db"
    if not path.exists():
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


def create_node(
    root: Path, slug: str, *, territory: str = "", db_url: str = "", template: Path | None = None
) -> Node:
    """`archipel init` in-process, plus a staff token and the genesis of the node's log.

    With a `template`, the home gets a copy of that migrated SQLite database, its own key and
    settings file (what `init` writes), without an admin account: benchmarks use tokens.
    """
    port = free_port()
    home = root / slug
    url = f"http://127.0.0.1:{port}"
    name = f"Bureau de {slug.title()}"
    if template is None:
        init_node(home, slug=slug, name=name, territory=territory, url=url, database_url=db_url)
    else:
        home.mkdir(parents=True)
        shutil.copyfile(template, home / "archipel.db")
        made = load_settings(home, node={"slug": slug, "name": name, "territory": territory,
                                         "url": url})  # fmt: skip
        create_key(home, slug)
        (home / SETTINGS_FILE).write_text(render_settings_file(made), encoding="utf-8")
    settings = load_settings(home)
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            token = accounts.create_token(session, role=Role.staff, label="bench").token
        federation = wire(settings, engine).federation
        federation.ensure_genesis()
        identity = federation.identity_document()
        federation.stop()
    finally:
        engine.dispose()
    return Node(slug, home, port, settings, token, identity)


def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


def peer(a: Node, b: Node) -> None:
    """Make `a` and `b` peers, as two admins would with `archipel peer add` on each side."""
    for here, there in ((a, b), (b, a)):
        engine = here.engine()
        try:
            with sessions(engine)() as session, session.begin():
                accept_peer(
                    session,
                    there.identity,
                    identity_fingerprint(there.identity),
                    own_slug=here.slug,
                    now=datetime.now(UTC),
                )
        finally:
            engine.dispose()


def serve(node: Node, log_dir: Path, env: Mapping[str, str] | None = None) -> None:
    """Start `archipel serve` for `node`; return once it answers."""
    node.env = dict(env or {})
    node.process = Process(
        ["--home", str(node.home), "serve", "--port", str(node.port)],
        log_dir / f"{node.slug}.log",
        env=node.env,
    )


def wait_ready(nodes: list[Node], timeout: float = 120) -> None:
    """Return once every node answers; raise with its log when one died instead."""
    for node in nodes:
        assert node.process is not None

        def up(n: Node = node) -> bool:
            return answers(f"{n.url}/federation/node") or _died(n)

        wait_for(up, timeout=timeout, every=0.05)
        if _died(node):
            assert node.process is not None
            raise RuntimeError(f"{node.slug} did not start:\n{node.process.output()[-2000:]}")


def _died(node: Node) -> bool:
    return node.process is not None and not node.process.alive()


def stop(node: Node) -> None:
    if node.process is not None:
        node.process.kill(signal.SIGTERM)
        node.process = None


@contextmanager
def running(nodes: list[Node]) -> Iterator[list[Node]]:
    """Stop every started node on exit, whatever happens."""
    try:
        yield nodes
    finally:
        for node in nodes:
            stop(node)


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process and its children, in MB, from /proc."""
    current = peak = 0.0
    for p in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                current += int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak += int(line.split()[1]) / 1024
    return current, peak


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found + [g for c in found for g in _children(c)]


def get_json(client: httpx.Client, node: Node, path: str, **params: str) -> object:
    response = client.get(f"{node.url}{path}", params=params, headers=node.headers)
    response.raise_for_status()
    return response.json()


@contextmanager
def postgres_schemas(base: str) -> Iterator[Callable[[str], str]]:
    """Fresh PostgreSQL databases as private schemas of `base` (dropped on exit)."""
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    made: list[str] = []
    sep = "&" if "?" in base else "?"

    def make(name: str) -> str:
        schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        made.append(schema)
        return f"{base}{sep}options=-csearch_path%3D{schema}"

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for schema in made:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
