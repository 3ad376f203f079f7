"""Calendar subscriptions: create or revoke my address for a calendar; serve the .ics file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from node.api.deps import AppSettings, Db
from node.services import feeds
from node.web.deps import CurrentViewer, Posted, Viewer, check_csrf, safe_next

router = APIRouter()


def feed_context(
    db: Db, settings: AppSettings, viewer: Viewer, kind: str, target: str = ""
) -> dict[str, Any]:
    """What the subscription box of a page shows: the viewer's address, if they made one."""
    feed = feeds.active_feed(db, account_id=viewer.account_id, kind=kind, target_id=target)
    url = f"{settings.node.url}/agendas/{feed.token}.ics" if feed else ""
    return {"feed_kind": kind, "feed_target": target, "feed_url": url}


@router.post("/agendas")
def subscribe(form: Posted, db: Db, viewer: CurrentViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    feeds.create_feed(
        db,
        account_id=viewer.account_id,
        kind=str(form.get("kind", "")),
        target_id=str(form.get("target", "")),
    )
    return RedirectResponse(f"{safe_next(str(form.get('suivant', '')))}?notice=feed", 303)


@router.post("/agendas/revoquer")
def revoke(form: Posted, db: Db, viewer: CurrentViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    feeds.revoke_feed(
        db,
        account_id=viewer.account_id,
        kind=str(form.get("kind", "")),
        target_id=str(form.get("target", "")),
    )
    return RedirectResponse(f"{safe_next(str(form.get('suivant', '')))}?notice=revoked", 303)


@router.get("/agendas/{token}.ics")
def calendar(token: str, request: Request, db: Db, settings: AppSettings) -> Response:
    """The calendar itself: no login, the secret token in the address is the key."""
    feed = feeds.resolve(db, token=token)
    items = feeds.occurrences(db, feed=feed, origin=settings.node.slug)
    names = {
        "network": "Tournées du réseau",
        "bureau": settings.node.name,
        "production": "Production",
        "member": "Mes dates",
    }
    body = feeds.calendar_bytes(f"Archipel — {names[feed.kind]}", items)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )
