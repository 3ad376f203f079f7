"""Password logins with a limit on failures per account and client address.

Failures are counted in the database, so every web process of a node (`serve --workers`,
several hosts behind one proxy) shares one count: each failure is a row of `fed_nonces` (the
table of spent values kept until they expire) under a key derived from the username and the
address, expiring `login_window` seconds later. A sliding window thus needs no new table, and
the federation housekeeping already deletes expired rows. While an account and address hold
`login_max_failures` live failures, logging in from there is refused before any password is
checked (a right password too), until the oldest failure expires; a success clears the count.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from federation.models import FedNonce
from node.models import Account
from node.problems import TooManyRequests, Unauthenticated
from node.services import accounts

KEY_PREFIX = "login-failure:"


@dataclass(frozen=True)
class LoginLimit:
    """How many failures (`max_failures`, 0 for no limit) within `window` seconds lock out."""

    max_failures: int
    window: float


@dataclass(frozen=True)
class LoggedIn:
    account: Account
    opened: accounts.OpenedSession


def failure_key(username: str, address: str) -> str:
    """The row key of an account and address: a digest, so addresses are not stored as such."""
    digest = hashlib.sha256(f"{username.strip().lower()}\n{address}".encode()).hexdigest()
    return KEY_PREFIX + digest


def log_in(
    sessions: sessionmaker[Session],
    *,
    username: str,
    password: str,
    address: str,
    limit: LoginLimit,
    days: int,
    now: datetime | None = None,
) -> LoggedIn:
    """Check the credentials and open a login session, unless this account and address are
    locked out (`TooManyRequests`, with the seconds to wait). Its own transaction: a failure
    is counted even though the caller then answers with an error."""
    now = now or datetime.now(UTC)
    key = failure_key(username, address)
    with sessions() as session, session.begin():
        wait = seconds_locked(session, key=key, limit=limit, now=now)
        if wait:
            raise TooManyRequests(
                f"too many failed logins from your address; try again in {wait} s",
                retry_after=wait,
                code="login_throttled",
            )
        try:
            account = accounts.authenticate(session, username=username, password=password)
        except Unauthenticated as exc:
            failure: Unauthenticated = exc
            if limit.max_failures:
                session.add(
                    FedNonce(
                        key_id=key,
                        nonce=secrets.token_hex(16),
                        expires_at=now + timedelta(seconds=limit.window),
                    )
                )
        else:
            session.execute(delete(FedNonce).where(FedNonce.key_id == key))
            return LoggedIn(account, accounts.open_session(session, account=account, days=days))
    raise failure


def seconds_locked(session: Session, *, key: str, limit: LoginLimit, now: datetime) -> int:
    """Whole seconds until `key` may try again; 0 when it may now."""
    if not limit.max_failures:
        return 0
    session.execute(delete(FedNonce).where(FedNonce.key_id == key, FedNonce.expires_at <= now))
    expiries = session.scalars(
        select(FedNonce.expires_at).where(FedNonce.key_id == key).order_by(FedNonce.expires_at)
    ).all()
    if len(expiries) < limit.max_failures:
        return 0
    # Allowed again once enough failures expired to fall below the limit.
    free_at = expiries[len(expiries) - limit.max_failures]
    return max(1, math.ceil((free_at - now).total_seconds()))
