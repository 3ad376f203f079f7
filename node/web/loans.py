"""Prêts et accueil: borrowing other bureaus' resources, lending ours, and offering support
to touring productions whose dates come to our area."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from node.api.deps import AppSettings, Db
from node.models import Loan, NetworkResource
from node.problems import DomainError
from node.services import hosting, loans
from node.services.loans import Exchange
from node.web.deps import Posted, StaffViewer, check_csrf
from node.web.editing import Outcome, form_page, posted_version, submit
from node.web.errors import ERROR_MESSAGES, field_errors, problem_errors, problem_message, say
from node.web.forms import Field, Translate
from node.web.i18n import N_
from node.web.lists import notice, offset_of, page_links
from node.web.templating import render, speaker
from schemas.hosting import ContactOffer, CrewOffer, HostingOfferCreate, ItemDecision
from schemas.loans import LoanActionCreate, LoanRequestCreate

router = APIRouter()

STATES = {
    "requested": N_("Demandé"),
    "countered": N_("Autres dates proposées"),
    "accepted": N_("Accepté"),
    "declined": N_("Refusé"),
    "picked_up": N_("Retiré"),
    "returned": N_("Rendu"),
    "cancelled": N_("Annulé"),
}
ACTIONS = {
    "request": N_("Demande"),
    "accept": N_("Accepter"),
    "decline": N_("Refuser"),
    "counter": N_("Proposer d'autres dates"),
    "accept_counter": N_("Accepter les dates proposées"),
    "pick_up": N_("Marquer comme retiré"),
    "return": N_("Marquer comme rendu"),
    "cancel": N_("Annuler le prêt"),
    "refused": N_("Action refusée"),
    "conflict": N_("Conflit de dates"),
    "withdraw": N_("Demande retirée"),
    "unknown": N_("Prêt inconnu du bureau propriétaire"),
}
REQUEST_FIELDS = (
    Field("starts_on", N_("Du"), "date", required=True),
    Field("ends_on", N_("Au (inclus)"), "date", required=True),
    Field("purpose", N_("Pour quoi faire"), "textarea", required=True),
    Field("pickup_place", N_("Lieu de retrait")),
    Field("return_place", N_("Lieu de retour")),
    Field("contact", N_("Contact (nom, téléphone)"), required=True),
)
ITEM_TYPES = {"crew": N_("Équipe"), "resource": N_("Ressource"), "contact": N_("Contact local")}
ITEM_STATUS = {"proposed": N_("En attente"), "accepted": N_("Acceptée"), "declined": N_("Refusée")}


def _exchange(request: Request) -> Exchange:
    exchange: Exchange = request.app.state.exchange
    return exchange


# -- loans -----------------------------------------------------------------------------------


@router.get("/prets")
def loans_page(request: Request, db: Db, viewer: StaffViewer) -> Response:
    _ = speaker(request).gettext
    side = request.query_params.get("cote", "")
    role = {"emprunts": "borrower", "prets": "owner"}.get(side)
    offset = offset_of(request)
    rows, total = loans.list_loans(db, role=role, limit=50, offset=offset)
    return render(
        request,
        "loans.html",
        {
            "title": _("Prêts entre bureaux"),
            "side": side,
            "rows": rows,
            "total": total,
            "states": STATES,
            "own": _exchange(request).own,
            "waiting": loans.awaiting_decision(db),
            "notice": notice(request),
            **page_links(request, offset=offset, total=total),
        },
    )


def _request_form(
    request: Request, card: NetworkResource, values: Outcome[Any] | dict[str, Any]
) -> Response:
    _ = speaker(request).gettext
    busy = ", ".join(f"{p['start']} → {p['end']}" for p in card.body.get("busy", []))
    intro = _("%(name)s, prêté par %(owner)s.") % {"name": card.name, "owner": card.origin}
    if busy:
        intro += " " + _("Déjà prêtée : %(busy)s.") % {"busy": busy}
    return form_page(
        request,
        title=_("Demander un prêt"),
        fields=REQUEST_FIELDS,
        outcome_or_values=values,
        action=f"/prets/demander/{card.origin}/{card.record_id}",
        cancel="/ressources-reseau",
        extra={"intro": intro},
    )


@router.get("/prets/demander/{owner}/{resource_id}")
def new_request(
    owner: str, resource_id: str, request: Request, db: Db, viewer: StaffViewer
) -> Response:
    card = loans.shared_resource(db, owner=owner, resource_id=resource_id)
    return _request_form(request, card, {"contact": viewer.username})


@router.post("/prets/demander/{owner}/{resource_id}")
def send_request(
    owner: str, resource_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    card = loans.shared_resource(db, owner=owner, resource_id=resource_id)
    outcome = submit(
        request,
        form,
        REQUEST_FIELDS,
        LoanRequestCreate,
        lambda data: loans.request_loan(db, _exchange(request), actor=viewer.actor, data=data),
        extra={"owner": owner, "resource_id": resource_id},
    )
    if outcome.record is None:
        return _request_form(request, card, outcome)
    return RedirectResponse(f"/prets/{outcome.record.id}?notice=created", status_code=303)


def said(code: str, typed: str, translate: Translate, **params: str) -> str:
    """A loan's reason as the page says it: the node's sentence for `code` (none for a code
    this node does not know), then what a person typed."""
    sentence = say(code, translate, params) if code else None
    return " — ".join(part for part in (sentence, typed) if part)


def _history(loan: Loan, translate: Translate) -> list[dict[str, Any]]:
    events = []
    for event in reversed(loan.history):
        asked = str(event.get("asked", ""))
        state = str(event.get("state", ""))
        figures = {
            "asked": translate(ACTIONS.get(asked, asked)),
            "state": translate(STATES.get(state, state)),
        }
        code, note = str(event.get("reason_code", "")), str(event.get("note", ""))
        events.append({**event, "said": said(code, note, translate, **figures)})
    return events


@router.get("/prets/{loan_id}")
def loan_page(loan_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    loan = loans.get_loan(db, loan_id=loan_id)
    return _loan_page(request, db, loan)


def _loan_page(
    request: Request, db: Db, loan: Loan, *, error: str = "", status_code: int = 200
) -> Response:
    _ = speaker(request).gettext
    return render(
        request,
        "loan.html",
        {
            "title": loan.resource_name,
            "loan": loan,
            "states": STATES,
            "actions": ACTIONS,
            "allowed": [a.value for a in loans.available_actions(db, loan)],
            "delivered": loans.delivered(db, loan),
            "history": _history(loan, _),
            "reason": said(loan.reason_code, loan.reason, _),
            "error": error,
            "notice": notice(request),
        },
        status_code=status_code,
    )


@router.post("/prets/{loan_id}/action")
def loan_action(
    loan_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    _ = speaker(request).gettext
    loan = loans.get_loan(db, loan_id=loan_id)
    raw = {
        "action": str(form.get("action", "")),
        "reason": str(form.get("reason", "")).strip(),
        "starts_on": str(form.get("starts_on", "")) or None,
        "ends_on": str(form.get("ends_on", "")) or None,
    }
    try:
        data = LoanActionCreate.model_validate(raw)
    except ValidationError as exc:
        message = next(iter(field_errors(exc, _).values()), "")
        return _loan_page(request, db, loan, error=message, status_code=422)
    try:
        with db.begin_nested():  # a refusal undoes only this attempt
            loans.act(
                db,
                _exchange(request),
                actor=viewer.actor,
                loan_id=loan_id,
                data=data,
                expected_version=posted_version(form),
            )
    except DomainError as exc:
        loan = loans.get_loan(db, loan_id=loan_id)
        message = problem_message(exc, _)
        if exc.status == 409 and exc.code != "loan_overlap":  # the loan moved on: show it
            message = _(ERROR_MESSAGES["loan_action_not_allowed"])
        return _loan_page(request, db, loan, error=message, status_code=exc.status)
    return RedirectResponse(f"/prets/{loan_id}?notice=saved", status_code=303)


# -- hosting ---------------------------------------------------------------------------------


@router.get("/accueil")
def coming_page(request: Request, db: Db, viewer: StaffViewer, settings: AppSettings) -> Response:
    _ = speaker(request).gettext
    own = settings.node.slug
    coming = hosting.coming_dates(db, own=own, area=settings.node.host_area)
    received, _total = hosting.list_offers(db, role=hosting.PRODUCER, limit=100)
    sent, _total = hosting.list_offers(db, role=hosting.HOST, limit=100)
    return render(
        request,
        "hosting.html",
        {
            "title": _("Accueil de tournées"),
            "coming": coming,
            "area": settings.node.host_area,
            "received": received,
            "sent": sent,
            "status_labels": ITEM_STATUS,
            "notice": notice(request),
        },
    )


def _offer_form(
    request: Request,
    db: Db,
    origin: str,
    record_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _ = speaker(request).gettext
    target = hosting.network_date(db, origin=origin, record_id=record_id)
    day = hosting.local_day(target.starts_at, target.timezone)
    offers, _total = hosting.list_offers(db, role=hosting.HOST, tour_date_id=record_id)
    return render(
        request,
        "hosting_date.html",
        {
            "title": _("Proposer un soutien"),
            "target": target,
            "day": day,
            "crew": hosting.crew_candidates(db, day),
            "resources": hosting.resource_candidates(db, day),
            "offers": offers,
            "values": values or {},
            "errors": errors or {},
            "types": ITEM_TYPES,
            "status_labels": ITEM_STATUS,
        },
        status_code=status_code,
    )


@router.get("/accueil/dates/{origin}/{record_id}")
def offer_page(
    origin: str, record_id: str, request: Request, db: Db, viewer: StaffViewer
) -> Response:
    return _offer_form(request, db, origin, record_id)


def _contacts(form: FormData) -> list[ContactOffer]:
    """One contact per line: `Nom ; rôle ; téléphone ; e-mail`."""
    contacts = []
    for line in str(form.get("contacts", "")).splitlines():
        parts = [p.strip() for p in line.split(";")]
        if not parts or not parts[0]:
            continue
        parts += [""] * (4 - len(parts))
        contacts.append(ContactOffer(name=parts[0], role=parts[1], phone=parts[2], email=parts[3]))
    return contacts


@router.post("/accueil/dates/{origin}/{record_id}")
def send_offer(
    origin: str, record_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    _ = speaker(request).gettext
    values: dict[str, Any] = {
        "note": str(form.get("note", "")),
        "contacts": str(form.get("contacts", "")),
        "crew": [str(v) for v in form.getlist("crew")],
        "resources": [str(v) for v in form.getlist("resources")],
    }
    try:
        data = HostingOfferCreate(
            producer=origin,
            tour_date_id=record_id,
            note=str(values["note"]).strip(),
            crew=[CrewOffer(member_id=m) for m in values["crew"]],
            resources=values["resources"],
            contacts=_contacts(form),
        )
        with db.begin_nested():
            offer = hosting.create_offer(db, _exchange(request), actor=viewer.actor, data=data)
    except ValidationError as exc:
        codes = {e.get("type") for e in exc.errors()}
        detail = _("Proposez au moins un membre, une ressource, un contact ou un mot.")
        if "offer_empty" not in codes:
            detail = _("Vérifiez les contacts : une ligne par contact, « Nom ; rôle ; téléphone ».")
        return _offer_form(
            request, db, origin, record_id, values=values, errors={"": detail}, status_code=422
        )
    except DomainError as exc:
        found = problem_errors(exc, _)
        return _offer_form(
            request, db, origin, record_id, values=values, errors=found, status_code=exc.status
        )
    return RedirectResponse(f"/accueil/offres/{offer.id}?notice=created", status_code=303)


@router.get("/accueil/offres/{offer_id}")
def offer_detail(offer_id: str, request: Request, db: Db, viewer: StaffViewer) -> Response:
    offer = hosting.get_offer(db, offer_id=offer_id)
    return _offer_detail(request, offer)


def _offer_detail(
    request: Request, offer: Any, *, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    _ = speaker(request).gettext
    return render(
        request,
        "hosting_offer.html",
        {
            "title": _("Offre d'accueil"),
            "offer": offer,
            "types": ITEM_TYPES,
            "status_labels": ITEM_STATUS,
            "errors": errors or {},
            "annexes": ("I", "II", "III", "IV", "V", "VI"),
            "notice": notice(request),
        },
        status_code=status_code,
    )


@router.post("/accueil/offres/{offer_id}/{item_id}")
def decide_item(
    offer_id: str, item_id: str, request: Request, form: Posted, db: Db, viewer: StaffViewer
) -> Response:
    check_csrf(form, viewer.csrf_token)
    _ = speaker(request).gettext
    decision = str(form.get("decision", ""))
    raw: dict[str, Any] = {"decision": decision, "reason": str(form.get("reason", "")).strip()}
    if decision == "accept" and form.get("profession") is not None:
        raw["engagement"] = {
            "role": str(form.get("role", "")).strip(),
            "profession": str(form.get("profession", "")).strip(),
            "category": "technicien" if form.get("category") == "technicien" else "artiste",
            "annexe": str(form.get("annexe", "")),
            "cachets": str(form.get("cachets", "") or "0"),
            "gross_pay": str(form.get("gross_pay", "")).replace(",", ".").replace(" ", "") or None,
        }
    try:
        data = ItemDecision.model_validate(raw)
        with db.begin_nested():
            hosting.decide(
                db,
                _exchange(request),
                actor=viewer.actor,
                offer_id=offer_id,
                item_id=item_id,
                data=data,
            )
    except ValidationError as exc:
        found = {k.removeprefix("engagement."): v for k, v in field_errors(exc, _).items()} or {
            "": _("Vérifiez le formulaire.")
        }
        return _offer_detail(
            request,
            hosting.get_offer(db, offer_id=offer_id),
            errors={item_id: next(iter(found.values()))},
            status_code=422,
        )
    except DomainError as exc:
        return _offer_detail(
            request,
            hosting.get_offer(db, offer_id=offer_id),
            errors={item_id: problem_message(exc, _)},
            status_code=exc.status,
        )
    return RedirectResponse(f"/accueil/offres/{offer_id}?notice=saved", status_code=303)
