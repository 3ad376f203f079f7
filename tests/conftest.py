"""Shared fixtures: every database test runs on SQLite and, when configured, PostgreSQL.

PostgreSQL is configured with `ARCHIPEL_TEST_POSTGRES_URL` (`.ci/run` and `make test` point it
at the local server). Each test gets its own PostgreSQL schema, dropped afterwards, so tests
never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from node.actors import Role
from node.app import create_app
from node.db import make_engine, make_sessionmaker
from node.migrations import upgrade
from node.services import accounts
from node.settings import Settings, load_settings

POSTGRES_ENV = "ARCHIPEL_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


@contextmanager
def postgres_schemas(base: str, prefix: str = "t") -> Iterator[Callable[[str], str]]:
    """Make private PostgreSQL schemas on the server at `base` (`make(name)` gives a URL whose
    search_path is a new schema); every one is dropped on exit."""
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    schemas: list[str] = []
    sep = "&" if "?" in base else "?"

    def make(name: str) -> str:
        schema = f"{prefix}_{name.replace('-', '_')[:20]}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        return f"{base}{sep}options=-csearch_path%3D{schema}"

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def new_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Make fresh, empty databases on one engine: SQLite files, or private PostgreSQL schemas.

    Several nodes in one test each get their own (`new_db_url("lyon")`).
    """
    if request.param == "sqlite":
        yield lambda name: f"sqlite:///{tmp_path / (name + '.db')}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_ENV} to run this test on it")
    with postgres_schemas(base) as make:
        yield make


@pytest.fixture
def db_url(new_db_url: Callable[[str], str]) -> str:
    """A fresh, empty database URL on each engine."""
    return new_db_url("test")


@pytest.fixture
def engine_name(db_url: str) -> str:
    return "sqlite" if db_url.startswith("sqlite") else "postgresql"


@dataclass
class NodeHarness:
    """A migrated node database, its app, a test client and a token per role."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    app: FastAPI
    client: TestClient
    tokens: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def as_member(self, member_id: str) -> dict[str, str]:
        """Headers of a member token bound to `member_id` (created on first use)."""
        key = f"member:{member_id}"
        if key not in self.tokens:
            with self.sessions() as db, db.begin():
                issued = accounts.create_token(db, role=Role.member, member_id=member_id)
            self.tokens[key] = issued.token
        return {"Authorization": f"Bearer {self.tokens[key]}"}


@pytest.fixture
def node(db_url: str, tmp_path: Path) -> Iterator[NodeHarness]:
    """A fresh node on each database engine, with admin and staff tokens."""
    home = tmp_path / "home"
    home.mkdir()
    settings = load_settings(
        home,
        node={
            "slug": "lyon",
            "name": "Bureau de Lyon",
            "territory": "Auvergne-Rhône-Alpes",
            "url": "http://lyon.test",
        },
        database={"url": db_url},
        federation={"enabled": False},
    )
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as db, db.begin():
        tokens = {
            role.value: accounts.create_token(db, role=role).token
            for role in (Role.admin, Role.staff)
        }
    app = create_app(settings, engine=engine)
    with TestClient(app) as client:
        yield NodeHarness(settings, engine, sessions, app, client, tokens)
    engine.dispose()
