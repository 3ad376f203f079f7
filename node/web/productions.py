"""Productions: the bureau's shows — list, page with team and dates, create, edit, delete."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from node.api.deps import AppSettings, Db
from node.models import Production
from node.services import productions as service
from node.services import tourdates
from node.web.deps import CurrentViewer, Posted, StaffViewer, check_csrf
from node.web.editing import form_page, posted_version, submit
from node.web.feeds import feed_context
from node.web.forms import Field, values_of
from node.web.i18n import N_
from node.web.lists import csv_response, csv_url, filters_of, notice, offset_of, page_links
from node.web.members import VISIBILITY
from node.web.templating import render, speaker
from schemas.productions import ProductionCreate, ProductionUpdate

router = APIRouter()
DISCIPLINES = (
    ("theatre", N_("Théâtre")),
    ("danse", N_("Danse")),
    ("musique", N_("Musique")),
    ("cirque", N_("Cirque")),
    ("arts-de-la-rue", N_("Arts de la rue")),
    ("marionnette", N_("Marionnette")),
    ("jeune-public", N_("Jeune public")),
    ("pluridisciplinaire", N_("Pluridisciplinaire")),
    ("autre", N_("Autre")),
)
FIELDS = (
    Field("title", N_("Titre"), required=True),
    Field("discipline", N_("Discipline"), "select", choices=DISCIPLINES),
    Field("artistic_lead", N_("Direction artistique")),
    Field("synopsis", N_("Résumé"), "textarea"),
    Field("technical_summary", N_("Fiche technique (résumé)"), "textarea"),
    Field(
        "visibility",
        N_("Visibilité"),
        "select",
        choices=VISIBILITY,
        help=N_(
            "Réseau : les autres bureaux voient la production et ses dates. "
            "Public : elle figure aussi sur la page publique."
        ),
    ),
)
FILTERS = (
    Field("q", N_("Rechercher")),
    Field("discipline", N_("Discipline"), "select", choices=(("", N_("Toutes")), *DISCIPLINES)),
    Field("visibility", N_("Visibilité"), "select", choices=(("", N_("Toutes")), *VISIBILITY)),
)
NAMES = ("q", "discipline", "visibility")


def _list(request: Request, db: Db, limit: int, offset: int) -> tuple[list[Production], int]:
    f = filters_of(request, NAMES)
    rows, total = service.list_productions(
        db,
        q=f["q"] or None,
        discipline=f["discipline"] or None,
        visibility=f["visibility"] or None,
        limit=limit,
        offset=offset,
    )
    return list(rows), total


@router.get("/productions")
def productions_list(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    _ = speaker(request).gettext
    offset = offset_of(request)
    rows, total = _list(request, db, 50, offset)
    disciplines, visibility = dict(DISCIPLINES), dict(VISIBILITY)
    return render(
        request,
        "list.html",
        {
            "title": _("Productions"),
            "filter_fields": FILTERS,
            "filters": filters_of(request, NAMES),
            "columns": [_("Titre"), _("Discipline"), _("Direction artistique"), _("Visibilité")],
            "rows": [
                {
                    "url": f"/productions/{p.id}",
                    "cells": [
                        p.title,
                        _(disciplines.get(p.discipline, p.discipline)),
                        p.artistic_lead,
                        _(visibility.get(p.visibility, "")),
                    ],
                }
                for p in rows
            ],
            "total": total,
            "new_url": "/productions/nouvelle" if viewer.is_staff else "",
            "new_label": _("Ajouter une production"),
            "csv_url": csv_url(request),
            "notice": notice(request),
            **page_links(request, offset=offset, total=total),
        },
    )


@router.get("/productions.csv")
def productions_csv(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    rows, _total = _list(request, db, 500, 0)
    _ = speaker(request).gettext
    return csv_response(
        "productions.csv",
        [_("Titre"), _("Discipline"), _("Direction artistique"), _("Visibilité")],
        ([p.title, p.discipline, p.artistic_lead, p.visibility] for p in rows),
    )


@router.get("/productions/nouvelle")
def new_production(request: Request, viewer: StaffViewer) -> Response:
    _ = speaker(request).gettext
    return form_page(
        request,
        title=_("Nouvelle production"),
        fields=FIELDS,
        outcome_or_values={"visibility": "network"},
        action="/productions/nouvelle",
        cancel="/productions",
    )


@router.post("/productions/nouvelle")
def create_production(request: Request, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    outcome = submit(
        request,
        form,
        FIELDS,
        ProductionCreate,
        lambda data: service.create_production(db, actor=viewer.actor, data=data),
    )
    if outcome.record is None:
        _ = speaker(request).gettext
        return form_page(
            request,
            title=_("Nouvelle production"),
            fields=FIELDS,
            outcome_or_values=outcome,
            action="/productions/nouvelle",
            cancel="/productions",
        )
    return RedirectResponse(f"/productions/{outcome.record.id}?notice=created", status_code=303)


@router.get("/productions/{production_id}")
def production_page(
    production_id: str, request: Request, db: Db, settings: AppSettings, viewer: CurrentViewer
) -> Response:
    production = service.get_production(db, production_id=production_id)
    public = service.present(db, [production])[0]
    fmt = speaker(request)
    _ = fmt.gettext
    disciplines, visibility = dict(DISCIPLINES), dict(VISIBILITY)
    dates = tourdates.dates_of(db, production.id)
    return render(
        request,
        "detail.html",
        {
            "title": production.title,
            "details": [
                (_("Discipline"), _(disciplines.get(production.discipline, production.discipline))),
                (_("Direction artistique"), production.artistic_lead),
                (_("Résumé"), production.synopsis),
                (_("Fiche technique (résumé)"), production.technical_summary),
                (_("Visibilité"), _(visibility.get(production.visibility, ""))),
            ],
            "sections": [
                {
                    "title": _("Équipe"),
                    "empty": _("Pas encore d'équipe."),
                    "entries": [
                        (f"{t.display_name} — {t.role}", f"/membres/{t.member_id}")
                        for t in public.team
                    ],
                },
                {
                    "title": _("Dates"),
                    "empty": _("Aucune date."),
                    "entries": [
                        (f"{fmt.datetime(d.starts_at, d.timezone)} — {d.city}", f"/dates/{d.id}")
                        for d in dates
                    ],
                    "add_url": f"/dates/nouvelle?production={production.id}"
                    if viewer.is_staff
                    else "",
                    "add_label": _("Ajouter une date"),
                },
                {
                    "title": _("Bureau de production"),
                    "empty": "",
                    "entries": [
                        (
                            _("Prospection du spectacle"),
                            f"/productions/{production.id}/prospection",
                        ),
                        *(
                            [
                                (
                                    _("Budget de la tournée"),
                                    f"/productions/{production.id}/budget",
                                ),
                                (
                                    _("Export des engagements pour la paie (CSV)"),
                                    f"/bureau/paie.csv?production={production.id}",
                                ),
                            ]
                            if viewer.is_staff
                            else []
                        ),
                    ],
                },
            ],
            "back_url": "/productions",
            "back_label": _("Productions"),
            "edit_url": f"/productions/{production.id}/modifier" if viewer.is_staff else "",
            "delete_url": f"/productions/{production.id}/supprimer" if viewer.is_staff else "",
            "version": production.version,
            "notice": notice(request),
            **feed_context(db, settings, viewer, "production", production.id),
        },
    )


@router.get("/productions/{production_id}/modifier")
def edit_production(production_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    production = service.get_production(db, production_id=production_id)
    _ = speaker(request).gettext
    return form_page(
        request,
        title=_("Modifier %(name)s") % {"name": production.title},
        fields=FIELDS,
        outcome_or_values=values_of(production, FIELDS),
        action=f"/productions/{production_id}/modifier",
        cancel=f"/productions/{production_id}",
        version=production.version,
    )


@router.post("/productions/{production_id}/modifier")
def update_production(
    production_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    outcome = submit(
        request,
        form,
        FIELDS,
        ProductionUpdate,
        lambda data: service.update_production(
            db, actor=viewer.actor, production_id=production_id, data=data, expected_version=None
        ),
        versioned=True,
    )
    if outcome.record is None:
        _ = speaker(request).gettext
        return form_page(
            request,
            title=_("Modifier la production"),
            fields=FIELDS,
            outcome_or_values=outcome,
            action=f"/productions/{production_id}/modifier",
            cancel=f"/productions/{production_id}",
            version=outcome.values.get("version"),
        )
    return RedirectResponse(f"/productions/{production_id}?notice=saved", status_code=303)


@router.post("/productions/{production_id}/supprimer")
def delete_production(production_id: str, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    service.delete_production(
        db,
        actor=viewer.actor,
        production_id=production_id,
        expected_version=posted_version(form),
    )
    return RedirectResponse("/productions?notice=deleted", status_code=303)
