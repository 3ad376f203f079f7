"""Annuaire du réseau: search the archipelago's members; a member's card."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from node.api.deps import AppSettings, Db
from node.services import browse, network
from node.services.origins import known_origins
from node.web.deps import CurrentViewer
from node.web.lists import csv_response, filters_of
from node.web.templating import render, speaker

router = APIRouter()
FILTERS = ("q", "trade", "skill", "territory", "origin", "available_on")
PAGE = 24


def _search(request: Request, db: Db, *, limit: int = PAGE) -> dict[str, Any]:
    """Run the directory search the query string describes (the same as `/api/directory`)."""
    filters = filters_of(request, FILTERS)
    _ = speaker(request).gettext
    day: date | None = None
    error = ""
    if filters["available_on"]:
        try:
            day = date.fromisoformat(filters["available_on"])
        except ValueError:
            error = _("Saisissez une date valide (jj/mm/aaaa).")
    cards, next_cursor = network.search_directory(
        db,
        q=filters["q"] or None,
        trade=filters["trade"] or None,
        skill=filters["skill"] or None,
        territory=filters["territory"] or None,
        origin=filters["origin"] or None,
        available_on=day,
        limit=limit,
        cursor=request.query_params.get("cursor") or None,
    )
    more = str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else ""
    return {"filters": filters, "cards": cards, "more": more, "date_error": error}


@router.get("/annuaire")
def directory(request: Request, db: Db, settings: AppSettings, viewer: CurrentViewer) -> Response:
    _ = speaker(request).gettext
    context = _search(request, db)
    context.update(
        title=_("Annuaire du réseau"),
        choices=browse.directory_choices(db),
        origins=known_origins(db),
        own=settings.node.slug,
    )
    return render(request, "directory.html", context)


@router.get("/annuaire/resultats")
def results(request: Request, db: Db, settings: AppSettings, viewer: CurrentViewer) -> Response:
    """Only the results, for the page's script to swap in while the visitor types."""
    context = _search(request, db)
    context.update(origins=known_origins(db), own=settings.node.slug)
    return render(request, "_directory_results.html", context)


@router.get("/annuaire.csv")
def directory_csv(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    cards = _search(request, db, limit=5000)["cards"]
    _ = speaker(request).gettext
    header = [_("Nom"), _("Métiers"), _("Compétences"), _("Ville"), _("Territoire"), _("Bureau")]
    rows = (
        [c.display_name, ", ".join(c.trades), ", ".join(c.skills), c.city, c.territory, c.origin]
        for c in cards
    )
    return csv_response("annuaire.csv", header, rows)


@router.get("/annuaire/{origin}/{record_id}")
def card(
    origin: str,
    record_id: str,
    request: Request,
    db: Db,
    settings: AppSettings,
    viewer: CurrentViewer,
) -> Response:
    found = browse.get_card(db, origin=origin, record_id=record_id)
    origins = known_origins(db)
    return render(
        request,
        "card.html",
        {
            "title": found.display_name,
            "card": found,
            "body": found.body,
            "bureau": origins.get(origin),
            "own": origin == settings.node.slug,
        },
    )
