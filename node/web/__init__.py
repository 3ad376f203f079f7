"""The bureau's web pages: server-rendered, French first, calling the same services as the API.

`install(app)` adds the pages, their static files and their error pages to the node's app.
"""

from __future__ import annotations

import inspect

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.problems import DomainError
from node.web import (
    auth,
    dates,
    directory,
    feeds,
    home,
    hosting,
    loans,
    members,
    network,
    office_budgets,
    office_crm,
    office_dates,
    office_documents,
    office_organisations,
    office_settings,
    office_settlements,
    office_team,
    organisations,
    productions,
    profile,
    public,
    resources,
)
from node.web.deps import Redirect
from node.web.errors import problem_message, status_message
from node.web.templating import STATIC_DIR, render, speaker

ROUTERS = (
    auth.router,
    home.router,
    directory.router,
    profile.router,
    members.router,
    productions.router,
    dates.router,
    organisations.router,
    office_crm.router,
    office_dates.router,
    office_team.router,
    office_documents.router,
    office_budgets.router,
    office_settlements.router,
    office_settings.router,
    office_organisations.router,
    resources.router,
    network.router,
    loans.router,
    hosting.router,
    feeds.router,
    public.router,
)
API_PREFIXES = ("/api", "/federation", "/metrics", "/health", "/ready", "/static")


def is_page(request: Request) -> bool:
    """Whether the request is for a page (errors as HTML) rather than the API (problems)."""
    return not request.url.path.startswith(API_PREFIXES)


def error_page(request: Request, status: int, detail: str) -> Response:
    """The HTML page of a refusal; `detail` is already in the reader's language."""
    return render(
        request,
        "error.html",
        {"title": str(status), "status": status, "detail": detail},
        status_code=status,
    )


def install(app: FastAPI) -> None:
    """Add the pages, `/static` and HTML error pages (the API keeps its problem details)."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Browsers ask for /favicon.ico where a document names no icon (a PDF, a feed).
    app.add_api_route(
        "/favicon.ico",
        lambda: RedirectResponse("/static/favicon.svg", status_code=301),
        include_in_schema=False,
    )
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
    api_domain = app.exception_handlers[DomainError]
    api_http = app.exception_handlers[StarletteHTTPException]

    async def domain(request: Request, exc: Exception) -> Response:
        if isinstance(exc, Redirect):
            return RedirectResponse(exc.location, status_code=303)
        if is_page(request) and isinstance(exc, DomainError):
            return error_page(request, exc.status, problem_message(exc, speaker(request).gettext))
        response = api_domain(request, exc)
        return await response if inspect.isawaitable(response) else response

    async def http(request: Request, exc: Exception) -> Response:
        if is_page(request) and isinstance(exc, StarletteHTTPException):
            _ = speaker(request).gettext
            return error_page(request, exc.status_code, status_message(exc.status_code, _))
        response = api_http(request, exc)
        return await response if inspect.isawaitable(response) else response

    app.add_exception_handler(DomainError, domain)
    app.add_exception_handler(StarletteHTTPException, http)
