"""What every command shares: the home folder, and the node's settings and database."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from node.db import make_engine, make_sessionmaker
from node.settings import SETTINGS_FILE, Settings, load_settings


def fail(message: str) -> NoReturn:
    """Print one clear line and exit with status 2."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


@dataclass
class CliState:
    home: Path
    _settings: Settings | None = field(default=None, init=False)
    _engine: Engine | None = field(default=None, init=False)

    def settings(self) -> Settings:
        if self._settings is None:
            if not (self.home / SETTINGS_FILE).exists():
                fail(f"no node in {self.home}: run `archipel init` first, or pass --home")
            try:
                self._settings = load_settings(self.home)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                fail(f"invalid setting {where} in {self.home / SETTINGS_FILE}: {first['msg']}")
        return self._settings

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings().database_url)
        return self._engine

    def close(self) -> None:
        """Release the database connections (called when the command ends)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with make_sessionmaker(self.engine())() as session, session.begin():
            yield session
