"""The node's ASGI application, built from its settings by `create_app`."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import URL, Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from node import __version__
from node.api import (
    audit,
    auth,
    budgets,
    compliance,
    contracts,
    crm,
    daysheets,
    engagements,
    hints,
    hosting,
    loans,
    members,
    network,
    office,
    operations,
    organisations,
    productions,
    resources,
    tourdates,
)
from node.db import make_engine
from node.federated import wire
from node.guards import NulGuard
from node.problems import install_handlers, problem_response
from node.settings import Settings
from node.web import install as install_pages

ROUTERS = (
    auth.router,
    members.router,
    productions.router,
    tourdates.router,
    organisations.router,
    resources.router,
    network.router,
    audit.router,
    operations.router,
    crm.router,
    engagements.router,
    contracts.router,
    office.router,
    budgets.router,
    daysheets.router,
    daysheets.public_router,
    compliance.router,
    hints.router,
    loans.router,
    hosting.router,
)


class BodyLimit:
    """Refuse local API bodies over the configured size before any route reads them.

    Federation routes have their own limit (`federation.max_body_bytes`), checked there.
    A plain ASGI middleware: it only reads a header, so it needs neither a `Request` nor the
    task group and streams `BaseHTTPMiddleware` sets up around every request.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/federation/"):
            length = Headers(scope=scope).get("content-length")
            if length is not None and length.isdigit() and int(length) > self.limit:
                response = problem_response(
                    413,
                    "Content Too Large",
                    f"the request body is {length} bytes; this node accepts at most {self.limit}",
                    instance=URL(scope=scope).path,
                    code="body_too_large",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    federation_transport: httpx.BaseTransport | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """Build the node's application.

    `engine` overrides the settings' database and `federation_transport` the network (tests
    run several nodes in one process). The scheduler starts with the app's lifespan when
    `federation.enabled` is on.
    """
    owns_engine = engine is None
    engine = engine or make_engine(settings.database_url, echo=settings.database.echo)
    wiring = wire(settings, engine, transport=federation_transport, clock=clock)
    federation = wiring.federation

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            federation.ensure_genesis()
        except IntegrityError:
            # Several web processes started at once: another one wrote the genesis first.
            federation.ensure_genesis()
        if settings.federation.enabled:
            wiring.start(elect=True)
        try:
            yield
        finally:
            wiring.stop()
            if owns_engine:
                engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title=f"Archipel — {settings.node.name}",
        version=__version__,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = wiring.sessions
    app.state.federation = federation
    app.state.exchange = wiring.exchange
    install_handlers(app)
    app.add_middleware(NulGuard)
    app.add_middleware(BodyLimit, limit=settings.security.max_body_bytes)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(federation.router)
    install_pages(app)
    return app
