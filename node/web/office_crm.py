"""Prospection of a production (pipeline, one column per status) and an organisation's exchanges."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from node.api.deps import Db
from node.services import crm, organisations, productions
from node.web.deps import CurrentViewer, Posted, StaffViewer, check_csrf
from node.web.editing import posted_version, submit
from node.web.forms import Field
from node.web.i18n import N_
from node.web.lists import notice
from node.web.templating import render, speaker
from schemas.crm import InteractionCreate, ProspectionCreate, ProspectionUpdate

router = APIRouter()
STATUSES = (
    ("a-contacter", N_("À contacter")),
    ("contacte", N_("Contacté")),
    ("interesse", N_("Intéressé")),
    ("option", N_("Option")),
    ("confirme", N_("Confirmé")),
    ("refuse", N_("Refusé")),
)
KINDS = (
    ("appel", N_("Appel")),
    ("e-mail", N_("E-mail")),
    ("rendez-vous", N_("Rendez-vous")),
    ("offre-envoyee", N_("Offre envoyée")),
    ("note", N_("Note")),
)
PROSPECTION = (
    Field("organisation_id", N_("Organisation"), "select", required=True),
    Field("status", N_("Statut"), "select", choices=STATUSES),
    Field("next_action", N_("Prochaine action")),
    Field("next_action_on", N_("Date de la prochaine action"), "date"),
    Field("notes", N_("Notes"), "textarea"),
)
UPDATE = (
    Field("status", N_("Statut"), "select", choices=STATUSES),
    Field("next_action", N_("Prochaine action")),
    Field("next_action_on", N_("Date de la prochaine action"), "date"),
)
INTERACTION = (
    Field("kind", N_("Type d'échange"), "select", choices=KINDS),
    Field("happened_at", N_("Quand (heure de Paris)"), "datetime", help=N_("Maintenant si vide.")),
    Field("production_id", N_("Production concernée"), "select", optional_none=True),
    Field("text", N_("Compte rendu"), "textarea"),
)


def _organisation_choices(db: Db) -> list[tuple[str, str]]:
    rows, _n = organisations.list_organisations(db, limit=500)
    return [("", "—"), *((o.id, f"{o.name} ({o.city})" if o.city else o.name) for o in rows)]


def _pipeline_page(
    request: Request,
    db: Db,
    production_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    show = productions.get_production(db, production_id=production_id)
    _ = speaker(request).gettext
    fields = tuple(
        replace(f, choices=_organisation_choices(db)) if f.name == "organisation_id" else f
        for f in PROSPECTION
    )
    return render(
        request,
        "office/pipeline.html",
        {
            "title": _("Prospection — %(title)s") % {"title": show.title},
            "production": show,
            "pipeline": crm.pipeline(db, production_id=production_id),
            "statuses": dict(STATUSES),
            "fields": fields,
            "update_fields": UPDATE,
            "values": values or {"status": "a-contacter"},
            "errors": errors or {},
            "notice": notice(request),
        },
        status_code=status_code,
    )


@router.get("/productions/{production_id}/prospection")
def pipeline_page(production_id: str, request: Request, db: Db, viewer: CurrentViewer) -> Response:
    return _pipeline_page(request, db, production_id)


@router.post("/productions/{production_id}/prospection")
def add_prospection(
    production_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    done = submit(
        request,
        form,
        PROSPECTION,
        ProspectionCreate,
        lambda data: crm.create_prospection(
            db, actor=viewer.actor, production_id=production_id, data=data
        ),
    )
    if done.record is None:
        return _pipeline_page(
            request, db, production_id, values=done.values, errors=done.errors, status_code=422
        )
    return RedirectResponse(f"/productions/{production_id}/prospection?notice=created", 303)


@router.post("/prospection/{prospection_id}")
def update_prospection(
    prospection_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    row = crm.get_prospection(db, prospection_id=prospection_id)
    done = submit(
        request,
        form,
        UPDATE,
        ProspectionUpdate,
        lambda data: crm.update_prospection(
            db,
            actor=viewer.actor,
            prospection_id=prospection_id,
            data=data,
            expected_version=None,
        ),
        extra={"version": posted_version(form)},
    )
    if done.record is None:
        first = next(iter(done.errors.values()))
        return _pipeline_page(request, db, row.production_id, errors={"": first}, status_code=422)
    return RedirectResponse(f"/productions/{row.production_id}/prospection?notice=saved", 303)


def _exchanges_page(
    request: Request,
    db: Db,
    org_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    org = organisations.get_organisation(db, organisation_id=org_id)
    shows, _n = productions.list_productions(db, limit=500)
    titles = {p.id: p.title for p in shows}
    rows, total = crm.list_interactions(db, organisation_id=org_id, limit=200)
    _ = speaker(request).gettext
    fields = tuple(
        replace(f, choices=[("", "—"), *titles.items()]) if f.name == "production_id" else f
        for f in INTERACTION
    )
    return render(
        request,
        "office/interactions.html",
        {
            "title": _("Échanges avec %(name)s") % {"name": org.name},
            "organisation": org,
            "rows": rows,
            "total": total,
            "kinds": dict(KINDS),
            "titles": titles,
            "fields": fields,
            "values": values or {"kind": "appel"},
            "errors": errors or {},
            "notice": notice(request),
        },
        status_code=status_code,
    )


@router.get("/organisations/{org_id}/echanges")
def exchanges(org_id: str, request: Request, db: Db, viewer: CurrentViewer) -> Response:
    return _exchanges_page(request, db, org_id)


@router.post("/organisations/{org_id}/echanges")
def add_exchange(
    org_id: str, request: Request, form: Posted, db: Db, viewer: CurrentViewer
) -> Response:
    """Staff and members of the bureau alike log a call, an e-mail, a meeting, an offer, a note."""
    check_csrf(form, viewer.csrf_token)
    done = submit(
        request,
        form,
        INTERACTION,
        InteractionCreate,
        lambda data: crm.create_interaction(
            db, actor=viewer.actor, organisation_id=org_id, data=data
        ),
    )
    if done.record is None:
        return _exchanges_page(
            request, db, org_id, values=done.values, errors=done.errors, status_code=422
        )
    return RedirectResponse(f"/organisations/{org_id}/echanges?notice=created", 303)
