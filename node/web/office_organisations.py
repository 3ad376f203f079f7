"""Organisations in the office: duplicates and their merge, and « déjà en contact » — which
bureaus of the network already talk to an organiser, and this bureau's opt-in to say so."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from node.api.deps import AppSettings, Db
from node.models import Organisation
from node.services import duplicates, hints, organisations
from node.web.deps import CurrentViewer, Posted, StaffViewer, check_csrf
from node.web.editing import submit
from node.web.forms import Field
from node.web.i18n import N_
from node.web.lists import notice
from node.web.templating import render, speaker
from schemas.crm import MergeRequest
from schemas.hints import ContactHintSet

router = APIRouter()
REASONS = {
    "same-name-and-city": N_("Même nom et même ville"),
    "same-email": N_("Même adresse e-mail"),
}
MERGE = (Field("merged_id", N_("Fiche à fusionner"), "select", required=True),)
HINT = (
    Field(
        "person",
        N_("Qui interroger au bureau"),
        required=True,
        help=N_(
            "Un prénom, une fonction : c'est tout ce que le réseau saura, jamais l'historique."
        ),
    ),
)


def hint_context(
    db: Db,
    settings: AppSettings,
    org: Organisation,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What the organisation page shows of the network: who else is in contact, our opt-in."""
    found = hints.search(db, own_origin=settings.node.slug, name=org.name, city=org.city or None)
    own = hints.get_hint(db, organisation_id=org.id)
    return {
        "includes": ["office/_contact_hints.html"],
        "organisation": org,
        "network_hints": [h for h in found if not h.own],
        "own_hint": own,
        "hint_fields": HINT,
        "hint_values": values or {"person": own.person if own else ""},
        "hint_errors": errors or {},
    }


def _hint_page(
    request: Request,
    db: Db,
    settings: AppSettings,
    org_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    org = organisations.get_organisation(db, organisation_id=org_id)
    _ = speaker(request).gettext
    return render(
        request,
        "office/contact_hint.html",
        {
            "title": _("Déjà en contact dans le réseau — %(name)s") % {"name": org.name},
            **hint_context(db, settings, org, values=values, errors=errors),
            "notice": notice(request),
        },
        status_code=status_code,
    )


@router.get("/organisations/{org_id}/contact-reseau")
def hint_page(
    org_id: str, request: Request, db: Db, settings: AppSettings, viewer: CurrentViewer
) -> Response:
    """Qui dans le réseau est déjà en contact avec cet organisateur ?"""
    return _hint_page(request, db, settings, org_id)


@router.post("/organisations/{org_id}/contact-reseau")
def share_hint(
    org_id: str,
    request: Request,
    form: Posted,
    db: Db,
    settings: AppSettings,
    viewer: StaffViewer,
) -> Response:
    """Tell the network the bureau is in contact with this organisation, and whom to ask."""
    check_csrf(form, viewer.csrf_token)
    done = submit(
        request,
        form,
        HINT,
        ContactHintSet,
        lambda data: hints.set_hint(
            db, actor=viewer.actor, organisation_id=org_id, person=data.person
        ),
        db=db,
    )
    if done.record is None:
        return _hint_page(
            request,
            db,
            settings,
            org_id,
            values=done.values,
            errors=done.errors,
            status_code=422,
        )
    return RedirectResponse(f"/organisations/{org_id}?notice=saved#deja-en-contact", 303)


@router.post("/organisations/{org_id}/contact-reseau/retirer")
def withdraw_hint(org_id: str, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    """Stop sharing: the network forgets that the bureau is in contact."""
    check_csrf(form, viewer.csrf_token)
    hints.remove_hint(db, actor=viewer.actor, organisation_id=org_id)
    return RedirectResponse(f"/organisations/{org_id}?notice=saved#deja-en-contact", 303)


def _duplicates_page(
    request: Request,
    db: Db,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = speaker(request).gettext
    return render(
        request,
        "office/duplicates.html",
        {
            "title": _("Organisations en double"),
            "groups": duplicates.find_duplicates(db),
            "reasons": REASONS,
            "errors": errors or {},
            "notice": notice(request),
        },
        status_code=status_code,
    )


@router.get("/bureau/doublons")
def duplicates_page(request: Request, db: Db, viewer: StaffViewer) -> Response:
    """Organisations entered twice (same name and city, or a shared e-mail)."""
    return _duplicates_page(request, db)


@router.post("/bureau/doublons/fusion")
def merge(request: Request, form: Posted, db: Db, viewer: StaffViewer) -> Response:
    """Keep one organisation and fold the other into it; both histories are kept."""
    check_csrf(form, viewer.csrf_token)
    kept_id = str(form.get("kept_id", ""))
    done = submit(
        request,
        form,
        MERGE,
        MergeRequest,
        lambda data: duplicates.merge_organisations(
            db, actor=viewer.actor, kept_id=kept_id, merged_id=data.merged_id
        ),
        db=db,
    )
    if done.record is None:
        first = next(iter(done.errors.values()))
        return _duplicates_page(request, db, errors={"": first}, status_code=422)
    return RedirectResponse(f"/organisations/{kept_id}?notice=merged", 303)
