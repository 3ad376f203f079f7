"""The node's public page: no login; only `public` members and public productions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from node.api.deps import Db
from node.services import members, productions
from node.web.deps import MaybeViewer
from node.web.templating import render, speaker

router = APIRouter()


@router.get("/public")
def public_page(request: Request, db: Db, _viewer: MaybeViewer) -> Response:
    _ = speaker(request).gettext
    people, _n = members.list_members(db, visibility="public", limit=500)
    shows, _m = productions.list_productions(db, visibility="public", limit=500)
    return render(
        request,
        "public.html",
        {
            "title": _("Page publique"),
            "people": people,
            "shows": shows,
        },
    )
