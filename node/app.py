"""The node's ASGI application, built from its settings by `create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from node import __version__
from node.api import audit, auth, members
from node.db import make_engine, make_sessionmaker
from node.migrations import current_revision, head_revision
from node.problems import install_handlers, problem_response
from node.settings import Settings
from schemas.accounts import NodeInfo


class BodyLimit(BaseHTTPMiddleware):
    """Refuse bodies over the configured size before any route reads them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        super().__init__(app)
        self.limit = limit

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return problem_response(
                413,
                "Content Too Large",
                f"the request body is {length} bytes; this node accepts at most {self.limit}",
                instance=request.url.path,
            )
        return await call_next(request)


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """Build the node's application; `engine` overrides the settings' database (tests)."""
    owns_engine = engine is None
    engine = engine or make_engine(settings.database_url, echo=settings.database.echo)
    sessions: sessionmaker[Session] = make_sessionmaker(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
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
    app.state.sessions = sessions
    install_handlers(app)
    app.add_middleware(BodyLimit, limit=settings.security.max_body_bytes)
    for router in (auth.router, members.router, audit.router):
        app.include_router(router)

    @app.get("/api/node", response_model=NodeInfo, tags=["node"])
    def node_info() -> NodeInfo:
        return NodeInfo(
            slug=settings.node.slug,
            name=settings.node.name,
            territory=settings.node.territory,
            url=settings.node.url,
            software_version=__version__,
        )

    @app.get("/health", tags=["operations"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/ready", tags=["operations"])
    def ready() -> JSONResponse:
        """Readiness: the database answers and its schema is at the code's migration head."""
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                current = current_revision(conn)
        except Exception as exc:  # any database failure means "not ready", with the reason
            return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)
        head = head_revision()
        if current != head:
            return JSONResponse(
                {"status": "migrations pending", "current": current, "head": head},
                status_code=503,
            )
        return JSONResponse({"status": "ready", "revision": current})

    return app
