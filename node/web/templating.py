"""Rendering pages: the Jinja2 environment and what every template can use."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from node.web.forms import as_text
from node.web.i18n import LANGUAGE_COOKIE, Speaker, negotiate

STATIC_DIR = Path(__file__).parent / "static"

environment = Environment(
    loader=PackageLoader("node.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals["as_text"] = as_text


def _todate(value: str) -> date | None:
    """An ISO date string (as replicated bodies carry them) as a date."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


environment.filters["todate"] = _todate
ANON_CSRF_COOKIE = "archipel_csrf"


def speaker(request: Request) -> Speaker:
    """The request's language, negotiated once and kept on the request."""
    found: Speaker | None = getattr(request.state, "speaker", None)
    if found is None:
        language = negotiate(
            request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
        )
        found = Speaker(language)
        request.state.speaker = found
    return found


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render `template` in the request's language with the common context."""
    speak = speaker(request)
    settings = request.app.state.settings
    csrf = getattr(request.state, "csrf", "")
    fresh_anonymous = False
    if not csrf:
        # Forms shown before login (login, language) use a double-submit cookie.
        csrf = request.cookies.get(ANON_CSRF_COOKIE) or secrets.token_urlsafe(24)
        fresh_anonymous = ANON_CSRF_COOKIE not in request.cookies
    full = {
        "request": request,
        "_": speak.gettext,
        "gettext": speak.gettext,
        "ngettext": speak.ngettext,
        "fmt": speak,
        "lang": speak.language,
        "node": settings.node,
        "path": request.url.path,
        "viewer": getattr(request.state, "viewer", None),
        "csrf": csrf,
        **context,
    }
    html = environment.get_template(template).render(full)
    response = HTMLResponse(html, status_code=status_code)
    # Pages hold personal data: never cached by a shared proxy; language decides the body.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Vary"] = "Cookie, Accept-Language"
    if fresh_anonymous:
        response.set_cookie(ANON_CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/")
    return response
