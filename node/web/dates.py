"""Dates: the bureau's performances — list (with the bureau's calendar feed), page, forms."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from node.api.deps import AppSettings, Db
from node.models import TourDate
from node.services import hosting, organisations, productions
from node.services import tourdates as service
from node.web.deps import CurrentViewer, Posted, StaffViewer, check_csrf
from node.web.editing import form_page, posted_version, submit
from node.web.feeds import feed_context
from node.web.forms import Field, values_of
from node.web.i18n import N_
from node.web.lists import csv_response, csv_url, filters_of, notice, offset_of, page_links
from node.web.office_common import office_section
from node.web.templating import render, speaker
from schemas.tourdates import TourDateCreate, TourDateUpdate

router = APIRouter()
STATUSES = (("option", N_("Option")), ("confirmed", N_("Confirmée")), ("cancelled", N_("Annulée")))
CONTRACTS = (
    ("cession", N_("Cession")),
    ("coréalisation", N_("Coréalisation")),
    ("coproduction", N_("Coproduction")),
    ("résidence", N_("Résidence")),
)
FIELDS = (
    Field("production_id", N_("Production"), "select", required=True),
    Field("starts_at", N_("Début (heure de Paris)"), "datetime", required=True),
    Field("venue_id", N_("Lieu"), "select", optional_none=True),
    Field("city", N_("Ville"), optional_none=True, help=N_("Par défaut, la ville du lieu.")),
    Field("status", N_("Statut"), "select", choices=STATUSES),
    Field("contract_type", N_("Type de contrat"), "select", choices=CONTRACTS),
    Field("notes", N_("Notes"), "textarea"),
)
NAMES = ("production", "from", "to", "status", "city")


def _fields(db: Db) -> tuple[Field, ...]:
    """The form's fields, with this bureau's productions and venues to choose from."""
    shows, _n = productions.list_productions(db, limit=500)
    venues, _m = organisations.list_organisations(db, is_venue=True, limit=500)
    choices = {
        "production_id": [(p.id, p.title) for p in shows],
        "venue_id": [("", "—"), *((v.id, f"{v.name} ({v.city})") for v in venues)],
    }
    return tuple(replace(f, choices=choices[f.name]) if f.name in choices else f for f in FIELDS)


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _list(request: Request, db: Db, limit: int, offset: int) -> tuple[list[TourDate], int]:
    f = filters_of(request, NAMES)
    rows, total = service.list_tour_dates(
        db,
        production_id=f["production"] or None,
        date_from=_day(f["from"]),
        date_to=_day(f["to"]),
        status=f["status"] or None,
        city=f["city"] or None,
        limit=limit,
        offset=offset,
    )
    return list(rows), total


def _titles(db: Db) -> dict[str, str]:
    shows, _n = productions.list_productions(db, limit=500)
    return {p.id: p.title for p in shows}


@router.get("/dates")
def dates_list(request: Request, db: Db, settings: AppSettings, viewer: CurrentViewer) -> Response:
    fmt = speaker(request)
    _ = fmt.gettext
    offset = offset_of(request)
    rows, total = _list(request, db, 50, offset)
    titles, statuses = _titles(db), dict(STATUSES)
    filter_fields = (
        Field(
            "production", N_("Production"), "select", choices=(("", N_("Toutes")), *titles.items())
        ),
        Field("from", N_("Du"), "date"),
        Field("to", N_("Au"), "date"),
        Field("status", N_("Statut"), "select", choices=(("", N_("Tous")), *STATUSES)),
        Field("city", N_("Ville")),
    )
    return render(
        request,
        "list.html",
        {
            "title": _("Dates"),
            "filter_fields": filter_fields,
            "filters": filters_of(request, NAMES),
            "columns": [_("Date"), _("Production"), _("Ville"), _("Statut")],
            "rows": [
                {
                    "url": f"/dates/{d.id}",
                    "cells": [
                        fmt.datetime(d.starts_at, d.timezone),
                        titles.get(d.production_id, ""),
                        d.city,
                        _(statuses.get(d.status, d.status)),
                    ],
                }
                for d in rows
            ],
            "total": total,
            "new_url": "/dates/nouvelle" if viewer.is_staff else "",
            "new_label": _("Ajouter une date"),
            "csv_url": csv_url(request),
            "notice": notice(request),
            **page_links(request, offset=offset, total=total),
            **feed_context(db, settings, viewer, "bureau"),
        },
    )


@router.get("/dates.csv")
def dates_csv(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    rows, _total = _list(request, db, 500, 0)
    titles = _titles(db)
    _ = speaker(request).gettext
    return csv_response(
        "dates.csv",
        [_("Début"), _("Production"), _("Ville"), _("Statut"), _("Contrat")],
        (
            [
                d.starts_at.isoformat(),
                titles.get(d.production_id, ""),
                d.city,
                d.status,
                d.contract_type,
            ]
            for d in rows
        ),
    )


@router.get("/dates/nouvelle")
def new_date(request: Request, db: Db, viewer: StaffViewer) -> Response:
    _ = speaker(request).gettext
    values = {"production_id": request.query_params.get("production", ""), "status": "option"}
    return form_page(
        request,
        title=_("Nouvelle date"),
        fields=_fields(db),
        outcome_or_values=values,
        action="/dates/nouvelle",
        cancel="/dates",
    )


@router.post("/dates/nouvelle")
def create_date(request: Request, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    fields = _fields(db)
    outcome = submit(
        request,
        form,
        fields,
        TourDateCreate,
        lambda data: service.create_tour_date(db, actor=viewer.actor, data=data),
    )
    if outcome.record is None:
        _ = speaker(request).gettext
        return form_page(
            request,
            title=_("Nouvelle date"),
            fields=fields,
            outcome_or_values=outcome,
            action="/dates/nouvelle",
            cancel="/dates",
        )
    return RedirectResponse(f"/dates/{outcome.record.id}?notice=created", status_code=303)


@router.get("/dates/{date_id}")
def date_page(date_id: str, request: Request, db: Db, viewer: CurrentViewer) -> Response:
    tour_date = service.get_tour_date(db, tour_date_id=date_id)
    fmt = speaker(request)
    _ = fmt.gettext
    show = productions.get_production(db, production_id=tour_date.production_id)
    venue = (
        organisations.get_organisation(db, organisation_id=tour_date.venue_id)
        if tour_date.venue_id
        else None
    )
    return render(
        request,
        "detail.html",
        {
            "title": f"{show.title} — {fmt.date(tour_date.starts_at)}",
            "details": [
                (_("Production"), show.title),
                (_("Début"), fmt.datetime(tour_date.starts_at, tour_date.timezone)),
                (_("Lieu"), venue.name if venue else ""),
                (_("Ville"), tour_date.city),
                (_("Statut"), _(dict(STATUSES).get(tour_date.status, tour_date.status))),
                (_("Type de contrat"), _(dict(CONTRACTS).get(tour_date.contract_type, ""))),
                (_("Notes"), tour_date.notes),
            ],
            "sections": [
                office_section(request, date_id, staff=viewer.is_staff),
                *([_hosting_section(request, db, date_id)] if viewer.is_staff else []),
            ],
            "back_url": "/dates",
            "back_label": _("Dates"),
            "edit_url": f"/dates/{date_id}/modifier" if viewer.is_staff else "",
            "delete_url": f"/dates/{date_id}/supprimer" if viewer.is_staff else "",
            "version": tour_date.version,
            "notice": notice(request),
        },
    )


@router.get("/dates/{date_id}/modifier")
def edit_date(date_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    tour_date = service.get_tour_date(db, tour_date_id=date_id)
    fields = _fields(db)
    values = values_of(tour_date, fields)
    # The form shows wall-clock time in the date's own zone, as it was typed.
    values["starts_at"] = tour_date.starts_at.astimezone(ZoneInfo(tour_date.timezone))
    _ = speaker(request).gettext
    return form_page(
        request,
        title=_("Modifier la date"),
        fields=fields,
        outcome_or_values=values,
        action=f"/dates/{date_id}/modifier",
        cancel=f"/dates/{date_id}",
        version=tour_date.version,
    )


@router.post("/dates/{date_id}/modifier")
def update_date(
    date_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    fields = _fields(db)
    outcome = submit(
        request,
        form,
        fields,
        TourDateUpdate,
        lambda data: service.update_tour_date(
            db, actor=viewer.actor, tour_date_id=date_id, data=data, expected_version=None
        ),
        versioned=True,
    )
    if outcome.record is None:
        _ = speaker(request).gettext
        return form_page(
            request,
            title=_("Modifier la date"),
            fields=fields,
            outcome_or_values=outcome,
            action=f"/dates/{date_id}/modifier",
            cancel=f"/dates/{date_id}",
            version=outcome.values.get("version"),
        )
    return RedirectResponse(f"/dates/{date_id}?notice=saved", status_code=303)


@router.post("/dates/{date_id}/supprimer")
def delete_date(date_id: str, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    service.delete_tour_date(
        db,
        actor=viewer.actor,
        tour_date_id=date_id,
        expected_version=posted_version(form),
    )
    return RedirectResponse("/dates?notice=deleted", status_code=303)


def _hosting_section(request: Request, db: Db, date_id: str) -> dict[str, object]:
    """Offers of support other bureaus made for this date (hosting a touring production)."""
    _ = speaker(request).gettext
    offers, _total = hosting.list_offers(db, role=hosting.PRODUCER, tour_date_id=date_id)
    return {
        "title": _("Offres d'accueil des autres bureaux"),
        "entries": [
            (
                _("Offre du bureau %(bureau)s") % {"bureau": offer.host},
                f"/accueil/offres/{offer.id}",
            )
            for offer in offers
        ],
        "empty": _("Aucune offre pour cette date."),
    }
