"""In-process federation nodes for tests: several apps, one transport that routes by host."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import JSON, Engine, String, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from federation.config import FederationConfig
from federation.keys import KeyPair, generate_keypair
from federation.models import FedBase
from federation.registry import Registry
from federation.service import Federation


class MultiAppTransport(httpx.BaseTransport):
    """Dispatches each request to the in-process ASGI app mounted for its host.

    Each call runs the app on a fresh event loop, so the sync engine's plain `httpx.Client`
    can talk to several apps from any thread (the scheduler's included).
    """

    def __init__(self) -> None:
        self.apps: dict[str, FastAPI] = {}
        self.down: set[str] = set()

    def mount(self, host: str, app: FastAPI) -> None:
        self.apps[host] = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host in self.down or host not in self.apps:
            raise httpx.ConnectError(f"{host} is down", request=request)
        app, content = self.apps[host], request.read()

        async def call() -> tuple[int, httpx.Headers, bytes]:
            inner = httpx.Request(
                request.method, request.url, headers=request.headers, content=content
            )
            answer = await httpx.ASGITransport(app=app).handle_async_request(inner)
            return answer.status_code, answer.headers, await answer.aread()

        status, headers, body = asyncio.run(call())
        return httpx.Response(status, headers=headers, content=body, request=request)


class CardBase(DeclarativeBase):
    """The test node's replica table of a fake shared kind."""


class Card(CardBase):
    __tablename__ = "test_cards"

    origin: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int]
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class CardKind:
    """A `RecordKind` ("test.card") that keeps received cards in `test_cards`."""

    kind = "test.card"

    def __init__(self) -> None:
        self.removed: list[tuple[str, str]] = []
        self.fail_on: str | None = None

    def apply(
        self, session: Session, *, origin: str, record_id: str, version: int, body: dict[str, Any]
    ) -> None:
        if record_id == self.fail_on:
            raise RuntimeError("simulated crash in the middle of a page")
        card = session.get(Card, (origin, record_id))
        if card is None:
            session.add(Card(origin=origin, record_id=record_id, version=version, body=body))
        else:
            card.version, card.body = version, body

    def remove(self, session: Session, *, origin: str, record_id: str) -> None:
        self.removed.append((origin, record_id))
        card = session.get(Card, (origin, record_id))
        if card is not None:
            session.delete(card)

    def purge_origin(self, session: Session, *, origin: str) -> None:
        for card in session.scalars(select(Card).where(Card.origin == origin)):
            session.delete(card)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


_key_ids = itertools.count(1)


@dataclass
class Node:
    """One in-process node: its federation engine, database and fake replica kind."""

    slug: str
    fed: Federation
    sessions: sessionmaker[Session]
    engine: Engine
    cards: CardKind
    versions: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.fed.config.url

    def write(self, record_id: str, body: dict[str, Any] | None) -> None:
        """Change a shared card as the node's domain would: log it in a transaction."""
        self.versions[record_id] = self.versions.get(record_id, 0) + 1
        with self.sessions() as session, session.begin():
            self.fed.log_writer.append(
                session,
                kind="test.card",
                record_id=record_id,
                version=self.versions[record_id],
                body=body,
            )

    def replica(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every card this node holds of other origins, with its version."""
        with self.sessions() as session:
            return {
                (c.origin, c.record_id): {"version": c.version, **c.body}
                for c in session.scalars(select(Card))
            }

    def pull(self, peer: str) -> Any:
        return self.fed.sync.pull_peer(peer)

    def session(self) -> Session:
        return self.sessions()


def make_node(
    slug: str,
    transport: MultiAppTransport,
    *,
    db_url: str,
    clock: Callable[[], float] | None = None,
    keypair: KeyPair | None = None,
    **config: Any,
) -> Node:
    """A node served at http://{slug}.test, its tables created, its genesis written."""
    engine = make_engine(db_url)
    FedBase.metadata.create_all(engine)
    CardBase.metadata.create_all(engine)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    registry = Registry()
    cards = CardKind()
    registry.register(cards)
    cfg = FederationConfig(slug=slug, name=f"Bureau {slug}", url=f"http://{slug}.test", **config)
    extra: dict[str, Any] = {} if clock is None else {"clock": clock}
    fed = Federation(
        cfg,
        sessions,
        registry,
        keypair or generate_keypair(f"{slug}-key-{next(_key_ids)}"),
        transport=transport,
        **extra,
    )
    fed.ensure_genesis()
    app = FastAPI()
    app.include_router(fed.router)
    transport.mount(f"{slug}.test", app)
    return Node(slug=slug, fed=fed, sessions=sessions, engine=engine, cards=cards)


def peer(a: Node, b: Node) -> None:
    """Mutual peering, as both admins would do it (fingerprint confirmed with --yes)."""
    a.fed.add_peer(url=b.url, yes=True)
    b.fed.add_peer(url=a.url, yes=True)


def close(*nodes: Node) -> None:
    for node in nodes:
        node.fed.stop()
        node.engine.dispose()


def sqlite_url(tmp_path: Path, slug: str) -> str:
    return f"sqlite:///{tmp_path / (slug + '.db')}"


def nodes_in_line(tmp_path: Path, *slugs: str, **config: Any) -> Iterator[list[Node]]:
    """Nodes peered in a line (A–B–C: A and C are not peers), closed afterwards."""
    transport = MultiAppTransport()
    nodes = [make_node(s, transport, db_url=sqlite_url(tmp_path, s), **config) for s in slugs]
    for left, right in itertools.pairwise(nodes):
        peer(left, right)
    try:
        yield nodes
    finally:
        close(*nodes)
