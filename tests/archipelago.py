"""Several real node apps in one process, reaching each other through one routing transport."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from federation.service import Federation
from node.actors import Role
from node.app import create_app
from node.db import make_engine, make_sessionmaker
from node.migrations import upgrade
from node.services import accounts
from node.settings import Settings, load_settings, render_settings_file
from tests.federation.helpers import MultiAppTransport


@dataclass
class Bureau:
    """One node of the test archipelago: its settings, database, app and a staff client."""

    slug: str
    settings: Settings
    engine: Engine
    federation: Federation
    client: TestClient
    staff: dict[str, str]
    transport: MultiAppTransport

    @property
    def url(self) -> str:
        return self.settings.node.url

    def pull(self, peer: str) -> Any:
        report = self.federation.sync.pull_peer(peer)
        assert report.error is None, report.error
        return report

    def directory(self, **params: Any) -> list[dict[str, Any]]:
        response = self.client.get("/api/directory", params=params, headers=self.staff)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


def make_bureau(
    tmp_path: Path,
    slug: str,
    transport: MultiAppTransport,
    new_db_url: Callable[[str], str],
    territory: str = "",
) -> Bureau:
    home = tmp_path / slug
    home.mkdir()
    db_url = new_db_url(slug)
    settings = load_settings(
        home,
        node={
            "slug": slug,
            "name": f"Bureau de {slug.title()}",
            "territory": territory,
            "url": f"http://{slug}.test",
        },
        database={"url": db_url},
        federation={"enabled": False},
    )
    (home / "settings.toml").write_text(render_settings_file(settings), encoding="utf-8")
    engine = make_engine(db_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as db, db.begin():
        token = accounts.create_token(db, role=Role.staff).token
    app = create_app(settings, engine=engine, federation_transport=transport)
    transport.mount(f"{slug}.test", app)
    return Bureau(
        slug=slug,
        settings=settings,
        engine=engine,
        federation=app.state.federation,
        client=TestClient(app),
        staff={"Authorization": f"Bearer {token}"},
        transport=transport,
    )


def peer(a: Bureau, b: Bureau) -> None:
    """Mutual peering, both admins confirming the fingerprint."""
    a.federation.add_peer(url=b.url, yes=True)
    b.federation.add_peer(url=a.url, yes=True)


@contextmanager
def line(tmp_path: Path, new_db_url: Callable[[str], str], *slugs: str) -> Iterator[list[Bureau]]:
    """Bureaus peered in a line (A–B–C: A and C are not peers)."""
    transport = MultiAppTransport()
    bureaus = [
        make_bureau(tmp_path, s, transport, new_db_url, territory=f"Terre {s}") for s in slugs
    ]
    for left, right in itertools.pairwise(bureaus):
        peer(left, right)
    try:
        yield bureaus
    finally:
        for bureau in bureaus:
            bureau.federation.stop()
            bureau.client.close()
            bureau.engine.dispose()
