"""Password logins with a limit on failures per account and client address.

Failures are counted in the database, so every web process of a node (`serve --workers`,
several hosts behind one proxy) shares one count: each failure is a row of `login_failures`
under a key derived from the username and the address, expiring `login_window` seconds
later, so the live rows of a key are a sliding window; the node's jobs delete expired rows
(`forget_expired`). While an account and address hold `login_max_failures` live failures,
logging in from there is refused before any password is checked (a right password too),
until the oldest failure expires; a success clears the count.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from node.models import Account, LoginFailure
from node.problems import TooManyRequests, Unauthenticated
from node.services import accounts


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
    return hashlib.sha256(f"{username.strip().lower()}\n{address}".encode()).hexdigest()


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
                    LoginFailure(
                        key=key,
                        nonce=secrets.token_hex(16),
                        expires_at=now + timedelta(seconds=limit.window),
                    )
                )
        else:
            session.execute(delete(LoginFailure).where(LoginFailure.key == key))
            return LoggedIn(account, accounts.open_session(session, account=account, days=days))
    raise failure


def seconds_locked(session: Session, *, key: str, limit: LoginLimit, now: datetime) -> int:
    """Whole seconds until `key` may try again; 0 when it may now."""
    if not limit.max_failures:
        return 0
    session.execute(
        delete(LoginFailure).where(LoginFailure.key == key, LoginFailure.expires_at <= now)
    )
    expiries = session.scalars(
        select(LoginFailure.expires_at)
        .where(LoginFailure.key == key)
        .order_by(LoginFailure.expires_at)
    ).all()
    if len(expiries) < limit.max_failures:
        return 0
    # Allowed again once enough failures expired to fall below the limit.
    free_at = expiries[len(expiries) - limit.max_failures]
    return max(1, math.ceil((free_at - now).total_seconds()))


def forget_expired(session: Session, *, now: datetime) -> int:
    """Delete the failures that no longer count, of every key; returns how many."""
    result = session.execute(delete(LoginFailure).where(LoginFailure.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
