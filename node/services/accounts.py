"""Accounts, API tokens and login sessions: creating, checking and revoking them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from node.actors import Actor, Role
from node.db import write_beside
from node.models import Account, ApiToken, LoginSession, Member
from node.problems import Conflict, DomainError, NotFound, Unauthenticated
from node.security import (
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    verify_password,
)

MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class IssuedToken:
    """A token as shown once to its owner: the secret is never stored."""

    id: str
    token: str
    role: Role


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters",
            code="password_too_short",
            min_length=MIN_PASSWORD_LENGTH,
        )


def create_account(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    member_id: str | None = None,
    must_change_password: bool = False,
) -> Account:
    username = username.strip().lower()
    if not username:
        raise DomainError("a username is required", code="username_required")
    _check_password_strength(password)
    if session.scalar(select(Account.id).where(Account.username == username)):
        raise Conflict(f"the username {username!r} is taken", code="username_taken")
    if member_id is not None and session.get(Member, member_id) is None:
        raise NotFound(f"no member with id {member_id!r}", code="member_unknown")
    account = Account(
        username=username,
        password_hash=hash_password(password),
        role=role.value,
        member_id=member_id,
        must_change_password=must_change_password,
    )
    session.add(account)
    session.flush()
    return account


def authenticate(session: Session, *, username: str, password: str) -> Account:
    """The account for these credentials; one vague error for any failure."""
    account = session.scalar(select(Account).where(Account.username == username.strip().lower()))
    if account is None or not verify_password(account.password_hash, password):
        raise Unauthenticated("unknown username or wrong password", code="login_failed")
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    account.last_login_at = datetime.now(UTC)
    return account


def change_password(session: Session, *, account_id: str, current: str, new: str) -> None:
    account = session.get(Account, account_id)
    if account is None or not verify_password(account.password_hash, current):
        raise Unauthenticated("the current password is wrong", code="password_wrong")
    _check_password_strength(new)
    account.password_hash = hash_password(new)
    account.must_change_password = False
    # Other sessions of this account end: a password change is often a response to a leak.
    session.execute(delete(LoginSession).where(LoginSession.account_id == account_id))


def actor_for_account(account: Account) -> Actor:
    return Actor(name=account.username, role=Role(account.role), member_id=account.member_id)


def create_token(
    session: Session, *, role: Role, member_id: str | None = None, label: str = ""
) -> IssuedToken:
    if role is Role.member and member_id is None:
        raise DomainError(
            "a member token needs the member it belongs to (--member ID)",
            code="token_needs_member",
        )
    if member_id is not None and session.get(Member, member_id) is None:
        raise NotFound(f"no member with id {member_id!r}", code="member_unknown")
    secret = new_token()
    row = ApiToken(
        token_hash=token_digest(secret), role=role.value, member_id=member_id, label=label
    )
    session.add(row)
    session.flush()
    return IssuedToken(id=row.id, token=secret, role=role)


def revoke_token(session: Session, *, token_id: str) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token with id {token_id!r}")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
    return row


def list_tokens(session: Session) -> Sequence[ApiToken]:
    return session.scalars(select(ApiToken).order_by(ApiToken.created_at)).all()


def actor_for_token(session: Session, token: str) -> Actor:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("the API token is unknown or revoked", code="token_invalid")
    now = datetime.now(UTC)
    # Written at most once a minute: a busy client must not turn every read into a write.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        touch = update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now)
        write_beside(session, lambda writing: writing.execute(touch))
    return Actor(name=f"token:{row.id[:8]}", role=Role(row.role), member_id=row.member_id)


@dataclass(frozen=True)
class OpenedSession:
    token: str
    csrf_token: str
    expires_at: datetime


def open_session(session: Session, *, account: Account, days: int) -> OpenedSession:
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    expires = datetime.now(UTC) + timedelta(days=days)
    session.add(
        LoginSession(
            token_hash=token_digest(secret),
            csrf_token=csrf,
            account_id=account.id,
            expires_at=expires,
        )
    )
    session.flush()
    return OpenedSession(token=secret, csrf_token=csrf, expires_at=expires)


def session_account(session: Session, token: str) -> tuple[Account, LoginSession]:
    login = session.scalar(
        select(LoginSession).where(LoginSession.token_hash == token_digest(token))
    )
    if login is None or login.expires_at <= datetime.now(UTC):
        raise Unauthenticated(
            "the login session is unknown or has expired; log in again", code="session_expired"
        )
    account = session.get(Account, login.account_id)
    if account is None:
        raise Unauthenticated(
            "the account of this session no longer exists", code="session_expired"
        )
    return account, login


def close_session(session: Session, *, token: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_hash == token_digest(token)))
