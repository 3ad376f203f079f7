"""Leader election: exactly one scheduler runs per node, however many processes start one.

PostgreSQL: a session-level advisory lock held on a dedicated connection; the server frees it
when the process dies, so another process takes over at its next attempt. SQLite: a lease row
in `fed_leader`, renewed well within its lifetime; a dead leader's lease simply expires, or is
taken over at once when its holder was a process of this host that no longer runs (a node
killed with -9 and restarted leads, pulls and delivers at once, not a lease later).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, Engine, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from federation.models import FedLeader

__all__ = ["Leadership", "PostgresLeadership", "SqliteLeadership", "leadership_for"]

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"


class Leadership(Protocol):
    """Try to be (or stay) the leader; `release` steps down."""

    def hold(self) -> bool:
        """True while this process is the leader (acquires or renews as needed)."""
        ...

    def release(self) -> None:
        """Give up leadership (on shutdown), so another process takes over at once."""
        ...


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _gone(holder: str) -> bool:
    """Whether `holder` (a `holder_id`) was a process of this host that no longer runs. A
    holder of another host, or a process id that is alive (possibly reused), is not gone:
    then only its lease's expiry frees the lead."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, but another user's
        return False
    return False


class SqliteLeadership:
    """A lease row: whoever holds an unexpired lease leads; renewing extends it."""

    def __init__(self, engine: Engine, *, lease_seconds: float) -> None:
        self._engine = engine
        self._lease = timedelta(seconds=lease_seconds)
        self.holder = holder_id()

    def hold(self) -> bool:
        now = datetime.now(UTC)
        expires = now + self._lease
        try:
            with self._engine.begin() as conn:
                taken = conn.execute(
                    update(FedLeader)
                    .where(
                        FedLeader.name == LEASE_NAME,
                        (FedLeader.holder == self.holder) | (FedLeader.expires_at < now),
                    )
                    .values(holder=self.holder, expires_at=expires)
                ).rowcount
                if taken:
                    return True
                holder = conn.scalar(select(FedLeader.holder).where(FedLeader.name == LEASE_NAME))
                if holder is not None:
                    if not _gone(holder):
                        return False
                    log.info("the scheduler's leader %s is gone: taking over its lease", holder)
                    return bool(
                        conn.execute(
                            update(FedLeader)
                            .where(FedLeader.name == LEASE_NAME, FedLeader.holder == holder)
                            .values(holder=self.holder, expires_at=expires)
                        ).rowcount
                    )
                conn.execute(
                    insert(FedLeader).values(
                        name=LEASE_NAME, holder=self.holder, expires_at=expires
                    )
                )
                return True
        except (IntegrityError, DBAPIError) as exc:
            # Another process took it between our update and insert, or the database is
            # busy: we are not the leader this time; the next attempt decides again.
            log.debug("leadership not acquired: %s", exc)
            return False

    def release(self) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(FedLeader)
                .where(FedLeader.name == LEASE_NAME, FedLeader.holder == self.holder)
                .values(expires_at=datetime.fromtimestamp(0, UTC))
            )


class PostgresLeadership:
    """A session-level advisory lock, keyed by node and schema, held on its own connection."""

    def __init__(self, engine: Engine, *, node: str) -> None:
        self._engine = engine
        self._node = node
        self._conn: Connection | None = None

    def _key(self, conn: Connection) -> int:
        schema = conn.scalar(text("SELECT current_schema()")) or ""
        digest = hashlib.sha256(f"archipel:{self._node}:{schema}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def hold(self) -> bool:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                # The lock belongs to the session, not the transaction: end the transaction
                # so the connection never sits "idle in transaction" (servers time those out).
                self._conn.commit()
                return True
            except DBAPIError:
                log.warning("lost the leader connection; trying to lead again")
                self._drop()
        conn = self._engine.connect()
        try:
            got = bool(conn.scalar(select(func.pg_try_advisory_lock(self._key(conn)))))
            conn.commit()
        except DBAPIError:
            conn.close()
            return False
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(select(func.pg_advisory_unlock_all()))
                self._conn.commit()
            finally:
                self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.invalidate()
            conn.close()


def leadership_for(engine: Engine, *, node: str, lease_seconds: float) -> Leadership:
    if engine.dialect.name == "postgresql":
        return PostgresLeadership(engine, node=node)
    return SqliteLeadership(engine, lease_seconds=lease_seconds)
