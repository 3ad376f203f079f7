"""Dependencies of the API routes: the database session, the caller, versions, paging."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from node.actors import Actor, Role
from node.db import reading
from node.problems import DomainError, Forbidden, Unauthenticated
from node.services import accounts
from node.services.loans import Exchange
from node.settings import Settings
from schemas.common import Page

SESSION_COOKIE = "archipel_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, before the response
    leaves (`Db`), rolled back on error.

    A GET or HEAD only reads (`node.db.reading`), so on SQLite it does not wait for a writer
    (a pull applying pages, say); the little such a request writes (a token's last use, a
    dashboard visit) goes through a short transaction of its own (`node.db.write_beside`)."""
    factory: sessionmaker[Session] = request.app.state.sessions
    if request.method in SAFE_METHODS:
        with reading(factory) as session:
            yield session
        return
    with factory() as session, session.begin():
        yield session


def get_sessions(request: Request) -> sessionmaker[Session]:
    """The session factory, for the few routes that commit in steps of their own (login)."""
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def client_address(request: Request) -> str:
    """The caller's IP address (the proxy's `X-Forwarded-For` when the proxy is trusted)."""
    return request.client.host if request.client is not None else "unknown"


# "function": the commit runs when the route returns, before the response is sent (FastAPI's
# default runs it after), so a request that follows the answer sees what it acknowledged: a
# read no longer waits for the write lock that used to hold it back on SQLite.
Db = Annotated[Session, Depends(get_db, scope="function")]
Sessions = Annotated[sessionmaker[Session], Depends(get_sessions)]
AppSettings = Annotated[Settings, Depends(get_settings)]


def get_actor(request: Request, db: Db) -> Actor:
    """The caller, from a bearer token or a login-session cookie (with CSRF on writes)."""
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use `Authorization: Bearer <token>`", code="bearer_malformed")
        return accounts.actor_for_token(db, token.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        account, login = accounts.session_account(db, cookie)
        if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != (
            login.csrf_token
        ):
            raise Forbidden(
                f"a request made with a login session must carry the {CSRF_HEADER} header",
                code="csrf_missing",
            )
        return accounts.actor_for_account(account)
    raise Unauthenticated("authenticate with a bearer token or log in")


CurrentActor = Annotated[Actor, Depends(get_actor)]


def require(role: Role) -> object:
    """A dependency that refuses callers below `role`."""

    def check(actor: CurrentActor) -> Actor:
        if not actor.can(role):
            raise Forbidden(
                f"this needs the {role.value} role; you are {actor.role.value}",
                code="role_required",
            )
        return actor

    return Depends(check)


StaffActor = Annotated[Actor, require(Role.staff)]
AdminActor = Annotated[Actor, require(Role.admin)]


def parse_if_match(if_match: Annotated[str | None, Header()] = None) -> int | None:
    """The version an `If-Match` header names (`"3"`, `W/"3"` or `3`), if any."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise DomainError(
            f'If-Match must be a version ETag like "3", not {if_match!r}', code="if_match_invalid"
        )
    return int(value)


IfMatch = Annotated[int | None, Depends(parse_if_match)]
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page (1-500).")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Items to skip.")]


R = TypeVar("R")
T = TypeVar("T")


def paged(
    page: type[Page[T]],
    rows: Sequence[R],
    present: Callable[[Sequence[R]], list[T]],
    *,
    limit: int,
    offset: int,
) -> Page[T]:
    """One page of a list the service reads whole (a date's team, a production's contracts):
    only the page's rows are presented."""
    items = present(rows[offset : offset + limit])
    return page.of(items, total=len(rows), limit=limit, offset=offset)


def etag(version: int) -> str:
    return f'"{version}"'


def get_exchange(request: Request) -> Exchange:
    """What the loan and hosting services send messages through."""
    exchange: Exchange = request.app.state.exchange
    return exchange


Exchanges = Annotated[Exchange, Depends(get_exchange)]
