"""Creating a node's home: settings file, keys, migrated database and the first admin."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from node.actors import Role
from node.db import make_engine, make_sessionmaker
from node.keystore import create_key
from node.problems import Conflict
from node.security import new_password
from node.services.accounts import create_account
from node.settings import SETTINGS_FILE, Settings, load_settings, render_settings_file

CREDENTIALS_FILE = "admin-credentials.txt"
ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class InitResult:
    settings: Settings
    username: str
    password: str
    credentials_path: Path
    key_fingerprint: str


def init_node(
    home: Path,
    *,
    slug: str,
    name: str,
    territory: str,
    url: str,
    database_url: str = "",
) -> InitResult:
    """Create a working node at `home`; refuses when a node already lives there."""
    if (home / SETTINGS_FILE).exists():
        raise Conflict(
            f"a node already exists in {home} (found {SETTINGS_FILE}); not overwriting",
            code="node_exists",
        )
    settings = load_settings(
        home,
        node={"slug": slug, "name": name, "territory": territory, "url": url},
        database={"url": database_url},
    )
    home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    try:
        from node.migrations import upgrade  # Alembic: loaded only by what migrates

        upgrade(engine)
        password = new_password()
        with make_sessionmaker(engine)() as session, session.begin():
            create_account(
                session,
                username=ADMIN_USERNAME,
                password=password,
                role=Role.admin,
                must_change_password=True,
            )
    finally:
        engine.dispose()
    pair = create_key(home, settings.node.slug)
    credentials = home / CREDENTIALS_FILE
    fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(
            f"Archipel — {settings.node.name}\n"
            f"URL: {settings.node.url}\nusername: {ADMIN_USERNAME}\npassword: {password}\n"
            "Change this password at first login, then delete this file.\n"
        )
    # Written last: its presence is what marks a complete node.
    (home / SETTINGS_FILE).write_text(render_settings_file(settings), encoding="utf-8")
    return InitResult(settings, ADMIN_USERNAME, password, credentials, pair.fingerprint())
