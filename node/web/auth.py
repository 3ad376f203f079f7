"""Logging in and out, changing a password, the first-run page, the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from node.api.auth import login_limit
from node.api.deps import SESSION_COOKIE, AppSettings, Db, Sessions, client_address
from node.problems import TooManyRequests, Unauthenticated
from node.services import accounts, logins
from node.web.deps import (
    CurrentViewer,
    MaybeViewer,
    Posted,
    account_of,
    check_csrf,
    safe_next,
)
from node.web.errors import problem_message
from node.web.i18n import LANGUAGE_COOKIE, LANGUAGES
from node.web.templating import ANON_CSRF_COOKIE, render, speaker

router = APIRouter()
YEAR = 365 * 86400


def _login_page(request: Request, *, error: str = "", status: int = 200) -> Response:
    _ = speaker(request).gettext
    return render(
        request,
        "login.html",
        {"title": _("Connexion"), "error": error, "next": request.query_params.get("suivant", "")},
        status_code=status,
    )


@router.get("/connexion")
def login_form(request: Request, viewer: MaybeViewer) -> Response:
    if viewer is not None:
        return RedirectResponse("/", status_code=303)
    return _login_page(request)


@router.post("/connexion")
def login(request: Request, form: Posted, sessions: Sessions, settings: AppSettings) -> Response:
    check_csrf(form, request.cookies.get(ANON_CSRF_COOKIE, ""))
    _ = speaker(request).gettext
    try:
        done = logins.log_in(
            sessions,
            username=str(form.get("username", "")),
            password=str(form.get("password", "")),
            address=client_address(request),
            limit=login_limit(settings),
            days=settings.security.session_days,
        )
    except Unauthenticated as exc:
        return _login_page(request, error=problem_message(exc, _), status=401)
    except TooManyRequests as exc:
        page = _login_page(request, error=problem_message(exc, _), status=429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    account, opened = done.account, done.opened
    target = (
        "/bienvenue" if account.must_change_password else safe_next(str(form.get("suivant", "")))
    )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        max_age=settings.security.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.cookies_secure,
        path="/",
    )
    response.delete_cookie(ANON_CSRF_COOKIE, path="/")
    return response


@router.post("/deconnexion")
def logout(request: Request, form: Posted, db: Db, viewer: CurrentViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    accounts.close_session(db, token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/connexion", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/bienvenue")
def welcome(request: Request, viewer: CurrentViewer) -> Response:
    _ = speaker(request).gettext
    return render(
        request, "password.html", {"title": _("Bienvenue"), "first_run": True, "errors": {}}
    )


@router.get("/mot-de-passe")
def password_form(request: Request, viewer: CurrentViewer) -> Response:
    _ = speaker(request).gettext
    return render(
        request,
        "password.html",
        {"title": _("Changer de mot de passe"), "first_run": False, "errors": {}},
    )


@router.post("/mot-de-passe")
def change_password(
    request: Request, form: Posted, db: Db, settings: AppSettings, viewer: CurrentViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    _ = speaker(request).gettext
    current, new = str(form.get("current", "")), str(form.get("new", ""))
    errors: dict[str, str] = {}
    if len(new) < accounts.MIN_PASSWORD_LENGTH:
        errors["new"] = _("Au moins %(n)s caractères.") % {"n": accounts.MIN_PASSWORD_LENGTH}
    elif new != str(form.get("confirm", "")):
        errors["confirm"] = _("Les deux saisies ne sont pas identiques.")
    if not errors:
        try:
            accounts.change_password(db, account_id=viewer.account_id, current=current, new=new)
        except Unauthenticated as exc:
            errors["current"] = problem_message(exc, _)
    if errors:
        first_run = viewer.must_change_password
        title = _("Bienvenue") if first_run else _("Changer de mot de passe")
        return render(
            request,
            "password.html",
            {"title": title, "first_run": first_run, "errors": errors},
            status_code=422,
        )
    # Changing the password ended every session of the account; open a fresh one.
    opened = accounts.open_session(
        db, account=account_of(db, viewer), days=settings.security.session_days
    )
    response = RedirectResponse("/?notice=password", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        max_age=settings.security.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.cookies_secure,
        path="/",
    )
    return response


@router.post("/langue")
def switch_language(request: Request, form: Posted, viewer: MaybeViewer) -> Response:
    expected = viewer.csrf_token if viewer else request.cookies.get(ANON_CSRF_COOKIE, "")
    check_csrf(form, expected)
    language = str(form.get("lang", ""))
    response = RedirectResponse(safe_next(str(form.get("suivant", ""))), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=YEAR, samesite="lax", path="/")
    return response
