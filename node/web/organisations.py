"""Organisations & contacts: venues, festivals, programmers and the people there."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from node.api.deps import AppSettings, Db
from node.models import Organisation
from node.services import organisations as service
from node.web.deps import CurrentViewer, Posted, StaffViewer, check_csrf
from node.web.editing import form_page, posted_version, submit
from node.web.forms import Field, values_of
from node.web.i18n import N_
from node.web.lists import csv_response, csv_url, filters_of, notice, offset_of, page_links
from node.web.office_organisations import hint_context
from node.web.templating import render, speaker
from schemas.organisations import (
    ContactCreate,
    ContactUpdate,
    OrganisationCreate,
    OrganisationUpdate,
)

router = APIRouter()
KINDS = (
    ("theatre", N_("Théâtre")),
    ("scene-nationale", N_("Scène nationale")),
    ("festival", N_("Festival")),
    ("smac", N_("SMAC")),
    ("mairie", N_("Mairie")),
    ("association", N_("Association")),
    ("compagnie", N_("Compagnie")),
    ("autre", N_("Autre")),
)
FIELDS = (
    Field("name", N_("Nom"), required=True),
    Field("kind", N_("Type"), "select", choices=KINDS),
    Field("is_venue", N_("C'est un lieu de représentation"), "checkbox"),
    Field("city", N_("Ville")),
    Field("postal_code", N_("Code postal")),
    Field("address", N_("Adresse"), "textarea"),
    Field("licence_number", N_("Licence d'entrepreneur de spectacles")),
    Field("email", N_("E-mail"), "email", optional_none=True),
    Field("phone", N_("Téléphone")),
    Field("website", N_("Site web"), optional_none=True),
    Field("tags", N_("Étiquettes"), "tags"),
    Field("technical_specs", N_("Fiche technique du lieu"), "textarea"),
    Field("notes", N_("Notes"), "textarea"),
)
CONTACT_FIELDS = (
    Field("name", N_("Nom"), required=True),
    Field("role", N_("Fonction")),
    Field("email", N_("E-mail"), "email", optional_none=True),
    Field("phone", N_("Téléphone")),
    Field("notes", N_("Notes"), "textarea"),
)
FILTERS = (
    Field("q", N_("Rechercher")),
    Field("kind", N_("Type"), "select", choices=(("", N_("Tous")), *KINDS)),
    Field("city", N_("Ville")),
    Field("is_venue", N_("Lieux seulement"), "checkbox"),
)
NAMES = ("q", "kind", "city", "is_venue")


def _list(request: Request, db: Db, limit: int, offset: int) -> tuple[list[Organisation], int]:
    f = filters_of(request, NAMES)
    rows, total = service.list_organisations(
        db,
        q=f["q"] or None,
        kind=f["kind"] or None,
        city=f["city"] or None,
        is_venue=True if f["is_venue"] else None,
        limit=limit,
        offset=offset,
    )
    return list(rows), total


@router.get("/organisations")
def organisations_list(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    _ = speaker(request).gettext
    offset = offset_of(request)
    rows, total = _list(request, db, 50, offset)
    kinds = dict(KINDS)
    return render(
        request,
        "list.html",
        {
            "title": _("Organisations & contacts"),
            "filter_fields": FILTERS,
            "filters": filters_of(request, NAMES),
            "columns": [_("Nom"), _("Type"), _("Ville"), _("Lieu")],
            "rows": [
                {
                    "url": f"/organisations/{o.id}",
                    "cells": [
                        o.name,
                        _(kinds.get(o.kind, o.kind)),
                        o.city,
                        _("Oui") if o.is_venue else "",
                    ],
                }
                for o in rows
            ],
            "total": total,
            "new_url": "/organisations/nouvelle" if viewer.is_staff else "",
            "new_label": _("Ajouter une organisation"),
            "csv_url": csv_url(request),
            "notice": notice(request),
            **page_links(request, offset=offset, total=total),
        },
    )


@router.get("/organisations.csv")
def organisations_csv(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    rows, _total = _list(request, db, 500, 0)
    _ = speaker(request).gettext
    return csv_response(
        "organisations.csv",
        [_("Nom"), _("Type"), _("Ville"), _("Code postal"), _("E-mail"), _("Téléphone")],
        ([o.name, o.kind, o.city, o.postal_code, o.email, o.phone] for o in rows),
    )


@router.get("/organisations/nouvelle")
def new_organisation(request: Request, viewer: StaffViewer) -> Response:
    _ = speaker(request).gettext
    return form_page(
        request,
        title=_("Nouvelle organisation"),
        fields=FIELDS,
        outcome_or_values={"kind": "theatre"},
        action="/organisations/nouvelle",
        cancel="/organisations",
    )


@router.post("/organisations/nouvelle")
def create_organisation(request: Request, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    outcome = submit(
        request,
        form,
        FIELDS,
        OrganisationCreate,
        lambda data: service.create_organisation(db, actor=viewer.actor, data=data),
    )
    if outcome.record is None:
        _ = speaker(request).gettext
        return form_page(
            request,
            title=_("Nouvelle organisation"),
            fields=FIELDS,
            outcome_or_values=outcome,
            action="/organisations/nouvelle",
            cancel="/organisations",
        )
    return RedirectResponse(f"/organisations/{outcome.record.id}?notice=created", 303)


@router.get("/organisations/{org_id}")
def organisation_page(
    org_id: str, request: Request, db: Db, settings: AppSettings, viewer: CurrentViewer
) -> Response:
    org = service.get_organisation(db, organisation_id=org_id)
    contacts, _n = service.list_contacts(db, organisation_id=org_id, limit=500)
    _ = speaker(request).gettext
    return render(
        request,
        "detail.html",
        {
            "title": org.name,
            "details": [
                (_("Type"), _(dict(KINDS).get(org.kind, org.kind))),
                (_("Ville"), org.city),
                (_("Adresse"), f"{org.address} {org.postal_code}".strip()),
                (_("Licence d'entrepreneur de spectacles"), org.licence_number),
                (_("E-mail"), org.email),
                (_("Téléphone"), org.phone),
                (_("Site web"), org.website),
                (_("Étiquettes"), ", ".join(org.tags)),
                (_("Fiche technique du lieu"), org.technical_specs),
                (_("Notes"), org.notes),
            ],
            "sections": [
                {
                    "title": _("Contacts"),
                    "empty": _("Aucun contact."),
                    "entries": [
                        (
                            f"{c.name} — {c.role} {c.email} {c.phone}".strip(),
                            f"/contacts/{c.id}/modifier" if viewer.is_staff else "",
                        )
                        for c in contacts
                    ],
                    "add_url": f"/organisations/{org_id}/contacts/nouveau"
                    if viewer.is_staff
                    else "",
                    "add_label": _("Ajouter un contact"),
                },
                {
                    "title": _("Bureau de production"),
                    "empty": "",
                    "entries": [
                        (_("Historique des échanges"), f"/organisations/{org_id}/echanges"),
                        *(
                            [(_("Chercher les fiches en double"), "/bureau/doublons")]
                            if viewer.is_staff
                            else []
                        ),
                    ],
                },
            ],
            "back_url": "/organisations",
            "back_label": _("Organisations & contacts"),
            "edit_url": f"/organisations/{org_id}/modifier" if viewer.is_staff else "",
            "delete_url": f"/organisations/{org_id}/supprimer" if viewer.is_staff else "",
            "version": org.version,
            "notice": notice(request),
            **hint_context(db, settings, org),
        },
    )


@router.get("/organisations/{org_id}/modifier")
def edit_organisation(org_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    org = service.get_organisation(db, organisation_id=org_id)
    _ = speaker(request).gettext
    return form_page(
        request,
        title=_("Modifier %(name)s") % {"name": org.name},
        fields=FIELDS,
        outcome_or_values=values_of(org, FIELDS),
        action=f"/organisations/{org_id}/modifier",
        cancel=f"/organisations/{org_id}",
        version=org.version,
    )


@router.post("/organisations/{org_id}/modifier")
def update_organisation(
    org_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    outcome = submit(
        request,
        form,
        FIELDS,
        OrganisationUpdate,
        lambda data: service.update_organisation(
            db, actor=viewer.actor, organisation_id=org_id, data=data, expected_version=None
        ),
        versioned=True,
    )
    if outcome.record is None:
        _ = speaker(request).gettext
        return form_page(
            request,
            title=_("Modifier l'organisation"),
            fields=FIELDS,
            outcome_or_values=outcome,
            action=f"/organisations/{org_id}/modifier",
            cancel=f"/organisations/{org_id}",
            version=outcome.values.get("version"),
        )
    return RedirectResponse(f"/organisations/{org_id}?notice=saved", status_code=303)


@router.post("/organisations/{org_id}/supprimer")
def delete_organisation(org_id: str, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    check_csrf(form, viewer.csrf_token)
    service.delete_organisation(
        db,
        actor=viewer.actor,
        organisation_id=org_id,
        expected_version=posted_version(form),
    )
    return RedirectResponse("/organisations?notice=deleted", status_code=303)


@router.get("/organisations/{org_id}/contacts/nouveau")
def new_contact(org_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    org = service.get_organisation(db, organisation_id=org_id)
    _ = speaker(request).gettext
    return form_page(
        request,
        title=_("Nouveau contact — %(name)s") % {"name": org.name},
        fields=CONTACT_FIELDS,
        outcome_or_values={},
        action=f"/organisations/{org_id}/contacts/nouveau",
        cancel=f"/organisations/{org_id}",
    )


@router.post("/organisations/{org_id}/contacts/nouveau")
def create_contact(
    org_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    outcome = submit(
        request,
        form,
        CONTACT_FIELDS,
        ContactCreate,
        lambda data: service.create_contact(
            db, actor=viewer.actor, organisation_id=org_id, data=data
        ),
    )
    if outcome.record is None:
        _ = speaker(request).gettext
        return form_page(
            request,
            title=_("Nouveau contact"),
            fields=CONTACT_FIELDS,
            outcome_or_values=outcome,
            action=f"/organisations/{org_id}/contacts/nouveau",
            cancel=f"/organisations/{org_id}",
        )
    return RedirectResponse(f"/organisations/{org_id}?notice=created", status_code=303)


@router.get("/contacts/{contact_id}/modifier")
def edit_contact(contact_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    contact = service.get_contact(db, contact_id=contact_id)
    _ = speaker(request).gettext
    return form_page(
        request,
        title=_("Modifier %(name)s") % {"name": contact.name},
        fields=CONTACT_FIELDS,
        outcome_or_values=values_of(contact, CONTACT_FIELDS),
        action=f"/contacts/{contact_id}/modifier",
        cancel=f"/organisations/{contact.organisation_id}",
        version=contact.version,
    )


@router.post("/contacts/{contact_id}/modifier")
def update_contact(
    contact_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    outcome = submit(
        request,
        form,
        CONTACT_FIELDS,
        ContactUpdate,
        lambda data: service.update_contact(
            db, actor=viewer.actor, contact_id=contact_id, data=data, expected_version=None
        ),
        versioned=True,
    )
    if outcome.record is None:
        _ = speaker(request).gettext
        return form_page(
            request,
            title=_("Modifier le contact"),
            fields=CONTACT_FIELDS,
            outcome_or_values=outcome,
            action=f"/contacts/{contact_id}/modifier",
            cancel="/organisations",
            version=outcome.values.get("version"),
        )
    return RedirectResponse(f"/organisations/{outcome.record.organisation_id}?notice=saved", 303)
