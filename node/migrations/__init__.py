"""Schema migrations (Alembic), run from code: `archipel init` and `archipel migrate` call them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData

HERE = Path(__file__).parent


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database's schema up to `revision`."""
    command.upgrade(alembic_config(engine), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def target_metadata() -> list[MetaData]:
    """Every table the migrations manage: the node's and the federation engine's."""
    from federation.service import METADATA
    from node.models import Base

    return [Base.metadata, METADATA]


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave out of comparisons what the models do not describe on purpose: the engine-specific
    full-text index (`directory_fts*` tables: FTS5 on SQLite, a `tsvector` table on
    PostgreSQL, with their indexes)."""
    return not (type_ == "table" and name and name.startswith("directory_fts"))
