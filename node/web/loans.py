"""Prêts entre bureaux: borrowing other bureaus' resources and lending ours (hosting touring
productions is in `node.web.hosting`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from node.api.deps import Db
from node.models import Loan, NetworkResource
from node.problems import DomainError
from node.services import loans
from node.services.loans import Exchange
from node.services.origins import known_origins
from node.web.deps import Posted, StaffViewer, check_csrf
from node.web.editing import Outcome, form_page, posted_version, submit
from node.web.errors import ERROR_MESSAGES, field_errors, problem_message, say
from node.web.forms import Field, Translate
from node.web.i18n import N_
from node.web.lists import notice, offset_of, page_links
from node.web.templating import render, speaker
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


def _bureau_names(db: Db) -> dict[str, str]:
    return {slug: info.name or slug for slug, info in known_origins(db).items()}


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # SQLite's


def _delivery(request: Request, db: Db, loan: Loan, names: dict[str, str]) -> str:
    """Where this bureau's last message about the loan is, while it has not arrived."""
    row = loans.undelivered(db, loan)
    if row is None or row.created_at is None:
        return ""
    speak = speaker(request)
    _ = speak.gettext
    now = datetime.now(UTC)
    text = _("En attente de livraison à %(bureau)s depuis %(duration)s.") % {
        "bureau": names.get(row.recipient, row.recipient),
        "duration": speak.duration(now - _utc(row.created_at)),
    }
    if row.attempts and row.next_attempt_at is not None:
        later = _utc(row.next_attempt_at) - now
        text += " " + _(
            "Le dernier essai a échoué : le message repartira dès que ce bureau donnera "
            "signe de vie (au plus tard dans %(duration)s)."
        ) % {"duration": speak.duration(later)}
    return text


def _loan_page(
    request: Request, db: Db, loan: Loan, *, error: str = "", status_code: int = 200
) -> Response:
    names = _bureau_names(db)
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
            "delivery": _delivery(request, db, loan, names),
            "names": names,
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
