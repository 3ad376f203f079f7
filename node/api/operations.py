"""Operations endpoints: liveness, readiness, node identity, sync status and metrics."""

from __future__ import annotations

import ipaddress

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import Engine, text

from federation.service import Federation, FederationStatus
from node import __version__
from node.actors import Role
from node.api.deps import AppSettings, CurrentActor, Db, get_actor
from node.db import READ_ONLY
from node.problems import Forbidden
from schemas.accounts import NodeInfo

router = APIRouter(tags=["operations"])


@router.get("/api/node", response_model=NodeInfo, tags=["node"])
def node_info(settings: AppSettings) -> NodeInfo:
    return NodeInfo(
        slug=settings.node.slug,
        name=settings.node.name,
        territory=settings.node.territory,
        url=settings.node.url,
        software_version=__version__,
    )


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/ready")
def ready(request: Request) -> JSONResponse:
    """Readiness: the database answers and its schema is at the code's migration head."""
    # Alembic (some 10 MB) loads on the first readiness check, not in every serving process.
    from node.migrations import current_revision, head_revision

    engine: Engine = request.app.state.engine
    try:
        # Read-only, so the check answers beside a pull's writes instead of waiting for them.
        with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            conn.execute(text("SELECT 1"))
            current = current_revision(conn)
    except Exception as exc:  # any database failure means "not ready", with the reason
        return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)
    head = head_revision()
    if current != head:
        return JSONResponse(
            {"status": "migrations pending", "current": current, "head": head}, status_code=503
        )
    return JSONResponse({"status": "ready", "revision": current})


@router.get("/api/federation/status", response_model=FederationStatus, tags=["federation"])
def federation_status(request: Request, db: Db, _actor: CurrentActor) -> FederationStatus:
    """Per peer and per origin: cursor, lag, last success, last error."""
    federation: Federation = request.app.state.federation
    return federation.status(db)


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request, db: Db) -> PlainTextResponse:
    """Prometheus metrics: from loopback (a local scraper), or with an admin token."""
    client = request.client.host if request.client else ""
    try:
        local = ipaddress.ip_address(client).is_loopback
    except ValueError:
        local = client == "testclient"
    if not local and not get_actor(request, db).can(Role.admin):
        raise Forbidden("metrics are served to loopback or to an admin token", code="admin_only")
    federation: Federation = request.app.state.federation
    return PlainTextResponse(
        federation.metrics_text(), media_type="text/plain; version=0.0.4; charset=utf-8"
    )
