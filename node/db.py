"""Engines and sessions: SQLite (WAL, foreign keys, secure_delete) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

SQLITE_CACHE_KIB = 1024  # page cache of each SQLite connection
SQLITE_BUSY_MS = 10_000  # how long a writer waits for SQLite's write lock
BRIEF_WAIT_MS = 250  # how long a write noted in passing by a read waits for a lock


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver must not manage transactions itself: it would begin them lazily at the first
    # write, so two writers could read the same log head before either writes, and SAVEPOINTs
    # taken before a write would commit on their own. SQLAlchemy's "begin" event (below)
    # starts every transaction instead — the pysqlite recipe of the SQLAlchemy docs.
    dbapi_connection.isolation_level = None
    # WAL lets readers run during a write; secure_delete zeroes freed pages so erased
    # personal data does not stay readable in the file; synchronous=FULL makes every
    # acknowledged commit survive a power cut (peers may already have pulled it).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    # Each pooled connection keeps its own page cache, 2 MiB by default; 1 MiB bounds what a
    # busy pool holds (the serving process's peak memory) without slowing search or apply,
    # which read the file through the operating system's cache anyway.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


READ_ONLY = "archipel_read_only"
"""Execution option of a transaction that only reads (`reading`): on SQLite it does not take
the write lock, so it runs beside a writer instead of queueing behind it; on both engines a
write in it fails at once rather than upgrading a read snapshot that may be outdated."""


PREPARE_THRESHOLD = "archipel_prepare_threshold"
"""Key, in a PostgreSQL connection's info, of psycopg's `prepare_threshold` as the connection
was made (5 by default: a statement run that many times is prepared); writes use it, reads
none (`_postgresql_begin`)."""


BRIEF = "archipel_brief"
"""Execution option of a write noted in passing by a read (`write_beside`): it waits
`BRIEF_WAIT_MS` for a lock, not `SQLITE_BUSY_MS`."""


def _sqlite_begin(conn: Connection) -> None:
    options = conn.get_execution_options()
    read_only = bool(options.get(READ_ONLY))
    if conn.info.get(READ_ONLY, False) != read_only:  # the connection switches modes
        conn.exec_driver_sql(f"PRAGMA query_only={'ON' if read_only else 'OFF'}")
        conn.info[READ_ONLY] = read_only
    wait = BRIEF_WAIT_MS if options.get(BRIEF) else SQLITE_BUSY_MS
    if conn.info.get("busy_timeout_ms", SQLITE_BUSY_MS) != wait:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={wait}")
        conn.info["busy_timeout_ms"] = wait
    # A reader reads the last committed state beside the writer (WAL). A writer's IMMEDIATE
    # takes the write lock at once, so it never has to upgrade a read lock (which fails at
    # once with "database is locked") and writers queue on busy_timeout.
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _postgresql_connect(dbapi_connection: Any, record: Any) -> None:
    # No parallel workers: this node's queries are short and stop at a page, and starting
    # workers cost more than they save (a filtered directory page: 27 ms with one, 7 without).
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
    dbapi_connection.autocommit = autocommit
    record.info[PREPARE_THRESHOLD] = dbapi_connection.prepare_threshold


def _postgresql_begin(conn: Connection) -> None:
    # psycopg then begins with `BEGIN READ ONLY` (or plain `BEGIN`): no extra round trip.
    options = conn.get_execution_options()
    read_only = bool(options.get(READ_ONLY))
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection is not None and dbapi_connection.read_only != read_only:
        dbapi_connection.read_only = read_only
        # Reads are planned for their own values, never prepared: once psycopg prepared a
        # search, PostgreSQL's generic plan for it took any word for a rare one (counting
        # "régie" through the GIN index: 14 ms; 5 ms planned for the word). Writes keep
        # their prepared plans: planning a page's multi-row inserts anew each time cost a
        # sixth of PostgreSQL's apply.
        written = conn.connection.info[PREPARE_THRESHOLD]  # as the connection came
        dbapi_connection.prepare_threshold = None if read_only else written
    if options.get(BRIEF):
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {BRIEF_WAIT_MS}")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine for `url` with the pragmas and pool settings this project relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 10},
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)
    event.listen(engine, "connect", _postgresql_connect)
    event.listen(engine, "begin", _postgresql_begin)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any exception."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for reading only (`READ_ONLY`): a write in it fails."""
    with factory() as session, session.begin():
        session.connection(execution_options={READ_ONLY: True})
        yield session


def read_only(session: Session) -> bool:
    """Whether `session`'s transaction is one of `reading`'s."""
    return bool(session.connection().get_execution_options().get(READ_ONLY))


def write_beside(session: Session, write: Callable[[Session], object]) -> bool:
    """Run `write` in `session`, or, when `session` only reads, in a short transaction of its
    own, for what a read notes in passing (a token's last use, a dashboard visit).

    That transaction waits at most `BRIEF_WAIT_MS` for a lock (on SQLite, a pull applying a
    page holds the only one), then gives up and the note is skipped: the read answers anyway
    (so is a note that a concurrent twin request already wrote).
    Returns whether `write` was committed (or, in `session`, ran).
    """
    if not read_only(session):
        write(session)
        return True
    try:
        with Session(session.get_bind(), expire_on_commit=False) as other, other.begin():
            other.connection(execution_options={BRIEF: True})
            write(other)
    except (OperationalError, IntegrityError) as exc:  # busy, or noted by a twin request
        log.info("a write noted in passing was skipped: %s", exc)
        return False
    return True
