"""What the production office's pages share: a date's tabs and frame, today, printed documents.

Their forms go through the pages' one pipeline, `node/web/editing.py`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from node.models import Production, TourDate
from node.services import documents, productions
from node.services import tourdates as dates_service
from node.web.i18n import N_
from node.web.templating import speaker

PARIS = ZoneInfo("Europe/Paris")
TABS = (
    ("etapes", N_("Étapes")),
    ("equipe", N_("Équipe")),
    ("contrat", N_("Contrat")),
    ("feuille-de-route", N_("Feuille de route")),
    ("budget", N_("Budget")),
    ("decompte", N_("Décompte")),
    ("conformite", N_("Conformité")),
)
STAGES = {
    "option": N_("Option"),
    "confirmee": N_("Confirmée"),
    "contrat-signe": N_("Contrat signé"),
    "jouee": N_("Jouée"),
    "soldee": N_("Soldée"),
    "annulee": N_("Annulée"),
}


def today_of(request: Request) -> date:
    """Today in Paris, or the day of `?jour=AAAA-MM-JJ` (to see a page as of another day)."""
    raw = request.query_params.get("jour", "")
    try:
        return date.fromisoformat(raw) if raw else datetime.now(PARIS).date()
    except ValueError:
        return datetime.now(PARIS).date()


def date_frame(db: Session, request: Request, date_id: str, tab: str) -> dict[str, Any]:
    """A date's page frame: its title, production and tabs, for every office tab."""
    tour_date: TourDate = dates_service.get_tour_date(db, tour_date_id=date_id)
    show: Production = productions.get_production(db, production_id=tour_date.production_id)
    fmt = speaker(request)
    _ = fmt.gettext
    return {
        "tour_date": tour_date,
        "production": show,
        "title": f"{show.title} — {fmt.date(tour_date.starts_at)} — {_(dict(TABS)[tab])}",
        "heading": f"{show.title} — {fmt.datetime(tour_date.starts_at, tour_date.timezone)}",
        "tabs": [(key, label, f"/dates/{date_id}/{key}") for key, label in TABS],
        "tab": tab,
        "stage_label": _(STAGES.get(tour_date.stage, tour_date.stage)),
    }


def office_section(request: Request, date_id: str, *, staff: bool) -> dict[str, Any]:
    """The date page's links to its office tabs (members see stages and compliance only)."""
    _ = speaker(request).gettext
    return {
        "title": _("Bureau de production"),
        "empty": "",
        "entries": [
            (_(label), f"/dates/{date_id}/{key}")
            for key, label in TABS
            if staff or key in ("etapes", "conformite")
        ],
    }


PRIVATE = {"Cache-Control": "private, no-store"}


def printed_html(html: str) -> HTMLResponse:
    """A document (contract, settlement, day sheet) as it will be printed; never cached."""
    return HTMLResponse(html, headers=PRIVATE)


def printed_pdf(html: str, *, title: str, filename: str) -> Response:
    """The same document as a PDF download; never cached."""
    return Response(
        documents.to_pdf(html, title=title),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **PRIVATE},
    )
