"""The archipelago's pages: tours calendar, lendable resources, peers (admin), the journal."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from federation.errors import FederationError
from federation.service import ConfirmationRequired, Federation
from node.api.deps import AppSettings, Db
from node.services import audit, browse, network
from node.services.origins import known_origins
from node.web.deps import AdminViewer, CurrentViewer, Posted, check_csrf
from node.web.feeds import feed_context
from node.web.i18n import PARIS
from node.web.lists import csv_response, filters_of, notice, offset_of, page_links
from node.web.resources import KINDS
from node.web.templating import render, speaker

router = APIRouter()


def _month(raw: str) -> date:
    try:
        year, month = (int(p) for p in raw.split("-"))
        return date(year, month, 1)
    except ValueError:
        today = datetime.now(PARIS).date()
        return today.replace(day=1)


def _tours(request: Request, db: Db, first: date | None, limit: int = 1000) -> list[Any]:
    f = filters_of(request, ("territory", "production"))
    origins = None
    if f["territory"]:
        territories = {slug: info.territory for slug, info in known_origins(db).items()}
        origins = network.origins_in(territories, f["territory"])
    start = end = None
    if first is not None:
        start = datetime.combine(first, datetime.min.time(), PARIS).astimezone(UTC)
        following = (first + timedelta(days=32)).replace(day=1)
        end = datetime.combine(following, datetime.min.time(), PARIS).astimezone(UTC)
    rows, _next = network.network_tours(
        db, start=start, end=end, origins=origins, production=f["production"] or None, limit=limit
    )
    return list(rows)


@router.get("/tournees")
def tours(request: Request, db: Db, settings: AppSettings, viewer: CurrentViewer) -> Response:
    _ = speaker(request).gettext
    first = _month(request.query_params.get("mois", ""))
    rows = _tours(request, db, first)
    by_day: dict[date, list[Any]] = {}
    for row in rows:
        by_day.setdefault(row.starts_at.astimezone(PARIS).date(), []).append(row)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    origins = known_origins(db)
    return render(
        request,
        "tours.html",
        {
            "title": _("Tournées du réseau"),
            "rows": rows,
            "weeks": weeks,
            "by_day": by_day,
            "first": first,
            "prev_month": previous.strftime("%Y-%m"),
            "next_month": following.strftime("%Y-%m"),
            "filters": filters_of(request, ("territory", "production")),
            "territories": sorted({o.territory for o in origins.values() if o.territory}),
            "productions": browse.tour_productions(db),
            "origins": origins,
            "weekdays": [date(2024, 1, d) for d in range(1, 8)],
            "notice": notice(request),
            **feed_context(db, settings, viewer, "network"),
        },
    )


@router.get("/tournees.csv")
def tours_csv(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    _ = speaker(request).gettext
    rows = _tours(request, db, None, limit=5000)
    return csv_response(
        "tournees.csv",
        [_("Début"), _("Production"), _("Ville"), _("Lieu"), _("Statut"), _("Bureau")],
        (
            [r.starts_at.isoformat(), r.production_title, r.city, r.venue_name, r.status, r.origin]
            for r in rows
        ),
    )


def _resources(request: Request, db: Db, limit: int) -> list[Any]:
    f = filters_of(request, ("q", "kind", "territory"))
    origins = None
    if f["territory"]:
        territories = {slug: info.territory for slug, info in known_origins(db).items()}
        origins = network.origins_in(territories, f["territory"])
    rows, _next = network.network_resources(
        db, q=f["q"] or None, kind=f["kind"] or None, origins=origins, limit=limit
    )
    return list(rows)


@router.get("/ressources-reseau")
def network_resources(
    request: Request, db: Db, settings: AppSettings, viewer: CurrentViewer
) -> Response:
    _ = speaker(request).gettext
    origins = known_origins(db)
    return render(
        request,
        "network_resources.html",
        {
            "title": _("Ressources du réseau"),
            "rows": _resources(request, db, 200),
            "filters": filters_of(request, ("q", "kind", "territory")),
            "kinds": KINDS,
            "kind_labels": dict(KINDS),
            "territories": sorted({o.territory for o in origins.values() if o.territory}),
            "origins": origins,
            "own": settings.node.slug,
        },
    )


@router.get("/ressources-reseau.csv")
def network_resources_csv(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    _ = speaker(request).gettext
    return csv_response(
        "ressources-reseau.csv",
        [_("Nom"), _("Type"), _("Emplacement"), _("Bureau")],
        ([r.name, r.kind, r.location, r.origin] for r in _resources(request, db, 5000)),
    )


@router.get("/journal")
def journal(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    _ = speaker(request).gettext
    offset = offset_of(request)
    f = filters_of(request, ("entity", "actor"))
    rows, total = audit.list_events(
        db, entity=f["entity"] or None, actor=f["actor"] or None, limit=50, offset=offset
    )
    return render(
        request,
        "journal.html",
        {
            "title": _("Journal"),
            "rows": rows,
            "total": total,
            "filters": f,
            **page_links(request, offset=offset, total=total),
        },
    )


@router.get("/journal.csv")
def journal_csv(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    _ = speaker(request).gettext
    f = filters_of(request, ("entity", "actor"))
    rows, _total = audit.list_events(
        db, entity=f["entity"] or None, actor=f["actor"] or None, limit=500, offset=0
    )
    return csv_response(
        "journal.csv",
        [_("Quand"), _("Qui"), _("Action"), _("Fiche"), _("Résumé"), _("Champs")],
        (
            [e.at.isoformat(), e.actor, e.action, e.entity, e.summary, ", ".join(e.fields)]
            for e in rows
        ),
    )


def _network_page(request: Request, db: Db, **extra: Any) -> Response:
    federation: Federation = request.app.state.federation
    _ = speaker(request).gettext
    return render(
        request,
        "network.html",
        {
            "title": _("Réseau"),
            "status": federation.status(db),
            "fingerprint": federation.current_key().fingerprint(),
            "notice": notice(request),
            "error": "",
            "confirm": None,
            "url": "",
            **extra,
        },
        status_code=422 if extra.get("error") else 200,
    )


@router.get("/reseau")
def network_admin(request: Request, db: Db, viewer: AdminViewer) -> Response:
    return _network_page(request, db)


@router.post("/reseau/pairs")
def add_peer(request: Request, form: Posted, db: Db, viewer: AdminViewer) -> Response:
    """First step shows the peer's fingerprint; the second pins it once the admin confirms."""
    check_csrf(form, viewer.csrf_token)
    federation: Federation = request.app.state.federation
    _ = speaker(request).gettext
    url = str(form.get("url", "")).strip().rstrip("/")
    fingerprint = str(form.get("fingerprint", "")).strip() or None
    if not url.startswith(("http://", "https://")):
        return _network_page(
            request, db, url=url, error=_("Saisissez l'adresse complète du bureau (https://…).")
        )
    try:
        federation.add_peer(url=url, fingerprint=fingerprint)
    except ConfirmationRequired as exc:
        return _network_page(request, db, url=url, confirm=exc)
    except FederationError as exc:
        return _network_page(
            request,
            db,
            url=url,
            error=_("Impossible d'ajouter ce bureau : %(reason)s") % {"reason": str(exc)},
        )
    return RedirectResponse("/reseau?notice=peer", status_code=303)


@router.post("/reseau/bloquer")
def block(request: Request, form: Posted, db: Db, viewer: AdminViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    federation: Federation = request.app.state.federation
    _ = speaker(request).gettext
    try:
        federation.block_origin(str(form.get("origin", "")).strip())
    except FederationError as exc:
        return _network_page(
            request, db, error=_("Impossible de bloquer : %(reason)s") % {"reason": str(exc)}
        )
    return RedirectResponse("/reseau?notice=blocked", status_code=303)
