"""Ressources: what the bureau owns (equipment, vehicles, rooms) and whether it lends it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from node.api.deps import Db
from node.models import Resource
from node.services import loans
from node.services import resources as service
from node.web.deps import CurrentViewer, Posted, StaffViewer, check_csrf
from node.web.editing import form_page, posted_version, submit
from node.web.forms import Field, values_of
from node.web.i18n import N_
from node.web.lists import csv_response, csv_url, filters_of, notice, offset_of, page_links
from node.web.loans import STATES
from node.web.templating import render, speaker
from schemas.resources import ResourceCreate, ResourceUpdate

router = APIRouter()
KINDS = (("equipment", N_("Matériel")), ("vehicle", N_("Véhicule")), ("room", N_("Salle")))
FIELDS = (
    Field("name", N_("Nom"), required=True),
    Field("kind", N_("Type"), "select", choices=KINDS),
    Field("description", N_("Description"), "textarea"),
    Field("location", N_("Emplacement")),
    Field("lendable", N_("Prêtable aux autres bureaux du réseau"), "checkbox"),
)
FILTERS = (
    Field("q", N_("Rechercher")),
    Field("kind", N_("Type"), "select", choices=(("", N_("Tous")), *KINDS)),
    Field(
        "lendable",
        N_("Prêt"),
        "select",
        choices=(("", N_("Toutes")), ("oui", N_("Prêtables")), ("non", N_("Non prêtables"))),
    ),
)
NAMES = ("q", "kind", "lendable")


def _list(request: Request, db: Db, limit: int, offset: int) -> tuple[list[Resource], int]:
    f = filters_of(request, NAMES)
    lendable = {"oui": True, "non": False}.get(f["lendable"])
    rows, total = service.list_resources(
        db, q=f["q"] or None, kind=f["kind"] or None, lendable=lendable, limit=limit, offset=offset
    )
    return list(rows), total


@router.get("/ressources")
def resources_list(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    _ = speaker(request).gettext
    offset = offset_of(request)
    rows, total = _list(request, db, 50, offset)
    kinds = dict(KINDS)
    return render(
        request,
        "list.html",
        {
            "title": _("Ressources"),
            "filter_fields": FILTERS,
            "filters": filters_of(request, NAMES),
            "columns": [_("Nom"), _("Type"), _("Emplacement"), _("Prêtable")],
            "rows": [
                {
                    "url": f"/ressources/{r.id}",
                    "cells": [
                        r.name,
                        _(kinds.get(r.kind, r.kind)),
                        r.location,
                        _("Oui") if r.lendable else _("Non"),
                    ],
                }
                for r in rows
            ],
            "total": total,
            "new_url": "/ressources/nouvelle" if viewer.is_staff else "",
            "new_label": _("Ajouter une ressource"),
            "csv_url": csv_url(request),
            "notice": notice(request),
            **page_links(request, offset=offset, total=total),
        },
    )


@router.get("/ressources.csv")
def resources_csv(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    rows, _total = _list(request, db, 500, 0)
    _ = speaker(request).gettext
    return csv_response(
        "ressources.csv",
        [_("Nom"), _("Type"), _("Emplacement"), _("Prêtable"), _("Description")],
        ([r.name, r.kind, r.location, "oui" if r.lendable else "non", r.description] for r in rows),
    )


@router.get("/ressources/nouvelle")
def new_resource(request: Request, viewer: StaffViewer) -> Response:
    _ = speaker(request).gettext
    return form_page(
        request,
        title=_("Nouvelle ressource"),
        fields=FIELDS,
        outcome_or_values={},
        action="/ressources/nouvelle",
        cancel="/ressources",
    )


@router.post("/ressources/nouvelle")
def create_resource(request: Request, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    outcome = submit(
        request,
        form,
        FIELDS,
        ResourceCreate,
        lambda data: service.create_resource(db, actor=viewer.actor, data=data),
    )
    if outcome.record is None:
        _ = speaker(request).gettext
        return form_page(
            request,
            title=_("Nouvelle ressource"),
            fields=FIELDS,
            outcome_or_values=outcome,
            action="/ressources/nouvelle",
            cancel="/ressources",
        )
    return RedirectResponse(f"/ressources/{outcome.record.id}?notice=created", status_code=303)


@router.get("/ressources/{resource_id}")
def resource_page(resource_id: str, request: Request, db: Db, viewer: CurrentViewer) -> Response:
    resource = service.get_resource(db, resource_id=resource_id)
    _ = speaker(request).gettext
    return render(
        request,
        "detail.html",
        {
            "title": resource.name,
            "details": [
                (_("Type"), _(dict(KINDS).get(resource.kind, resource.kind))),
                (_("Description"), resource.description),
                (_("Emplacement"), resource.location),
                (_("Prêtable"), _("Oui") if resource.lendable else _("Non")),
            ],
            "sections": [_loans_section(request, db, resource)] if viewer.is_staff else [],
            "back_url": "/ressources",
            "back_label": _("Ressources"),
            "edit_url": f"/ressources/{resource_id}/modifier" if viewer.is_staff else "",
            "delete_url": f"/ressources/{resource_id}/supprimer" if viewer.is_staff else "",
            "version": resource.version,
            "notice": notice(request),
        },
    )


def _loans_section(request: Request, db: Db, resource: Resource) -> dict[str, object]:
    """The resource's loans to other bureaus that are not over, the next first (staff)."""
    _ = speaker(request).gettext
    rows = loans.coming_loans(db, resource_id=resource.id)
    return {
        "title": _("Prêts aux autres bureaux"),
        "entries": [
            (
                f"{loan.starts_on.isoformat()} → {loan.ends_on.isoformat()} — {loan.borrower} "
                f"({_(STATES.get(loan.state, loan.state))})",
                f"/prets/{loan.id}",
            )
            for loan in rows
        ],
        "empty": _("Aucun prêt.")
        if resource.lendable
        else _("Cette ressource n'est pas prêtable aux autres bureaux."),
    }


@router.get("/ressources/{resource_id}/modifier")
def edit_resource(resource_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    resource = service.get_resource(db, resource_id=resource_id)
    _ = speaker(request).gettext
    return form_page(
        request,
        title=_("Modifier %(name)s") % {"name": resource.name},
        fields=FIELDS,
        outcome_or_values=values_of(resource, FIELDS),
        action=f"/ressources/{resource_id}/modifier",
        cancel=f"/ressources/{resource_id}",
        version=resource.version,
    )


@router.post("/ressources/{resource_id}/modifier")
def update_resource(
    resource_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    outcome = submit(
        request,
        form,
        FIELDS,
        ResourceUpdate,
        lambda data: service.update_resource(
            db, actor=viewer.actor, resource_id=resource_id, data=data, expected_version=None
        ),
        versioned=True,
    )
    if outcome.record is None:
        _ = speaker(request).gettext
        return form_page(
            request,
            title=_("Modifier la ressource"),
            fields=FIELDS,
            outcome_or_values=outcome,
            action=f"/ressources/{resource_id}/modifier",
            cancel=f"/ressources/{resource_id}",
            version=outcome.values.get("version"),
        )
    return RedirectResponse(f"/ressources/{resource_id}?notice=saved", status_code=303)


@router.post("/ressources/{resource_id}/supprimer")
def delete_resource(resource_id: str, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    service.delete_resource(
        db,
        actor=viewer.actor,
        resource_id=resource_id,
        expected_version=posted_version(form),
    )
    return RedirectResponse("/ressources?notice=deleted", status_code=303)
