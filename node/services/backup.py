"""Backups of a whole node in one file: settings, keys and a consistent copy of the database.

The archive is a gzipped tar holding `settings.toml`, `keys/*.pem`, and either
`database.sqlite` (SQLite's online backup API: consistent while the node runs) or
`database.pgdump` (`pg_dump -Fc`). Restoring puts them back; the node then resumes sync from
the cursors it had, and since applying pages is idempotent it converges without duplicates.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import make_url

from node.keystore import KEY_DIR
from node.problems import Conflict, DomainError
from node.settings import SETTINGS_FILE, Settings

SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.pgdump"


@dataclass(frozen=True)
class PgTarget:
    """How pg_dump and pg_restore reach the node's database (and schema, if one is set)."""

    dsn: str
    schema: str | None


def pg_target(url: str) -> PgTarget:
    """The libpq DSN of a SQLAlchemy PostgreSQL URL, and the schema its search_path names."""
    parsed = make_url(url)
    raw = parsed.query.get("options", "")
    option = raw if isinstance(raw, str) else (raw[0] if raw else "")
    schema = None
    if option.startswith("-csearch_path="):
        schema = unquote(option.removeprefix("-csearch_path="))
    plain = parsed.set(drivername="postgresql").difference_update_query(["options"])
    return PgTarget(plain.render_as_string(hide_password=False), schema)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise DomainError("in-memory SQLite databases cannot be backed up", code="backup_in_memory")
    return Path(database)


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DomainError(
            f"{command[0]} failed: {result.stderr.strip() or result.stdout.strip()}",
            code="backup_command_failed",
        )


def backup(settings: Settings, target: Path) -> Path:
    """Write the node's backup archive to `target` (refusing to overwrite a file)."""
    if target.exists():
        raise Conflict(f"{target} already exists; choose a new file name", code="backup_exists")
    home = settings.home
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        url = settings.database_url
        if url.startswith("sqlite"):
            copy = work / SQLITE_MEMBER
            source = sqlite3.connect(_sqlite_path(url))
            destination = sqlite3.connect(copy)
            try:
                source.backup(destination)
            finally:
                destination.close()
                source.close()
        else:
            pg = pg_target(url)
            copy = work / PG_MEMBER
            command = ["pg_dump", "--format=custom", "--no-owner", "--file", str(copy)]
            if pg.schema:
                command += ["--schema", pg.schema]
            _run([*command, pg.dsn])
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            archive.add(home / SETTINGS_FILE, arcname=SETTINGS_FILE)
            if (home / KEY_DIR).is_dir():
                archive.add(home / KEY_DIR, arcname=KEY_DIR)
            archive.add(copy, arcname=copy.name)
    return target


def restore(settings: Settings, source: Path) -> str:
    """Put a backup back into the node's home and database; the node must be stopped."""
    if not source.is_file() or not tarfile.is_tarfile(source):
        raise DomainError(f"{source} is not an Archipel backup", code="backup_invalid")
    home = settings.home
    with tarfile.open(source, mode="r:*") as archive, tempfile.TemporaryDirectory() as scratch:
        names = set(archive.getnames())
        if SETTINGS_FILE not in names or not names & {SQLITE_MEMBER, PG_MEMBER}:
            raise DomainError(
                f"{source} is not an Archipel backup (settings or database missing)",
                code="backup_invalid",
            )
        archive.extractall(scratch, filter="data")
        work = Path(scratch)
        url = settings.database_url
        if SQLITE_MEMBER in names:
            if not url.startswith("sqlite"):
                raise DomainError(
                    "this backup is of a SQLite node; the node now uses PostgreSQL",
                    code="backup_engine_mismatch",
                )
            database = _sqlite_path(url)
            for suffix in ("-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
            restored = sqlite3.connect(work / SQLITE_MEMBER)
            live = sqlite3.connect(database)
            try:
                restored.backup(live)
            finally:
                live.close()
                restored.close()
        else:
            if url.startswith("sqlite"):
                raise DomainError(
                    "this backup is of a PostgreSQL node; the node now uses SQLite",
                    code="backup_engine_mismatch",
                )
            pg = pg_target(url)
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "--dbname",
                    pg.dsn,
                    str(work / PG_MEMBER),
                ]
            )
        keys = work / KEY_DIR
        if keys.is_dir():
            (home / KEY_DIR).mkdir(mode=0o700, exist_ok=True)
            for pem in keys.iterdir():
                data = pem.read_bytes()
                path = home / KEY_DIR / pem.name
                path.unlink(missing_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
        (home / SETTINGS_FILE).write_bytes((work / SETTINGS_FILE).read_bytes())
    return "database, settings and keys restored"
