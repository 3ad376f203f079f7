"""`/api/auth` and `/api/me`: logging in and out with a session cookie, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from node.api.deps import (
    SESSION_COOKIE,
    AppSettings,
    CurrentActor,
    Db,
    Sessions,
    client_address,
)
from node.problems import DomainError, Unauthenticated
from node.services import accounts, logins
from node.settings import Settings
from schemas.accounts import LoginRequest, LoginResult, Me, PasswordChange

router = APIRouter(prefix="/api", tags=["auth"])


@router.post(
    "/auth/login",
    response_model=LoginResult,
    responses={429: {"description": "Too many failed logins from this address; see Retry-After"}},
)
def login(
    request: Request,
    data: LoginRequest,
    sessions: Sessions,
    settings: AppSettings,
    response: Response,
) -> LoginResult:
    done = logins.log_in(
        sessions,
        username=data.username,
        password=data.password,
        address=client_address(request),
        limit=login_limit(settings),
        days=settings.security.session_days,
    )
    account, opened = done.account, done.opened
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        max_age=settings.security.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.cookies_secure,
        path="/",
    )
    return LoginResult(
        username=account.username,
        role=account.role,
        csrf_token=opened.csrf_token,
        expires_at=opened.expires_at,
        must_change_password=account.must_change_password,
    )


def login_limit(settings: Settings) -> logins.LoginLimit:
    return logins.LoginLimit(
        max_failures=settings.security.login_max_failures,
        window=settings.security.login_window,
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, db: Db, _actor: CurrentActor) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        accounts.close_session(db, token=cookie)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    request: Request, data: PasswordChange, db: Db, _actor: CurrentActor
) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise DomainError(
            "change your password from a login session, not with an API token",
            code="password_change_needs_session",
        )
    account, _login = accounts.session_account(db, cookie)
    try:
        accounts.change_password(
            db, account_id=account.id, current=data.current_password, new=data.new_password
        )
    except Unauthenticated as exc:
        raise DomainError(exc.detail, code=exc.code) from exc
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=Me)
def me(actor: CurrentActor) -> Me:
    return Me(name=actor.name, role=actor.role.value, member_id=actor.member_id)
